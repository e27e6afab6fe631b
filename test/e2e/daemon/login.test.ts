// The login form in Chromium against the real daemon and a real guest: an anonymous page load
// goes to the form, a wrong password says so (and counts towards the lockout), the right one
// leads back to the console, whose WebSocket the session cookie opens; Log out ends the session
// on the server, so the old cookie opens neither the API nor a console.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveScreenshot, type Browser } from '../../helpers/browser.js';
import type { RunningDaemon } from '../../helpers/daemon.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { expectRefused, tryUpgrade } from '../../../harness/http-server.js';
import { waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

/** Opens a WebSocket from the page with no ticket: only the cookie can authenticate it. */
function cookieWebSocket(page: Page, path: string): Promise<string> {
  return page.evaluate(
    (p) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://${location.host}${p}`);
        ws.onmessage = (e) => {
          resolve(typeof e.data === 'string' ? `open ${e.data}` : 'open binary');
          ws.close();
        };
        ws.onclose = (e) => {
          resolve(`closed ${e.code}`);
        };
      }),
    path,
  );
}

/** Lines the daemon logged with this message, parsed. */
function logged(daemon: RunningDaemon, msg: string): Record<string, unknown>[] {
  return daemon
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('login form, session cookie and logout in Chromium', () => {
  const rig = useE2eDaemon({
    users: [alice],
    domains: { guest: { label: 'e2e-login', serials: ['pty'], vnc: 'none' } },
    config: { loginRateLimit: { maxFailures: 3, windowSeconds: 300 } },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await rig.launch();
  });

  it('logs in through the form, opens a console with the cookie, logs out, and the old cookie is refused', async () => {
    const page = await browser.context.newPage();
    const consolePath = `/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`;
    await page.goto(rig.daemon.url + consolePath);
    expect(new URL(page.url()).pathname).toBe('/login');
    expect(new URL(page.url()).searchParams.get('next')).toBe(consolePath);
    expect(await page.locator('#username').getAttribute('autocomplete')).toBe('username');
    expect(await page.locator('#password').getAttribute('autocomplete')).toBe('current-password');

    await page.locator('#username').fill(alice.name);
    await page.locator('#password').fill('not-the-password');
    await page.locator('button[type=submit]').click();
    await page.locator('#login-message').waitFor({ state: 'visible' });
    expect(await page.locator('#login-message').innerText()).toBe('Wrong user name or password.');
    expect(new URL(page.url()).searchParams.get('next')).toBe(consolePath);
    await saveScreenshot(page, 'login-failed.png', true);
    expect(logged(rig.daemon, 'login failed').map((l) => [l.user, l.via])).toEqual([['alice', 'form']]);

    await page.locator('#username').fill(alice.name);
    await page.locator('#password').fill(alice.password);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((url) => url.pathname === consolePath);
    await waitFor('signed-in line', async () =>
      (await page.locator('#session').innerText()).includes('Signed in as alice'),
    );
    const [cookie] = await browser.context.cookies(rig.daemon.url);
    expect(cookie).toMatchObject({ name: 'vwc_session', httpOnly: true, sameSite: 'Strict', path: '/' });
    // The page's own console (ticketed) and one opened with nothing but the cookie.
    await waitFor('serial terminal', () => page.locator('.serial-screen').isVisible());
    const opened = await cookieWebSocket(page, `/ws/serial/${encodeURIComponent(rig.guests.guest.name)}/0`);
    expect(opened).toMatch(/^open \{/);
    expect(JSON.parse(opened.slice('open '.length))).toMatchObject({ type: 'hello' });
    // The daemon's log line comes through its stdout pipe, which may lag the socket under load.
    await waitFor('the cookie attach logged', () =>
      logged(rig.daemon, 'console attach').some((l) => l.via === 'session' && l.user === 'alice'),
    );
    expect(logged(rig.daemon, 'login').map((l) => [l.user, l.via])).toEqual([['alice', 'form']]);

    await page.locator('button[data-action=logout]').click();
    await page.waitForURL((url) => url.pathname === '/login');
    expect(await page.locator('#login-message').innerText()).toBe('You have logged out.');
    expect(await browser.context.cookies(rig.daemon.url)).toEqual([]);
    expect(logged(rig.daemon, 'logout').map((l) => l.user)).toEqual(['alice']);

    // The old cookie, replayed from outside the browser: refused on the API and on an upgrade.
    const old = `vwc_session=${cookie!.value}`;
    const api = await fetch(`${rig.daemon.url}/api/session`, { headers: { cookie: old } });
    expect(api.status).toBe(401);
    const refused = await expectRefused(
      tryUpgrade(
        `${rig.daemon.url.replace(/^http/, 'ws')}/ws/serial/${encodeURIComponent(rig.guests.guest.name)}/0`,
        {
          cookie: old,
        },
      ),
    );
    expect(refused).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
    await page.goto(rig.daemon.url + '/');
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('counts wrong passwords on the form towards the lockout, and says so', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${rig.daemon.url}/login`);
    // One failure is already counted by the first test; maxFailures is 3.
    for (let i = 0; i < 2; i++) {
      await page.locator('#username').fill(alice.name);
      await page.locator('#password').fill(`guess-${i}`);
      await page.locator('button[type=submit]').click();
      await page.waitForURL((url) => url.searchParams.get('error') === 'failed');
    }
    await page.locator('#username').fill(alice.name);
    await page.locator('#password').fill(alice.password);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((url) => url.searchParams.get('error') === 'limited');
    expect(await page.locator('#login-message').innerText()).toContain('Too many failed logins');
    const basic = `Basic ${Buffer.from(`${alice.name}:${alice.password}`).toString('base64')}`;
    const viaBasic = await fetch(`${rig.daemon.url}/api/session`, { headers: { authorization: basic } });
    expect(viaBasic.status).toBe(429);
  });
});
