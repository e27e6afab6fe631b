// The pages at a fleet entry (docs/fleet.md): rows carry the host they live on, console pages
// are `/console/<host>/<domain>…`, and every WebSocket goes to the host itself with a ticket the
// entry signs (`POST /api/fleet/tickets`, asked again before every reconnect). A standalone host
// never enters this mode: its rows have no `host` and its session no `fleet` flag.
import { fetchJson, getSession } from './api.js';
import { consolePathOn, parseConsolePath, useConsoleHost } from './paths.js';
import { useSocketUrlProvider, type SocketParams, type SocketTarget } from './socket-url.js';
import type { ConsoleRef, DomainItem } from './types.js';

export type HostState = 'up' | 'unreachable';

/** A row at an entry: a host's row plus where it lives and whether that host answers. */
export type FleetItem = DomainItem & { readonly host?: string; readonly hostState?: HostState };

/** `event: host` on the entry's stream, and a row of `GET /api/fleet/hosts`. */
export interface HostStatus {
  readonly name: string;
  readonly state: HostState;
}

/**
 * A host's row as the console page uses it at the entry: no power actions (the entry has no
 * action route; they stay on the host's own page). Unchanged on a standalone host.
 */
export function fleetView(host: string | null, item: DomainItem): DomainItem {
  return host === null ? item : { ...item, actions: [] };
}

/** Names repeat across hosts: the page keys rows by host and name. */
export function rowKey(item: { readonly name: string; readonly host?: string | undefined }): string {
  return item.host === undefined ? item.name : `${item.host}\u0000${item.name}`;
}

/** `/console/<host>/<domain>[/vnc|/serial/<n>]` at the entry. */
export function fleetConsolePath(host: string, name: string, ref?: ConsoleRef): string {
  return consolePathOn(host, name, ref);
}

/** The ticket request's `console` field for a socket target. */
export function ticketConsole(target: SocketTarget): string {
  return target.kind === 'serial' ? `serial/${target.index}` : target.kind;
}

/**
 * The WebSocket URL from a ticket answer plus the view's own parameters. A relative URL (the
 * host behind the entry's nginx at /h/<host>/…) is on this page's origin, ws: or wss: after it.
 */
export function hostSocketUrl(
  answer: string,
  page: { readonly protocol: string; readonly host: string },
  params: SocketParams,
): string {
  const url = new URL(answer, `${page.protocol}//${page.host}`);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.toString();
}

/** Asks the entry for a ticket to `host` before each (re)connect. */
export function useFleetSockets(host: string): void {
  useSocketUrlProvider(async (domain, target) => {
    const answer = await fetchJson<{ ticket: string; url: string }>('/api/fleet/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ host, domain, console: ticketConsole(target) }),
    });
    return (params) => hostSocketUrl(answer.url, location, params);
  });
}

/**
 * On a console page: at an entry (its session says `fleet: "entry"`), takes the host from
 * `/console/<host>/…`, points paths and sockets at it and returns it; null on a standalone host.
 */
export async function enterFleetConsole(pathname: string): Promise<string | null> {
  const session = await getSession().catch(() => null);
  if (session?.fleet !== 'entry') return null;
  const match = /^\/console\/([^/]+)\//.exec(pathname);
  if (!match?.[1]) return null;
  let host: string;
  try {
    host = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  useConsoleHost(host);
  if (parseConsolePath(pathname) === null) {
    useConsoleHost(null);
    return null;
  }
  useFleetSockets(host);
  document.body.classList.add('fleet');
  return host;
}
