// A fleet host's side: the API entries follow, and the check of an entry's ticket on a
// WebSocket upgrade. A valid ticket grants its user and role for exactly its domain.
import type { Logger } from 'pino';
import type { ConsoleHub } from '../bridge/types.js';
import type { FleetHostConfig } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import { VwcError } from '../errors/index.js';
import type { FleetHttp, FleetTicketCheck } from '../http/index.js';
import { hostApi } from './host-api.js';
import { readPublicKey, readToken } from './keys.js';
import { RevocationList } from './revocations.js';
import { MAX_TICKET_TTL_MS, TicketVerifier, isFleetTicket } from './tickets.js';
import type { FleetConsole } from './types.js';

export interface FleetHostDeps {
  readonly registry: VmRegistry;
  readonly hub: ConsoleHub;
  readonly logger: Logger;
  readonly now: () => number;
  /** Heartbeat of /api/fleet/events (default 1 s). */
  readonly heartbeatMs?: number;
}

export function createFleetHost(
  config: FleetHostConfig,
  deps: FleetHostDeps,
): Required<Pick<FleetHttp, 'beforeAuth' | 'upgradeTicket'>> {
  const verifier = new TicketVerifier({
    host: config.name,
    publicKeys: config.entryPublicKeyFiles.map(readPublicKey),
    now: deps.now,
    maxTtlMs: MAX_TICKET_TTL_MS,
  });
  const token = readToken(config.entryTokenFile);
  const upgradeTicket: FleetTicketCheck = (ticket, domain, console) => {
    if (!isFleetTicket(ticket)) return null;
    const check = verifier.redeem(ticket, domain, console as FleetConsole);
    if (!check.ok) {
      deps.logger.warn({ domain, console, reason: check.reason }, 'fleet ticket refused');
      return { ok: false, error: new VwcError('VWC_ERR_FLEET_TICKET_INVALID', check.message) };
    }
    const { claims } = check;
    return {
      ok: true,
      principal: {
        user: claims.user,
        role: claims.role,
        via: 'fleet',
        canSee: (name) => name === claims.domain,
      },
    };
  };
  return {
    beforeAuth: hostApi({
      registry: deps.registry,
      hub: deps.hub,
      token,
      revocations: new RevocationList({ now: deps.now, logger: deps.logger }),
      now: deps.now,
      ...(deps.heartbeatMs === undefined ? {} : { heartbeatMs: deps.heartbeatMs }),
    }),
    upgradeTicket,
  };
}
