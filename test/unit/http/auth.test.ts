// Every door needs credentials: routes, static assets, API, event stream and upgrades; wrong
// passwords are counted per client address and the sixth try is refused with 429.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPasswordChecker } from '../../../src/http/index.js';
import {
  ALICE,
  basic,
  expectOpen,
  expectRefused,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';

const ROUTES: readonly [string, string][] = [
  ['GET', '/'],
  ['GET', '/console/web-1'],
  ['GET', '/console/web-1/serial/0'],
  ['GET', '/assets/list.page.js'],
  ['GET', '/api/session'],
  ['GET', '/api/domains'],
  ['GET', '/api/domains/web-1'],
  ['GET', '/api/domains/web-1/serial/0/history'],
  ['GET', '/api/events'],
  ['POST', '/api/tickets'],
  ['GET', '/no/such/route'],
];

describe('authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1'));
  });
  afterAll(() => h.close());

  it.each(ROUTES)('%s %s without credentials → 401 with a Basic challenge', async (method, route) => {
    const res = await fetch(h.base + route, { method });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="virt-webconsole"/);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VWC_ERR_AUTH_REQUIRED');
  });

  it.each(['/ws/serial/web-1/0', '/ws/vnc/web-1', '/ws/nothing', '/ws/serial/no-such-vm/0'])(
    'upgrade %s without credentials → 401 before the handshake',
    async (route) => {
      const { status, code } = await expectRefused(tryUpgrade(h.wsBase + route));
      expect(status).toBe(401);
      expect(code).toBe('VWC_ERR_AUTH_REQUIRED');
    },
  );

  it('serves pages, assets and the API with valid credentials', async () => {
    for (const route of ['/', '/console/web-1', '/assets/list.page.js', '/api/session']) {
      const res = await fetch(h.base + route, { headers: { authorization: ALICE } });
      expect(res.status, route).toBe(200);
    }
    const session = await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } });
    expect(await session.json()).toEqual({ user: 'alice', role: 'operator', via: 'basic' });
  });

  it('/healthz answers without credentials and reveals nothing else', async () => {
    const res = await fetch(`${h.base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', version: 'unknown' });
  });
});

describe('failed-login rate limit', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1'));
  });
  afterAll(() => h.close());

  it('answers 401 to five wrong passwords, 429 to the sixth try, and lifts after the window', async () => {
    // Successes do not count.
    for (let i = 0; i < 3; i++) {
      expect((await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } })).status).toBe(200);
    }
    for (let i = 1; i <= 5; i++) {
      const res = await fetch(`${h.base}/api/session`, {
        headers: { authorization: basic('alice', `wrong-${i}`) },
      });
      expect(res.status, `try ${i}`).toBe(401);
    }
    const sixth = await fetch(`${h.base}/api/session`, {
      headers: { authorization: basic('alice', 'wrong-6') },
    });
    expect(sixth.status).toBe(429);
    expect(Number(sixth.headers.get('retry-after'))).toBeGreaterThan(0);
    // Blocked means blocked, even with the right password, and on upgrades too.
    expect((await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } })).status).toBe(429);
    const upgrade = await expectRefused(
      tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE }),
    );
    expect(upgrade).toEqual({ status: 429, code: 'VWC_ERR_RATE_LIMITED' });

    h.advance(301_000);
    expect((await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } })).status).toBe(200);
  });

  it('counts failed upgrade logins and bad tickets too', async () => {
    h.advance(301_000);
    for (let i = 1; i <= 3; i++) {
      const r = await expectRefused(
        tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: basic('alice', 'no') }),
      );
      expect(r.status).toBe(401);
    }
    for (let i = 1; i <= 2; i++) {
      const r = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1?ticket=forged-${i}`));
      expect(r).toEqual({ status: 401, code: 'VWC_ERR_TICKET_INVALID' });
    }
    const sixth = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }));
    expect(sixth.status).toBe(429);
    h.advance(301_000);
    const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }));
    open.ws.close();
  });
});

describe('parallel logins', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('cannot outrun the failure count with a burst of parallel guesses', async () => {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${h.base}/api/session`, { headers: { authorization: basic('alice', `guess-${i}`) } }).then(
          (res) => res.status,
        ),
      ),
    );
    expect(answers.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(answers.filter((s) => s !== 401).every((s) => s === 429)).toBe(true);
    const failures = h.logs.lines.filter((l) => l.msg === 'login failed').length;
    expect(failures).toBeLessThanOrEqual(5);
  });

  it("shares one check among a page's parallel first requests", async () => {
    h.advance(301_000);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () =>
        fetch(`${h.base}/api/session`, { headers: { authorization: basic('victor', 'victor-pw') } }).then(
          (res) => res.status,
        ),
      ),
    );
    expect(answers).toEqual(Array.from({ length: 8 }, () => 200));
  });
});

describe('password checks waiting for the bcrypt worker', () => {
  it('answer 429 with Retry-After beyond the limit, not 401 or 500, and count no failure', async () => {
    // A waiting limit of 0: every check is "one too many", on pages and upgrades alike.
    const checker = createPasswordChecker({ maxPending: 0 });
    const h = await startHarness({ passwordChecker: checker });
    try {
      h.registry.set(fakeVm('web-1'));
      const res = await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } });
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('1');
      const refused = await expectRefused(
        tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE, origin: h.base }),
      );
      expect(refused).toEqual({ status: 429, code: 'VWC_ERR_RATE_LIMITED' });
      expect(h.logs.lines.filter((l) => l.msg === 'login failed')).toHaveLength(0);
    } finally {
      await h.close();
      await checker.close();
    }
  });
});

describe('users file changed to a weak hash while running', () => {
  it('fails closed with a generic 500 and names the fix in the log', async () => {
    const h = await startHarness();
    try {
      const { appendFileSync } = await import('node:fs');
      const path = await import('node:path');
      appendFileSync(path.join(h.dir, 'users'), 'mallory:$apr1$x$y\n');
      const res = await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: { code: 'VWC_ERR_USERS_FILE', message: 'server error; see the daemon log' },
      });
      const logged = h.logs.lines.find((l) => l.msg === 'request failed');
      expect(JSON.stringify(logged)).toContain('virt-webconsole passwd mallory');
    } finally {
      await h.close();
    }
  });
});
