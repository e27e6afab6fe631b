// Where a console's WebSocket goes. On a standalone host: a ticket from this daemon
// (`POST /api/tickets`) and the same origin. At a fleet entry, web/lib/fleet.ts swaps the
// provider for one that asks the entry for a host ticket and URL (docs/fleet.md). The views ask
// again before every (re)connect: tickets are single-use and short-lived either way.
import { requestTicket } from './api.js';
import { serialSocketPath, spiceSocketPath, vncControlSocketPath, vncSocketPath, wsUrl } from './paths.js';
import type { ConsoleRef } from './types.js';

/** A console, or the VNC control channel (presence, input lock) beside the screen. */
export type SocketTarget = ConsoleRef | { readonly kind: 'vnc-control' };

export type SocketParams = Readonly<Record<string, string | number>>;

/** Resolves to a function that adds the view's own query parameters (window, from, …). */
export type SocketUrlProvider = (
  domain: string,
  target: SocketTarget,
) => Promise<(params: SocketParams) => string>;

function socketPath(domain: string, target: SocketTarget): string {
  if (target.kind === 'vnc') return vncSocketPath(domain);
  if (target.kind === 'vnc-control') return vncControlSocketPath(domain);
  if (target.kind === 'spice') return spiceSocketPath(domain);
  return serialSocketPath(domain, target.index);
}

const sameOrigin: SocketUrlProvider = async (domain, target) => {
  const ticket = await requestTicket(domain, target.kind === 'vnc-control' ? { kind: 'vnc' } : target);
  return (params) => wsUrl(location, socketPath(domain, target), { ticket, ...params });
};

let provider: SocketUrlProvider = sameOrigin;

export function useSocketUrlProvider(next: SocketUrlProvider): void {
  provider = next;
}

/** The URL maker for one (re)connect; rejects like a ticket request (the view waits and retries). */
export function socketUrl(domain: string, target: SocketTarget): Promise<(params: SocketParams) => string> {
  return provider(domain, target);
}
