// The JSON API (docs/interfaces.md). Every handler runs after authentication; every domain is
// looked up in the registry by its decoded path segment and checked against the caller's ACL.
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { ConsoleHub, Role } from '../../bridge/types.js';
import { isPowerAction, type PowerAction, type PowerControl } from '../../control/index.js';
import type { Vm, VmRegistry } from '../../discovery/types.js';
import { VwcError, isVwcError } from '../../errors/index.js';
import type { Principal } from '../access.js';
import type { AuthLocals } from '../auth/authenticate.js';
import type { ConsoleRef, TicketStore } from '../auth/tickets.js';
import { domainItem, visibleItems } from '../views.js';
import { addSerialLogRoute } from './serial-log.js';
import { addRecordingRoutes } from './vnc-recordings.js';

export interface ApiDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly tickets: TicketStore;
  readonly logger: Logger;
  /** Power actions; without it `POST …/actions/:action` answers 404. */
  readonly power?: PowerControl;
  /** Told every action's outcome (metrics). */
  readonly onAction?: (action: PowerAction, result: 'ok' | 'error') => void;
  /** Who may read VNC recordings (vncRecording.readableBy); operators by default. */
  readonly recordingReaders?: Role;
  /** The daemon's version, for GET /api/version. */
  readonly version: string;
}

const MAX_HISTORY_READ = 4 * 1024 * 1024;
const DEFAULT_HISTORY_READ = 256 * 1024;

export function principalOf(res: Response): Principal {
  return (res.locals as AuthLocals).principal;
}

/** The VM for a decoded name, or 404 (unknown) / 403 (the ACL forbids it). */
export function visibleVm(registry: VmRegistry, principal: Principal, name: string): Vm {
  const vm = registry.get(name);
  if (!vm) throw new VwcError('VWC_ERR_NOT_FOUND', 'no such domain');
  if (!principal.canSee(vm.name))
    throw new VwcError('VWC_ERR_FORBIDDEN', 'your account may not open this domain');
  return vm;
}

export function parseIndex(text: string, what: string): number {
  if (!/^\d{1,6}$/.test(text)) throw new VwcError('VWC_ERR_NOT_FOUND', `no such ${what}`);
  return Number(text);
}

function queryInt(req: Request, name: string, fallback: number): number {
  const value = req.query[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value)) {
    throw new VwcError('VWC_ERR_BAD_REQUEST', `${name} must be a non-negative whole number`);
  }
  return Number(value);
}

export function param(req: Request, name: string): string {
  const value = (req.params as Record<string, string | undefined>)[name];
  if (value === undefined) throw new VwcError('VWC_ERR_NOT_FOUND', 'not found');
  return value;
}

function ticketTarget(body: unknown): ConsoleRef {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof b.domain !== 'string' || b.domain === '') {
    throw new VwcError(
      'VWC_ERR_BAD_REQUEST',
      'expected JSON { domain, console: "vnc" | "spice" | "serial", index? }',
    );
  }
  if (b.console === 'vnc') return { kind: 'vnc', domain: b.domain };
  if (b.console === 'spice') return { kind: 'spice', domain: b.domain };
  if (b.console === 'serial') {
    const index = b.index ?? 0;
    if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
      throw new VwcError('VWC_ERR_BAD_REQUEST', 'index must be a non-negative whole number');
    }
    return { kind: 'serial', domain: b.domain, index };
  }
  throw new VwcError('VWC_ERR_BAD_REQUEST', 'console must be "vnc", "spice" or "serial"');
}

export function apiRouter(deps: ApiDeps): Router {
  const { registry, hub, tickets } = deps;
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('cache-control', 'no-store');
    next();
  });

  router.get('/session', (_req, res) => {
    const principal = principalOf(res);
    // `via: 'session'` tells the page to offer a Log out button (a Basic login has none).
    res.json({ user: principal.user, role: principal.role, via: principal.via });
  });

  router.get('/domains', (_req, res) => {
    res.json(visibleItems(registry.snapshot(), principalOf(res), hub));
  });

  router.get('/domains/:name', (req, res) => {
    const principal = principalOf(res);
    res.json(domainItem(visibleVm(registry, principal, param(req, 'name')), principal, hub));
  });

  router.get('/domains/:name/serial/:n/history', (req, res) => {
    const vm = visibleVm(registry, principalOf(res), param(req, 'name'));
    const index = parseIndex(param(req, 'n'), 'serial console');
    const from = queryInt(req, 'from', 0);
    const max = Math.min(queryInt(req, 'max', DEFAULT_HISTORY_READ), MAX_HISTORY_READ);
    const read = hub.readSerialHistory(vm.name, index, from, max);
    if (!read) throw new VwcError('VWC_ERR_NOT_FOUND', 'no such serial console');
    res.setHeader('content-type', 'application/octet-stream');
    res.setHeader('x-vwc-start', String(read.start));
    res.setHeader('x-vwc-end', String(read.end));
    if (read.missing) res.setHeader('x-vwc-missing', `${read.missing.from}-${read.missing.to}`);
    res.end(read.data);
  });

  addSerialLogRoute(router, deps);
  addRecordingRoutes(router, deps);

  router.get('/version', (_req, res) => {
    res.json({ version: deps.version });
  });

  // Power actions (docs/control.md). Origin was checked for every POST; then ACL (404/403),
  // role (403), and the action runs. Every attempt past the ACL is audited, refused or not.
  router.post('/domains/:name/actions/:action', async (req, res) => {
    const principal = principalOf(res);
    const vm = visibleVm(registry, principal, param(req, 'name'));
    const action = param(req, 'action');
    if (!isPowerAction(action) || !deps.power) throw new VwcError('VWC_ERR_NOT_FOUND', 'no such action');
    const audit = {
      audit: 'power',
      user: principal.user,
      domain: vm.name,
      action,
      client: (res.locals as AuthLocals).client.address,
    };
    if (principal.role !== 'operator') {
      deps.logger.warn({ ...audit, result: 'refused', code: 'VWC_ERR_FORBIDDEN' }, 'power action');
      throw new VwcError('VWC_ERR_FORBIDDEN', 'viewers may not change the power state of a VM');
    }
    try {
      await deps.power.run(vm, action);
    } catch (error) {
      const vwc = isVwcError(error) ? error : null;
      deps.logger.warn(
        {
          ...audit,
          result: 'error',
          code: vwc?.code ?? 'VWC_ERR_INTERNAL',
          message: vwc?.message,
          err: vwc ? undefined : error,
        },
        'power action',
      );
      deps.onAction?.(action, 'error');
      throw error;
    }
    deps.logger.info({ ...audit, result: 'ok' }, 'power action');
    deps.onAction?.(action, 'ok');
    res.json({ domain: vm.name, action, result: 'ok' });
  });

  router.post('/tickets', express.json({ limit: '4kb' }), (req, res) => {
    const principal = principalOf(res);
    const target = ticketTarget(req.body);
    const vm = visibleVm(registry, principal, target.domain);
    const exists =
      target.kind === 'vnc'
        ? vm.vnc !== null
        : target.kind === 'spice'
          ? (vm.spice ?? null) !== null
          : vm.serials.some((s) => s.index === target.index);
    if (!exists) throw new VwcError('VWC_ERR_NOT_FOUND', `domain has no such ${target.kind} console`);
    const { ticket, expiresAt } = tickets.issue(principal.user, principal.role, target);
    res.status(201).json({ ticket, expiresAt: new Date(expiresAt).toISOString() });
  });

  router.use(() => {
    throw new VwcError('VWC_ERR_NOT_FOUND', 'no such API route');
  });
  return router;
}
