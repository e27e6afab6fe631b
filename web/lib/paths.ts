// URL building and parsing for the pages. Domain names are untrusted and may contain any
// character: they always travel as one encodeURIComponent'ed path segment, and are decoded once.
import type { ConsoleRef } from './types.js';

export function encodeName(name: string): string {
  return encodeURIComponent(name);
}

// At a fleet entry the console page is `/console/<host>/<domain>…` and the domain's API is the
// entry's `/api/fleet/hosts/<host>/domains/<domain>` (docs/fleet.md): web/lib/fleet.ts sets the
// host once, before anything builds a path; null on a standalone host (paths as always).
let consoleHost: string | null = null;
export function useConsoleHost(host: string | null): void {
  consoleHost = host;
}

/** `/console/<domain>`, `/console/<domain>/vnc` or `/console/<domain>/serial/<n>`. */
export function consolePath(name: string, ref?: ConsoleRef): string {
  return consolePathOn(consoleHost, name, ref);
}

/** consolePath on a given fleet host (`/console/<host>/<domain>…`), or a standalone one (null). */
export function consolePathOn(host: string | null, name: string, ref?: ConsoleRef): string {
  const base =
    host === null ? `/console/${encodeName(name)}` : `/console/${encodeName(host)}/${encodeName(name)}`;
  if (!ref) return base;
  return ref.kind === 'serial' ? `${base}/serial/${ref.index}` : `${base}/${ref.kind}`;
}

export function domainApiPath(name: string): string {
  if (consoleHost !== null) return `/api/fleet/hosts/${encodeName(consoleHost)}/domains/${encodeName(name)}`;
  return `/api/domains/${encodeName(name)}`;
}

/** The recordings page of a domain, or the player of one recording (docs/vnc.md "Recording"). */
export function recordingsPagePath(name: string, id?: string): string {
  return `/recordings/${encodeName(name)}${id ? `/${encodeURIComponent(id)}` : ''}`;
}

/** A serial port's log on disk as a download (docs/interfaces.md). */
export function serialLogPath(name: string, index: number, format: 'text' | 'asciicast'): string {
  const query = format === 'text' ? 'format=text&strip=1' : 'format=asciicast';
  return `${domainApiPath(name)}/serial/${index}/log?${query}`;
}

export interface ConsoleLocation {
  readonly domain: string;
  /** null for `/console/<domain>`: the page picks VNC if there is one, else serial 0. */
  readonly ref: ConsoleRef | null;
}

/** Reads a console page's pathname; null when it is not one (or the name is badly encoded). */
export function parseConsolePath(pathname: string): ConsoleLocation | null {
  if (consoleHost !== null) {
    const prefix = `/console/${encodeName(consoleHost)}`;
    if (!pathname.startsWith(`${prefix}/`)) return null;
    pathname = `/console${pathname.slice(prefix.length)}`;
  }
  const match = /^\/console\/([^/]+)(?:\/(vnc|spice|serial\/(\d{1,4})))?\/?$/.exec(pathname);
  if (!match?.[1]) return null;
  let domain: string;
  try {
    domain = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  if (match[2] === undefined) return { domain, ref: null };
  if (match[2] === 'vnc') return { domain, ref: { kind: 'vnc' } };
  if (match[2] === 'spice') return { domain, ref: { kind: 'spice' } };
  return { domain, ref: { kind: 'serial', index: Number(match[3]) } };
}

/** A same-origin WebSocket URL: ws: under http:, wss: under https:. */
export function wsUrl(
  location: { readonly protocol: string; readonly host: string },
  path: string,
  params: Readonly<Record<string, string | number>>,
): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) query.set(key, String(value));
  const search = query.toString();
  return `${scheme}//${location.host}${path}${search ? `?${search}` : ''}`;
}

export function vncSocketPath(name: string): string {
  return `/ws/vnc/${encodeName(name)}`;
}

export function spiceSocketPath(name: string): string {
  return `/ws/spice/${encodeName(name)}`;
}

export function serialSocketPath(name: string, index: number): string {
  return `/ws/serial/${encodeName(name)}/${index}`;
}

/** The VNC control channel (presence, input lock) beside the RFB socket. */
export function vncControlSocketPath(name: string): string {
  return `${vncSocketPath(name)}/control`;
}
