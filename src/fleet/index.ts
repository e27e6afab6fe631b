// The fleet (docs/fleet.md): a host accepts tickets signed by its entries and serves its list
// to them; an entry logs users in, aggregates the hosts' lists and signs tickets. createFleet
// gives the daemon the HTTP hooks for whichever roles the config names.
import type { Logger } from 'pino';
import type { ConsoleHub } from '../bridge/types.js';
import type { Config } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import type { FleetHttp } from '../http/index.js';
import { createFleetEntry } from './entry.js';
import { createFleetHost } from './host.js';

export type {
  FleetConsole,
  FleetDomainItem,
  FleetHostInfo,
  HostEvent,
  HostState,
  TicketClaims,
  TicketRequest,
  TicketResponse,
} from './types.js';
export { signTicket, TicketVerifier, isFleetTicket, CLOCK_SKEW_MS, MAX_TICKET_TTL_MS } from './tickets.js';
export {
  entrySecrets,
  readPrivateKey,
  readPublicKey,
  readToken,
  writeKeyPair,
  PRIVATE_KEY_NAME,
  PUBLIC_KEY_NAME,
} from './keys.js';
export { FleetRegistry } from './registry.js';
export { nginxConfig } from './nginx.js';

export interface FleetDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly logger: Logger;
  readonly now?: () => number;
}

export interface Fleet {
  /** The HTTP hooks, or null on a standalone daemon. */
  readonly http: FleetHttp | null;
  /** Starts the entry's host links (after the server listens). */
  start(): void;
  stop(): void;
}

/** Reads the fleet's keys and tokens (VWC_ERR_CONFIG when unusable) and builds its parts. */
export function createFleet(config: Pick<Config, 'fleet'>, deps: FleetDeps): Fleet {
  const now = deps.now ?? Date.now;
  const logger = deps.logger;
  const host = config.fleet.host ? createFleetHost(config.fleet.host, { ...deps, now }) : null;
  const entry = config.fleet.entry ? createFleetEntry(config.fleet.entry, { logger, now }) : null;
  const http: FleetHttp | null = host || entry ? { ...(host ?? {}), ...(entry?.http ?? {}) } : null;
  return {
    http,
    start() {
      entry?.start();
    },
    stop() {
      entry?.stop();
    },
  };
}
