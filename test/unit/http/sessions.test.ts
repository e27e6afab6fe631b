// The login-session store on an injected clock: idle and absolute timeouts, logout, the
// per-user and total bounds; and the login page's `next` check (no open redirect).
import { describe, expect, it } from 'vitest';
import { safeNext } from '../../../src/http/auth/session-cookie.js';
import { SessionStore, type SessionLimits } from '../../../src/http/auth/sessions.js';

const MINUTE = 60_000;
const LIMITS: SessionLimits = { idleMs: 30 * MINUTE, absoluteMs: 120 * MINUTE, maxPerUser: 3, maxTotal: 5 };

function storeAt(limits: SessionLimits = LIMITS): { store: SessionStore; advance: (ms: number) => void } {
  let clock = 1_000_000;
  return {
    store: new SessionStore(limits, () => clock),
    advance: (ms) => {
      clock += ms;
    },
  };
}

describe('SessionStore', () => {
  it('makes 256-bit random ids and finds the session by its id only', () => {
    const { store } = storeAt();
    const a = store.create('alice', 's1');
    const b = store.create('alice', 's1');
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.id).not.toBe(b.id);
    expect(store.use(a.id)).toMatchObject({ user: 'alice', stamp: 's1' });
    expect(store.use(a.id.slice(0, -1) + (a.id.endsWith('A') ? 'B' : 'A'))).toBeNull();
    expect(store.use('')).toBeNull();
    expect(store.use('x'.repeat(1000))).toBeNull();
  });

  it('ends a session left unused for the idle timeout; use keeps it alive', () => {
    const { store, advance } = storeAt();
    const { id } = store.create('alice', 's');
    advance(29 * MINUTE);
    expect(store.use(id)).not.toBeNull();
    advance(29 * MINUTE);
    expect(store.use(id)).not.toBeNull();
    advance(30 * MINUTE);
    expect(store.use(id)).toBeNull();
    expect(store.size).toBe(0);
  });

  it('ends a session at the absolute timeout however busy it is', () => {
    const { store, advance } = storeAt();
    const { id, expiresAt } = store.create('alice', 's');
    for (let t = 0; t < 119; t += 10) {
      expect(store.use(id), `minute ${t}`).not.toBeNull();
      advance(10 * MINUTE);
    }
    expect(store.use(id)).toBeNull();
    expect(expiresAt).toBe(1_000_000 + 120 * MINUTE);
  });

  it('ends one session on logout and leaves the others', () => {
    const { store } = storeAt();
    const a = store.create('alice', 's');
    const b = store.create('alice', 's');
    expect(store.end(a.id)).toBe(true);
    expect(store.end(a.id)).toBe(false);
    expect(store.use(a.id)).toBeNull();
    expect(store.use(b.id)).not.toBeNull();
  });

  it('keeps at most maxPerUser sessions per user, ending the oldest first', () => {
    const { store } = storeAt();
    const ids = [1, 2, 3, 4].map(() => store.create('alice', 's').id);
    const other = store.create('victor', 's').id;
    expect(ids.map((id) => store.use(id) !== null)).toEqual([false, true, true, true]);
    expect(store.use(other)).not.toBeNull();
  });

  it('keeps at most maxTotal sessions in all', () => {
    const { store } = storeAt();
    const ids = ['a', 'b', 'c', 'd', 'e', 'f'].map((user) => store.create(user, 's').id);
    expect(store.size).toBe(5);
    expect(store.use(ids[0]!)).toBeNull();
    expect(store.use(ids[5]!)).not.toBeNull();
  });

  it('endWhere ends the sessions of a changed user', () => {
    const { store } = storeAt();
    const a = store.create('alice', 'old');
    const v = store.create('victor', 'v');
    expect(store.endWhere((s) => s.user === 'alice' && s.stamp !== 'new')).toBe(1);
    expect(store.use(a.id)).toBeNull();
    expect(store.use(v.id)).not.toBeNull();
  });
});

describe('safeNext', () => {
  it.each([
    ['/', '/'],
    ['/console/web-1', '/console/web-1'],
    ['/console/a%2Fb/serial/0?x=1#top', '/console/a%2Fb/serial/0?x=1#top'],
  ])('keeps the site path %s', (given, expected) => {
    expect(safeNext(given)).toBe(expected);
  });

  it.each([
    '//evil.example/',
    '/\\evil.example',
    'https://evil.example/',
    'javascript:alert(1)',
    'evil',
    '/\tevil',
    '/login',
    '/login?next=/x',
    '',
    '/' + 'a'.repeat(3000),
  ])('sends %j to / instead', (given) => {
    expect(safeNext(given)).toBe('/');
  });

  it('sends a non-string to /', () => {
    expect(safeNext(undefined)).toBe('/');
    expect(safeNext(['/x'])).toBe('/');
  });
});
