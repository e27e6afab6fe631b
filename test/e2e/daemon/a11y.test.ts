// axe-core on every page of the real daemon in Chromium, each in the light and the dark theme:
// the login page, the list, a real guest's console on its VNC tab and its serial tab, the
// console's transient states (a search with matches, the Log… dialog, the "read-only here"
// prompt, the VM stopped), a viewer's read-only console, and a 390×844 touch phone with the key
// bar. A serious or critical violation fails the test, which prints them all. (SPICE:
// spice.test.ts; recordings: recording.test.ts; the fleet list: test/e2e/web/fleet-pages.test.ts.)
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { violationsInThemes } from '../../helpers/axe.js';
import { launchBrowser, type Browser, type LaunchOptions } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { litPixels, typeUntilPrompt, waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const victor = { name: 'victor', password: 'victor-pw', role: 'viewer' } as const;

describe('accessibility (axe-core): no serious or critical violations, light and dark', () => {
  const rig = useE2eDaemon({
    users: [alice, victor],
    domains: { guest: { label: 'a11y', serials: ['pty'], vnc: 'unix', title: 'Accessibility guest' } },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await rig.launch({ bypassCSP: true });
  });

  async function loggedInPage(): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(`${rig.daemon.url}/login`);
    await page.locator('#username').fill(alice.name);
    await page.locator('#password').fill(alice.password);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((url) => url.pathname === '/');
    return page;
  }

  /** A page in a browser of its own, signed in with Basic as `user`; the browser closes after. */
  async function inOwnBrowser(
    user: { name: string; password: string },
    options: LaunchOptions,
    use: (page: Page) => Promise<void>,
  ): Promise<void> {
    const own = await launchBrowser({
      httpCredentials: { username: user.name, password: user.password },
      bypassCSP: true,
      ...options,
    });
    try {
      await use(await own.context.newPage());
    } finally {
      await own.close();
    }
  }

  const consoleUrl = (tail: string): string =>
    `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}${tail}`;

  async function openSerial(page: Page): Promise<void> {
    await page.goto(consoleUrl('/serial/0'));
    await waitFor('serial terminal', () => page.locator('.serial-screen').isVisible());
    await page.locator('#session .user').waitFor();
  }

  async function openVnc(page: Page): Promise<void> {
    await page.goto(consoleUrl('/vnc'));
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
  }

  it('the login page, also with an error shown', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${rig.daemon.url}/login`);
    const found = await violationsInThemes(page, 'login');
    await page.goto(`${rig.daemon.url}/login?error=failed`);
    await page.locator('#login-message').waitFor({ state: 'visible' });
    found.push(...(await violationsInThemes(page, 'login with an error')));
    expect(found).toEqual([]);
    await page.close();
  });

  it('the list page', async () => {
    const page = await loggedInPage();
    await page.locator(`tr[data-name="${rig.guests.guest.name}"]`).waitFor();
    await page.locator('#session .user').waitFor();
    expect(await violationsInThemes(page, 'list')).toEqual([]);
    await page.close();
  });

  it('the console page, VNC tab', async () => {
    const page = await loggedInPage();
    await openVnc(page);
    expect(await violationsInThemes(page, 'console (VNC)')).toEqual([]);
    await page.close();
  });

  it('the console page, serial tab: plain, searching, and with the Log… dialog open', async () => {
    const page = await loggedInPage();
    await openSerial(page);
    const found = await violationsInThemes(page, 'console (serial)');

    await typeUntilPrompt(page, promptFor('ttyS0'));
    await page.keyboard.type('echo a11y-$((6*7)); echo a11y-$((6*7))\n');
    const search = page.getByRole('searchbox', { name: 'Search output' });
    await search.fill('a11y-42');
    await search.press('Enter');
    await waitFor('a match selected', () =>
      page.evaluate(() => window.__vwc.serial[0]!.term.getSelection() === 'a11y-42'),
    );
    found.push(...(await violationsInThemes(page, 'console (serial, search matches)')));

    await page.locator('.serial-view .log-range').click();
    await page.locator('dialog.serial-log-dialog[open]').waitFor();
    found.push(...(await violationsInThemes(page, 'console (serial, Log… dialog)')));
    expect(found).toEqual([]);
    await page.close();
  });

  it('the "read-only here — take control" prompt of a window without the keyboard', async () => {
    const holder = await loggedInPage();
    await openSerial(holder);
    await typeUntilPrompt(holder, promptFor('ttyS0'));
    await waitFor('the first window holds the keyboard', async () =>
      (await holder.locator('.serial-view .lock').innerText()).includes('You have the keyboard'),
    );
    const other = await browser.context.newPage();
    await openSerial(other);
    await other.locator('.serial-screen').click();
    await other.keyboard.type('x');
    await other.locator('.serial-view .lock-prompt').waitFor({ state: 'visible' });
    expect(await violationsInThemes(other, 'console (serial, lock prompt)')).toEqual([]);
    await other.close();
    await holder.close();
  });

  it('a 390×844 touch phone: list, and the console with its key bar on serial and VNC', async () => {
    await inOwnBrowser(alice, { viewport: { width: 390, height: 844 }, mobile: true }, async (page) => {
      await page.goto(rig.daemon.url + '/');
      await page.locator(`tr[data-name="${rig.guests.guest.name}"]`).waitFor();
      const found = await violationsInThemes(page, 'phone list');

      await openSerial(page);
      await page.locator('.serial-view .key-bar').waitFor({ state: 'visible' });
      found.push(...(await violationsInThemes(page, 'phone console (serial, key bar)')));

      await page.getByRole('tab', { name: 'Screen' }).tap();
      await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
      await page.locator('.vnc-view .key-bar').waitFor({ state: 'visible' });
      found.push(...(await violationsInThemes(page, 'phone console (VNC, key bar)')));
      expect(found).toEqual([]);
    });
  });

  it('a viewer: the read-only badges on serial and VNC', async () => {
    await inOwnBrowser(victor, {}, async (page) => {
      await openSerial(page);
      await page.locator('.serial-view .badge-readonly').waitFor({ state: 'visible' });
      const found = await violationsInThemes(page, 'viewer console (serial)');
      await openVnc(page);
      await page.locator('.vnc-view .badge-readonly').waitFor({ state: 'visible' });
      found.push(...(await violationsInThemes(page, 'viewer console (VNC)')));
      expect(found).toEqual([]);
    });
  });

  // Last: the guest stays stopped.
  it('the VM stopped: the disconnected banner, the serial console banner, the list', async () => {
    const vnc = await loggedInPage();
    await openVnc(vnc);
    const serial = await browser.context.newPage();
    await openSerial(serial);
    await rig.guests.guest.destroy();

    await vnc.locator('.vnc-view .offline[data-kind="vm-stopped"]').waitFor({ state: 'visible' });
    const found = await violationsInThemes(vnc, 'console (VNC, VM stopped)');
    await serial.locator('.serial-view .banner-stopped').waitFor({ state: 'visible' });
    found.push(...(await violationsInThemes(serial, 'console (serial, VM stopped)')));
    await serial.goto(rig.daemon.url + '/');
    await serial.locator(`tr[data-name="${rig.guests.guest.name}"] .state-stopped`).waitFor();
    found.push(...(await violationsInThemes(serial, 'list (VM stopped)')));
    expect(found).toEqual([]);
  });
});
