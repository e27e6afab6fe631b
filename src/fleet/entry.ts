// A fleet entry's side: one link per host feeding the aggregated registry, and the routes
// browsers use. It holds no state worth keeping: another entry with the same key and host list
// serves the same answers, and a console already open never passes through it. Its logouts go
// to every host, which tells every entry (revocation-sender.ts, revocations.ts).
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import type { FleetEntryConfig } from '../config/index.js';
import type { FleetHttp, SessionRevocation } from '../http/index.js';
import { entryApi } from './entry-api.js';
import { entrySecrets, readPrivateKey, readToken } from './keys.js';
import { HostLink } from './link.js';
import { FleetRegistry } from './registry.js';
import { RevocationSender } from './revocation-sender.js';
import { parseRevocation } from './revocations.js';

export interface FleetEntryDeps {
  readonly logger: Logger;
  readonly now: () => number;
  /** Silence after which a host is marked unreachable (default 3 s; hosts beat every second). */
  readonly heartbeatTimeoutMs?: number;
}

export interface FleetEntry {
  readonly registry: FleetRegistry;
  readonly http: Required<Pick<FleetHttp, 'afterAuth' | 'sessionSeal' | 'sessionRevocations'>>;
  start(): void;
  stop(): void;
}

export function createFleetEntry(config: FleetEntryConfig, deps: FleetEntryDeps): FleetEntry {
  const { logger } = deps;
  const privateKey = readPrivateKey(config.privateKeyFile);
  const registry = new FleetRegistry(
    config.hosts.map((h) => h.name),
    deps.now,
  );
  const links = config.hosts.map(
    (host) =>
      new HostLink({
        name: host.name,
        url: host.url,
        token: readToken(host.tokenFile),
        ca: host.caFile === null ? null : readFileSync(host.caFile),
        heartbeatTimeoutMs: deps.heartbeatTimeoutMs ?? 3_000,
        minBackoffMs: 250,
        maxBackoffMs: 4_000,
        logger,
        listener: {
          snapshot: (items) => {
            if (registry.state(host.name) !== 'up')
              logger.info({ host: host.name, vms: items.length }, 'fleet host up');
            registry.snapshot(host.name, items);
            revocations.hostUp(host.name);
          },
          revoked: (sessions) => {
            for (const revocation of sessions) {
              try {
                revoke?.(parseRevocation(revocation, deps.now()));
              } catch (error) {
                logger.warn({ host: host.name, err: error }, 'fleet session revocation not understood');
              }
            }
          },
          added: (item) => {
            registry.upsert(host.name, item);
          },
          changed: (item) => {
            registry.upsert(host.name, item);
          },
          removed: (name) => {
            registry.remove(host.name, name);
          },
          down: (reason) => {
            if (registry.state(host.name) === 'up')
              logger.warn({ host: host.name, reason }, 'fleet host unreachable');
            else logger.debug({ host: host.name, reason }, 'fleet host still unreachable');
            registry.down(host.name);
          },
        },
      }),
  );
  const revocations = new RevocationSender({
    targets: config.hosts.map((host, i) => ({
      name: host.name,
      post: (path, body) => links[i]!.post(path, body),
    })),
    now: deps.now,
    logger,
  });
  /** The login sessions' store, once the HTTP app follows the siblings' logouts. */
  let revoke: ((revocation: SessionRevocation) => void) | null = null;
  return {
    registry,
    http: {
      sessionSeal: entrySecrets(privateKey).sessions,
      sessionRevocations: {
        ended: (revocation) => {
          revocations.send(revocation);
        },
        follow: (apply) => {
          revoke = apply;
        },
      },
      afterAuth: entryApi({
        registry,
        hosts: config.hosts,
        privateKey,
        ticketTtlMs: config.ticketTtlSeconds * 1000,
        now: deps.now,
        logger,
      }),
    },
    start() {
      for (const link of links) link.start();
    },
    stop() {
      revocations.stop();
      for (const link of links) link.stop();
    },
  };
}
