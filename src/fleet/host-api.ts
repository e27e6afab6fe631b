// A host's API for entries: its list and its event stream, the same JSON as /api/domains and
// /api/events, behind a per-host Bearer token instead of a user's login (users' passwords and
// cookies are refused here, so a user cannot see more than their ACL through it). The stream
// sends a heartbeat every second, so an entry notices a dead link within a few seconds. Entries
// post their logouts here (POST /api/fleet/revocations), and the stream announces them to all.
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import type { ConsoleHub } from '../bridge/types.js';
import type { VmRegistry } from '../discovery/types.js';
import { VwcError } from '../errors/index.js';
import type { AuthLocals, FleetHttpContext, Principal, SessionRevocation } from '../http/index.js';
import { sendError } from '../http/respond.js';
import { eventsHandler } from '../http/routes/events.js';
import { subscribe } from '../http/subscribe.js';
import { visibleItems } from '../http/views.js';
import { parseRevocation, type RevocationList } from './revocations.js';

export const FLEET_HEARTBEAT_MS = 1_000;
const ENTRY_STREAM_BUFFER_BYTES = 16 * 1024 * 1024;
/** Revocations per `session-revoked` event when a stream opens: small events, however many. */
const REVOCATIONS_PER_EVENT = 1_000;
const HOST_API_PATHS = new Set(['/domains', '/events', '/revocations']);

export interface HostApiDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  /** The token entries present (fleet.host.entryTokenFile). */
  readonly token: string;
  readonly heartbeatMs?: number;
  /** Logouts at the entries, announced to every entry (revocations.ts). */
  readonly revocations: RevocationList;
  readonly now: () => number;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Compares digests: equal length whatever was sent, so the time taken says nothing about the token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/** Every entry sees every VM with operator rights; the entry applies each user's role and ACL. */
const ENTRY_PRINCIPAL: Principal = {
  user: 'fleet-entry',
  role: 'operator',
  via: 'fleet',
  canSee: () => true,
};

export function hostApi(deps: HostApiDeps): (ctx: FleetHttpContext) => RequestHandler {
  return (ctx) => {
    const router = express.Router();
    router.use('/api/fleet', (req, res, next) => {
      if (!HOST_API_PATHS.has(req.path)) {
        next();
        return;
      }
      if (!bearerMatches(req.headers.authorization, deps.token)) {
        sendError(
          res,
          new VwcError('VWC_ERR_FLEET_TOKEN', "this is a host's fleet API: send the fleet token as Bearer"),
        );
        return;
      }
      const locals: Pick<AuthLocals, 'principal'> = { principal: ENTRY_PRINCIPAL };
      Object.assign(res.locals, locals);
      res.setHeader('cache-control', 'no-store');
      next();
    });
    router.get('/api/fleet/domains', (_req, res) => {
      res.json(visibleItems(deps.registry.snapshot(), ENTRY_PRINCIPAL, deps.hub));
    });
    router.get(
      '/api/fleet/events',
      eventsHandler({
        registry: deps.registry,
        hub: deps.hub,
        heartbeatMs: deps.heartbeatMs ?? FLEET_HEARTBEAT_MS,
        // An entry reads a large host's snapshot in one go: more room than a page's stream.
        maxBufferedBytes: Math.max(ctx.maxBufferedBytes, ENTRY_STREAM_BUFFER_BYTES),
        streams: ctx.streams,
        // Before the snapshot: once an entry has a host's list, it has its revocations too.
        extra: (send) => {
          const known = deps.revocations.list();
          for (let i = 0; i < known.length; i += REVOCATIONS_PER_EVENT)
            send('session-revoked', { sessions: known.slice(i, i + REVOCATIONS_PER_EVENT) });
          return subscribe(deps.revocations, {
            revoked: (revocation: SessionRevocation) => {
              send('session-revoked', { sessions: [revocation] });
            },
          });
        },
      }),
    );
    router.post('/api/fleet/revocations', express.json({ limit: '4kb' }), (req, res) => {
      deps.revocations.add(parseRevocation(req.body, deps.now()));
      res.status(204).end();
    });
    return router;
  };
}
