// Error answers: JSON `{ error: { code, message } }` with the catalogue's HTTP status, for
// express responses and for refused WebSocket upgrades (written on the raw socket).
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { VwcError, isVwcError } from '../errors/index.js';

export const REALM = 'Basic realm="virt-webconsole", charset="UTF-8"';

export function toVwcError(error: unknown): VwcError {
  return isVwcError(error) ? error : new VwcError('VWC_ERR_INTERNAL', 'internal error', { cause: error });
}

/**
 * 401s that must not carry a Basic challenge: they answer a browser that logs in with the form,
 * and a challenge would make the browser pop up its own password prompt over the page.
 */
const NO_CHALLENGE = new Set<string>([
  'VWC_ERR_LOGIN_FAILED',
  'VWC_ERR_SESSION_EXPIRED',
  // Fleet callers are entries and pages holding a ticket: a password would not help.
  'VWC_ERR_FLEET_TOKEN',
  'VWC_ERR_FLEET_TICKET_INVALID',
]);

/** Headers that go with an error: a Basic challenge on 401, Retry-After on 429. */
export function errorHeaders(error: VwcError, retryAfter?: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (error.httpStatus === 401 && !NO_CHALLENGE.has(error.code)) headers['www-authenticate'] = REALM;
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  return headers;
}

function body(error: VwcError): string {
  // Server-side faults may name files or commands: the details go to the log, not the client.
  const message = error.httpStatus >= 500 ? 'server error; see the daemon log' : error.message;
  return JSON.stringify({ error: { code: error.code, message } });
}

export function sendError(res: ServerResponse, error: VwcError, retryAfter?: number): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(error.httpStatus, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    ...errorHeaders(error, retryAfter),
  });
  res.end(body(error));
}

/** Refuses a WebSocket upgrade with a plain HTTP response, then closes the socket. */
export function refuseUpgrade(socket: Duplex, error: VwcError, retryAfter?: number): void {
  if (socket.destroyed) return;
  const text = body(error);
  const headers = {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
    Connection: 'close',
    ...errorHeaders(error, retryAfter),
  };
  const head = Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${error.httpStatus} ${STATUS_CODES[error.httpStatus] ?? ''}\r\n${head}\r\n${text}`);
  socket.once('finish', () => socket.destroy());
}
