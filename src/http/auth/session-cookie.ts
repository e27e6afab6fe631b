// The session cookie on the wire: HttpOnly (page scripts never see it), SameSite=Strict (no
// other site's page can make the browser send it), Path=/, and Secure whenever the browser
// talks HTTPS to us (directly or through a trusted proxy that says so). Also the login page's
// `next` parameter, checked so a login can only lead back into this site.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';
import type { ClientInfo } from '../client.js';

export const SESSION_COOKIE = 'vwc_session';

/** The session id the request's cookie names, or null when it carries none. */
export function sessionCookieOf(req: IncomingMessage): string | null {
  const header = req.headers.cookie;
  if (header === undefined) return null;
  return parseCookie(header)[SESSION_COOKIE] ?? null;
}

export function setSessionCookie(
  res: ServerResponse,
  client: ClientInfo,
  id: string,
  maxAgeSeconds: number,
): void {
  res.setHeader(
    'set-cookie',
    stringifySetCookie(SESSION_COOKIE, id, {
      httpOnly: true,
      sameSite: 'strict',
      secure: client.scheme === 'https',
      path: '/',
      maxAge: maxAgeSeconds,
    }),
  );
}

export function clearSessionCookie(res: ServerResponse, client: ClientInfo): void {
  res.setHeader(
    'set-cookie',
    stringifySetCookie(SESSION_COOKIE, '', {
      httpOnly: true,
      sameSite: 'strict',
      secure: client.scheme === 'https',
      path: '/',
      maxAge: 0,
    }),
  );
}

/**
 * Where a login may send the browser: a path of this site (`/…`), never another host
 * (`//evil`, `/\evil`, `https://…`), nor back to the login page. Anything else is `/`.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  // Spaces, control characters and backslashes: browsers strip them or turn them into `/`.
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return '/';
  }
  const url = new URL(value, 'http://x');
  if (url.origin !== 'http://x' || url.pathname === '/login') return '/';
  return url.pathname + url.search + url.hash;
}
