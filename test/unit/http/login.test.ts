// The login form's routes on a real server: the redirect of an anonymous page load, the cookie
// and its flags, a session on the API and on a WebSocket upgrade, logout, timeouts, a changed
// password, the Origin checks and the shared lockout with Basic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUser } from '../../../src/http/index.js';
import {
  ALICE,
  expectOpen,
  expectRefused,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';

const WEB_FILES = {
  'list.html': '<!doctype html><title>list</title>',
  'console.html': '<!doctype html><title>console</title>',
  'login.html': '<!doctype html><title>login</title><form></form>',
  'login.page.js': 'console.log("login")',
  'list.page.js': 'console.log("list")',
  'style.css': 'body {}',
  'theme.classic.js': 'document.documentElement.dataset.theme = "light"',
};

async function startLoginHarness(config = {}): Promise<Harness> {
  const h = await startHarness({ webFiles: WEB_FILES, config });
  h.registry.set(fakeVm('web-1'));
  return h;
}

/** Logs in with JSON; the cookie pair (`vwc_session=…`) and the whole Set-Cookie line. */
async function login(
  h: Harness,
  user = 'alice',
  password = 'alice-pw',
): Promise<{ cookie: string; setCookie: string; res: Response }> {
  const res = await fetch(`${h.base}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: h.base },
    body: JSON.stringify({ username: user, password }),
  });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0] ?? '', setCookie, res };
}

function formLogin(h: Harness, fields: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${h.base}/api/login`, {
    method: 'POST',
    headers: { origin: h.base, ...headers },
    body: new URLSearchParams(fields),
    redirect: 'manual',
  });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as { error: { code: string } }).error.code;
}

describe('login pages and redirects', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startLoginHarness();
  });
  afterAll(() => h.close());

  it('serves /login and its assets without credentials, and nothing else', async () => {
    expect((await fetch(`${h.base}/login`)).status).toBe(200);
    expect((await fetch(`${h.base}/assets/login.page.js`)).status).toBe(200);
    expect((await fetch(`${h.base}/assets/style.css`)).status).toBe(200);
    expect((await fetch(`${h.base}/assets/theme.classic.js`)).status).toBe(200);
    expect((await fetch(`${h.base}/assets/list.page.js`)).status).toBe(401);
  });

  it('sends a browser opening a page to the login form with a safe next', async () => {
    const res = await fetch(`${h.base}/console/web-1/serial/0?x=1`, {
      headers: { accept: 'text/html,application/xhtml+xml' },
      redirect: 'manual',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(
      `/login?next=${encodeURIComponent('/console/web-1/serial/0?x=1')}`,
    );
  });

  it('answers the API and non-browser requests 401 with a Basic challenge, as before', async () => {
    for (const [route, accept] of [
      ['/api/domains', 'text/html'],
      ['/', '*/*'],
    ] as const) {
      const res = await fetch(h.base + route, { headers: { accept }, redirect: 'manual' });
      expect(res.status, route).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /);
    }
  });
});

describe('login sessions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startLoginHarness();
  });
  afterAll(() => h.close());

  it('sets an HttpOnly, SameSite=Strict cookie that opens the API and consoles', async () => {
    const { cookie, setCookie, res } = await login(h);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ user: 'alice', role: 'operator', next: '/' });
    expect(setCookie).toMatch(/^vwc_session=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).not.toMatch(/Secure/);
    const session = await fetch(`${h.base}/api/session`, { headers: { cookie } });
    expect(await session.json()).toEqual({ user: 'alice', role: 'operator', via: 'session' });
    const page = await fetch(`${h.base}/`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(200);
    const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { cookie, origin: h.base }));
    open.ws.close();
    expect(h.hub.attaches.at(-1)?.session.user).toBe('alice');
    expect(h.logs.lines.filter((l) => l.msg === 'console attach').at(-1)?.via).toBe('session');
    expect(h.logs.lines.some((l) => l.msg === 'login' && l.user === 'alice' && l.via === 'form')).toBe(true);
  });

  it('a form login answers 303 to next and the cookie; a bad next goes to /', async () => {
    const ok = await formLogin(h, { username: 'victor', password: 'victor-pw', next: '/console/web-1' });
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toBe('/console/web-1');
    expect(ok.headers.get('set-cookie')).toMatch(/^vwc_session=/);
    const evil = await formLogin(h, { username: 'victor', password: 'victor-pw', next: '//evil.example/' });
    expect(evil.headers.get('location')).toBe('/');
  });

  it('logout ends the session on the server: the old cookie is refused everywhere', async () => {
    const { cookie } = await login(h);
    const out = await fetch(`${h.base}/api/logout`, { method: 'POST', headers: { cookie, origin: h.base } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^vwc_session=; Max-Age=0/);
    const api = await fetch(`${h.base}/api/session`, { headers: { cookie } });
    expect(api.status).toBe(401);
    // A browser page: no Basic challenge, or the browser would pop up its own prompt.
    expect(api.headers.get('www-authenticate')).toBeNull();
    expect(await errorCode(api)).toBe('VWC_ERR_SESSION_EXPIRED');
    const page = await fetch(`${h.base}/`, { headers: { cookie, accept: 'text/html' }, redirect: 'manual' });
    expect(page.status).toBe(303);
    const refused = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { cookie, origin: h.base }));
    expect(refused).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
    expect(h.logs.lines.some((l) => l.msg === 'logout' && l.user === 'alice')).toBe(true);
  });

  it('a cookie-borne state change needs our Origin; Basic callers need none', async () => {
    const { cookie } = await login(h);
    const body = JSON.stringify({ domain: 'web-1', console: 'vnc' });
    const json = { 'content-type': 'application/json' };
    const without = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { ...json, cookie },
      body,
    });
    expect(without.status).toBe(403);
    const foreign = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { ...json, cookie, origin: 'https://evil.example' },
      body,
    });
    expect(foreign.status).toBe(403);
    const ours = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { ...json, cookie, origin: h.base },
      body,
    });
    expect(ours.status).toBe(201);
    const script = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { ...json, authorization: ALICE },
      body,
    });
    expect(script.status).toBe(201);
    const crossLogin = await formLogin(
      h,
      { username: 'alice', password: 'alice-pw' },
      { origin: 'https://evil.example' },
    );
    expect(crossLogin.status).toBe(403);
    // Our pages' forms post with `Origin: null` (no-referrer); the browser's Sec-Fetch-Site says whose.
    const nullCross = await formLogin(
      h,
      { username: 'alice', password: 'alice-pw' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
    );
    expect(nullCross.status).toBe(403);
    const nullOurs = await formLogin(
      h,
      { username: 'alice', password: 'alice-pw' },
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
    );
    expect(nullOurs.status).toBe(303);
    const crossLogout = await fetch(`${h.base}/api/logout`, {
      method: 'POST',
      headers: { cookie, origin: 'https://evil.example' },
    });
    expect(crossLogout.status).toBe(403);
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie } })).status).toBe(200);
  });

  it('ends a session after the idle timeout', async () => {
    const { cookie } = await login(h);
    h.advance(29 * 60_000);
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie } })).status).toBe(200);
    h.advance(31 * 60_000);
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie } })).status).toBe(401);
  });

  it('ends the sessions of a user whose password changed', async () => {
    const alice = await login(h);
    const victor = await login(h, 'victor', 'victor-pw');
    setUser(`${h.dir}/users`, 'alice', 'new-alice-pw', 'operator', 10);
    expect(h.web.http.endStaleSessions()).toBe(1);
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie: alice.cookie } })).status).toBe(401);
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie: victor.cookie } })).status).toBe(200);
    const again = await login(h, 'alice', 'new-alice-pw');
    expect(again.res.status).toBe(200);
    setUser(`${h.dir}/users`, 'alice', 'alice-pw', 'operator', 10);
    // Without a sweep, the next request notices the change by itself.
    expect((await fetch(`${h.base}/api/session`, { headers: { cookie: again.cookie } })).status).toBe(401);
  });
});

describe('login failures and lockout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startLoginHarness();
  });
  afterAll(() => h.close());

  it('a wrong password is a 401 without a challenge (JSON) or a 303 back to the form', async () => {
    const json = await login(h, 'alice', 'wrong');
    expect(json.res.status).toBe(401);
    expect(json.res.headers.get('www-authenticate')).toBeNull();
    expect(json.setCookie).toBe('');
    expect(await errorCode(json.res)).toBe('VWC_ERR_LOGIN_FAILED');
    const form = await formLogin(h, { username: 'alice', password: 'wrong', next: '/console/web-1' });
    expect(form.status).toBe(303);
    expect(form.headers.get('location')).toBe(
      `/login?error=failed&next=${encodeURIComponent('/console/web-1')}`,
    );
    const missing = await formLogin(h, { username: 'alice' });
    expect(missing.headers.get('location')).toBe('/login?error=missing&next=%2F');
    const failures = h.logs.lines.filter((l) => l.msg === 'login failed');
    expect(failures.map((l) => [l.user, l.via])).toEqual([
      ['alice', 'form'],
      ['alice', 'form'],
    ]);
  });

  it('form failures count towards the same lockout as Basic', async () => {
    for (let i = 0; i < 3; i++) await login(h, 'alice', `guess-${i}`);
    const limited = await login(h, 'alice', 'alice-pw');
    expect(limited.res.status).toBe(429);
    expect(limited.res.headers.get('retry-after')).toMatch(/^\d+$/);
    const form = await formLogin(h, { username: 'alice', password: 'alice-pw' });
    expect(form.headers.get('location')).toBe('/login?error=limited&next=%2F');
    expect((await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } })).status).toBe(429);
    h.advance(301_000);
    expect((await login(h)).res.status).toBe(200);
  });
});

describe('behind a TLS-terminating proxy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startLoginHarness({ trustedProxies: ['127.0.0.1'] });
  });
  afterAll(() => h.close());

  it('marks the cookie Secure when the proxy says the browser speaks HTTPS', async () => {
    const res = await fetch(`${h.base}/api/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-forwarded-proto': 'https',
        origin: h.base.replace(/^http/, 'https'),
      },
      body: JSON.stringify({ username: 'alice', password: 'alice-pw' }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });
});
