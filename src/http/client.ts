// The client's address and scheme as seen through trusted reverse proxies. X-Forwarded-For and
// X-Forwarded-Proto are believed only when the peer is a configured trusted proxy; the special
// entry `unix` trusts the peer of a UNIX-socket listener (the proxy in front of it).
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface ClientInfo {
  /** The client's address (after trusted proxies), or `unix` for a UNIX-socket peer. */
  readonly address: string;
  readonly scheme: 'http' | 'https';
}

export type ClientResolver = (req: IncomingMessage) => ClientInfo;

function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

export function createClientResolver(trustedProxies: readonly string[]): ClientResolver {
  const list = new net.BlockList();
  let trustUnix = false;
  for (const entry of trustedProxies) {
    if (entry === 'unix') {
      trustUnix = true;
      continue;
    }
    const [address = '', bits] = entry.split('/');
    const type = net.isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  const trusted = (address: string): boolean => {
    if (address === 'unix') return trustUnix;
    const family = net.isIP(address);
    return family !== 0 && list.check(address, family === 6 ? 'ipv6' : 'ipv4');
  };
  return (req) => {
    const peer = req.socket.remoteAddress === undefined ? 'unix' : normalise(req.socket.remoteAddress);
    const ownScheme = (req.socket as Partial<TLSSocket>).encrypted === true ? 'https' : 'http';
    if (!trusted(peer)) return { address: peer, scheme: ownScheme };
    // Walk X-Forwarded-For from the right while the hop is one of ours.
    const hops = headerValue(req, 'x-forwarded-for')
      .split(',')
      .map((h) => normalise(h.trim()))
      .filter((h) => h !== '');
    let address = peer;
    while (trusted(address) && hops.length > 0) address = hops.pop()!;
    const proto = headerValue(req, 'x-forwarded-proto').split(',')[0]?.trim().toLowerCase();
    return { address, scheme: proto === 'https' || proto === 'http' ? proto : ownScheme };
  };
}

function headerValue(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * Whether a browser's Origin may talk to us: the same scheme://host[:port] as the request's Host
 * (scheme from the connection or a trusted proxy), or one of the allowed origins. A missing
 * Origin (not a browser) is not a cross-site request and passes.
 */
export function originAllowed(
  req: IncomingMessage,
  client: ClientInfo,
  allowedOrigins: readonly string[],
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let given: string;
  try {
    given = new URL(origin).origin;
  } catch {
    return false;
  }
  if (allowedOrigins.includes(given)) return true;
  const host = req.headers.host;
  if (host === undefined) return false;
  try {
    return new URL(`${client.scheme}://${host}`).origin === given;
  } catch {
    return false;
  }
}
