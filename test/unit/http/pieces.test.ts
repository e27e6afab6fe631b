// Small pure parts: glob ACL, client address behind proxies, Origin, rate limiter, tickets,
// route parsing, log redaction.
import type { IncomingMessage } from 'node:http';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createAccessPolicy, globToRegExp } from '../../../src/http/access.js';
import { LoginRateLimiter } from '../../../src/http/auth/rate-limit.js';
import { TicketStore } from '../../../src/http/auth/tickets.js';
import { createClientResolver, originAllowed } from '../../../src/http/client.js';
import { createLogger, safeUrl } from '../../../src/http/log.js';
import { parseWsRoute } from '../../../src/http/upgrade.js';

function request(
  remote: string | undefined,
  headers: Record<string, string>,
  encrypted = false,
): IncomingMessage {
  return { socket: { remoteAddress: remote, encrypted }, headers } as unknown as IncomingMessage;
}

describe('ACL globs', () => {
  it('matches whole names with * and ?, everything else literal', () => {
    expect(globToRegExp('web-*').test('web-1')).toBe(true);
    expect(globToRegExp('web-*').test('xweb-1')).toBe(false);
    expect(globToRegExp('db-?').test('db-12')).toBe(false);
    expect(globToRegExp('a.b(c)[d]').test('a.b(c)[d]')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
    const policy = createAccessPolicy({ bob: { domains: ['web-*', 'ドメイン'] } });
    expect(policy('bob', 'viewer', 'basic').canSee('ドメイン')).toBe(true);
    expect(policy('bob', 'viewer', 'basic').canSee('db-1')).toBe(false);
    expect(policy('alice', 'operator', 'basic').canSee('db-1')).toBe(true);
  });
});

describe('client address and scheme', () => {
  it('ignores X-Forwarded-* from untrusted peers', () => {
    const resolve = createClientResolver([]);
    expect(
      resolve(request('10.1.1.1', { 'x-forwarded-for': '1.2.3.4', 'x-forwarded-proto': 'https' })),
    ).toEqual({
      address: '10.1.1.1',
      scheme: 'http',
    });
  });

  it('walks X-Forwarded-For through trusted proxies only', () => {
    const resolve = createClientResolver(['10.0.0.0/8', '::1']);
    const req = request('::ffff:10.0.0.5', {
      'x-forwarded-for': '6.6.6.6, 1.2.3.4, 10.0.0.9',
      'x-forwarded-proto': 'https',
    });
    expect(resolve(req)).toEqual({ address: '1.2.3.4', scheme: 'https' });
    expect(resolve(request('::1', {}, true))).toEqual({ address: '::1', scheme: 'https' });
  });

  it('trusts a UNIX-socket peer only when told to', () => {
    expect(createClientResolver([])(request(undefined, { 'x-forwarded-for': '1.2.3.4' })).address).toBe(
      'unix',
    );
    expect(createClientResolver(['unix'])(request(undefined, { 'x-forwarded-for': '1.2.3.4' })).address).toBe(
      '1.2.3.4',
    );
  });

  it('checks Origin against Host with the scheme, or the allow-list', () => {
    const http = { address: 'x', scheme: 'http' } as const;
    const https = { address: 'x', scheme: 'https' } as const;
    const req = (origin: string): IncomingMessage => request('1.1.1.1', { origin, host: 'vm.example:8443' });
    expect(originAllowed(req('http://vm.example:8443'), http, [])).toBe(true);
    expect(originAllowed(req('https://vm.example:8443'), http, [])).toBe(false);
    expect(originAllowed(req('https://vm.example:8443'), https, [])).toBe(true);
    expect(originAllowed(req('https://other.example'), https, ['https://other.example'])).toBe(true);
    expect(originAllowed(req('null'), https, [])).toBe(false);
    expect(originAllowed(request('1.1.1.1', { host: 'vm.example' }), http, [])).toBe(true);
  });
});

describe('rate limiter', () => {
  it('blocks after maxFailures inside the window and forgets old failures', () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter(3, 60_000, () => now);
    for (let i = 0; i < 3; i++) {
      expect(limiter.retryAfter('a')).toBe(0);
      limiter.recordFailure('a');
      now += 1000;
    }
    expect(limiter.retryAfter('a')).toBe(57);
    expect(limiter.retryAfter('b')).toBe(0);
    now += 57_500;
    expect(limiter.retryAfter('a')).toBe(0);
  });
});

describe('tickets', () => {
  it('are single-use, expire, and name one console', () => {
    let now = 0;
    const store = new TicketStore(10_000, () => now);
    const ref = { kind: 'serial', domain: 'web-1', index: 0 } as const;
    const a = store.issue('alice', 'operator', ref);
    expect(a.ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(store.redeem(a.ticket, ref)).toMatchObject({ user: 'alice', role: 'operator' });
    expect(store.redeem(a.ticket, ref)).toBeNull();
    const b = store.issue('alice', 'operator', ref);
    now = 10_000;
    expect(store.redeem(b.ticket, ref)).toBeNull();
    const c = store.issue('alice', 'operator', ref);
    expect(store.redeem(c.ticket, { ...ref, index: 1 })).toBeNull();
    expect(store.redeem(c.ticket, ref)).toBeNull();
  });
});

describe('SPICE tickets', () => {
  it('serve every channel connection of a session until they expire, for that console only', () => {
    let now = 0;
    const store = new TicketStore(10_000, () => now);
    const ref = { kind: 'spice', domain: 'web-1' } as const;
    const { ticket } = store.issue('alice', 'viewer', ref);
    for (let channel = 0; channel < 5; channel++) {
      expect(store.redeem(ticket, ref)).toMatchObject({ user: 'alice', role: 'viewer' });
    }
    expect(store.redeem(ticket, { kind: 'vnc', domain: 'web-1' })).toBeNull();
    // A wrong console consumed it, like any ticket.
    expect(store.redeem(ticket, ref)).toBeNull();
    const later = store.issue('alice', 'viewer', ref).ticket;
    expect(store.redeem(later, { kind: 'spice', domain: 'web-2' })).toBeNull();
    const expiring = store.issue('alice', 'viewer', ref).ticket;
    now = 10_000;
    expect(store.redeem(expiring, ref)).toBeNull();
  });
});

describe('ticket memory', () => {
  const ref = { kind: 'vnc', domain: 'web-1' } as const;

  it('keeps at most 10 000 outstanding tickets, dropping the oldest', () => {
    const store = new TicketStore(10_000, () => 0);
    const first = store.issue('user-0', 'operator', ref).ticket;
    const second = store.issue('user-1', 'operator', ref).ticket;
    for (let i = 0; i < 9_999; i++) store.issue(`user-${i % 500}`, 'operator', ref);
    expect(store.redeem(first, ref)).toBeNull();
    expect(store.redeem(second, ref)).not.toBeNull();
  });

  it('keeps at most 64 per user, so one user cannot push out the tickets of others', () => {
    const store = new TicketStore(10_000, () => 0);
    const alices = store.issue('alice', 'operator', ref).ticket;
    const mallorys = Array.from({ length: 20_000 }, () => store.issue('mallory', 'operator', ref).ticket);
    expect(store.redeem(alices, ref)).toMatchObject({ user: 'alice' });
    expect(store.redeem(mallorys[0]!, ref)).toBeNull();
    expect(store.redeem(mallorys.at(-64)!, ref)).toMatchObject({ user: 'mallory' });
    expect(store.redeem(mallorys.at(-65)!, ref)).toBeNull();
  });
});

describe('WebSocket routes', () => {
  it('decodes segments once and reads offsets and tickets', () => {
    expect(parseWsRoute('/ws/serial/%3Cimg%3E%20x/2?from=10&ticket=t')).toEqual({
      consoleRef: { kind: 'serial', domain: '<img> x', index: 2 },
      options: { from: 10 },
      ticket: 't',
    });
    expect(parseWsRoute('/ws/vnc/a%252Fb').consoleRef).toEqual({ kind: 'vnc', domain: 'a%2Fb' });
    expect(parseWsRoute('/ws/spice/web%201?takeover=1&ticket=t')).toEqual({
      consoleRef: { kind: 'spice', domain: 'web 1' },
      options: {},
      spice: { takeover: true },
      ticket: 't',
    });
    expect(parseWsRoute('/ws/spice/web-1').spice).toEqual({ takeover: false });
    expect(() => parseWsRoute('/ws/spice/web-1/2')).toThrow(/no such WebSocket route/);
    expect(() => parseWsRoute('/ws/serial/a/0?last=-5')).toThrow(/last must be/);
    expect(() => parseWsRoute('/ws/serial/%E0%A4%A/0')).toThrow(/percent-encoding/);
    expect(() => parseWsRoute('/ws/vnc/a/extra')).toThrow(/no such WebSocket route/);
  });

  it('routes the VNC control channel and keeps only a plain window tag', () => {
    expect(parseWsRoute('/ws/vnc/web1/control?window=k3f9&ticket=t')).toEqual({
      consoleRef: { kind: 'vnc', domain: 'web1' },
      options: {},
      ticket: 't',
      vncControl: true,
      window: 'k3f9',
    });
    expect(parseWsRoute('/ws/serial/web1/0?window=%3Cb%3E')).not.toHaveProperty('window');
    expect(parseWsRoute('/ws/serial/web1/0?window=w-1').window).toBe('w-1');
  });
});

describe('log redaction', () => {
  it('censors Authorization headers, tickets and passwords', () => {
    let out = '';
    const sink = new Writable({
      write(chunk: Buffer, _e, done) {
        out += chunk.toString();
        done();
      },
    });
    const logger = createLogger('info', sink);
    logger.info(
      { req: { headers: { authorization: 'Basic c2VjcmV0' } }, ticket: 'abc', password: 'pw' },
      'x',
    );
    expect(out).not.toContain('c2VjcmV0');
    expect(out).not.toContain('"abc"');
    expect(out).not.toContain('"pw"');
    expect(safeUrl('/ws/vnc/a?x=1&ticket=SECRET&y=2')).toBe('/ws/vnc/a?x=1&ticket=[redacted]&y=2');
    // The server reads the parameter name percent-decoded (URLSearchParams): so does the log.
    expect(safeUrl('/ws/vnc/a?%74icket=SECRET')).toBe('/ws/vnc/a?%74icket=[redacted]');
    expect(safeUrl('/ws/vnc/a?x=1&%74%69cket=SECRET#f')).toBe('/ws/vnc/a?x=1&%74%69cket=[redacted]#f');
    expect(safeUrl('/ws/vnc/a?bad=%E0&ticket=SECRET')).toBe('/ws/vnc/a?bad=%E0&ticket=[redacted]');
  });
});
