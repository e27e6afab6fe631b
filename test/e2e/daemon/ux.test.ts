// Console UX (issue #16) against the real daemon and a real guest in Chromium: search in the
// serial scrollback, dark mode, the phone layout with its key bar, and the disconnected state
// (VM destroyed, daemon stopped and restarted on the same port).
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { saveScreenshot, type LaunchOptions } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { count, litPixels, termText, typeUntilPrompt, waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const PROMPT = promptFor('ttyS0');

/** Relative luminance (0 black … 1 white) of a computed `rgb(r, g, b)` colour. */
function luminance(css: string): number {
  const [r = 0, g = 0, b = 0] = (css.match(/\d+(\.\d+)?/g) ?? []).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

function background(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => getComputedStyle(el).backgroundColor)
    .then(luminance);
}

describe('console UX: search, dark mode, phones, disconnected state', () => {
  const rig = useE2eDaemon({
    users: [alice],
    domains: { guest: { label: 'e2e-ux', serials: ['pty'], vnc: 'unix' } },
  });

  async function newPage(options: LaunchOptions = {}): Promise<{ page: Page; errors: Error[] }> {
    const browser = await rig.launch({
      httpCredentials: { username: alice.name, password: alice.password },
      ...options,
    });
    const page = await browser.context.newPage();
    const errors: Error[] = [];
    page.on('pageerror', (error) => errors.push(error));
    return { page, errors };
  }

  const consoleUrl = (tail = ''): string =>
    `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}${tail}`;

  // A window that typed holds the serial write lock until it closes: each test closes its own.
  afterEach(() => rig.closeBrowsers());

  it('finds text that scrolled out of view, next and previous, without page errors', async () => {
    const { page, errors } = await newPage();
    await page.goto(consoleUrl('/serial/0'));
    await typeUntilPrompt(page, PROMPT);
    // The log links are sized as the toolbar's buttons beside them, and the full placeholder fits.
    const fontSize = (selector: string): Promise<string> =>
      page
        .locator(selector)
        .first()
        .evaluate((el) => getComputedStyle(el).fontSize);
    expect(await fontSize('.toolbar a.log-link')).toBe(await fontSize('.toolbar button.log-range'));
    expect(await page.getByRole('searchbox', { name: 'Search output' }).getAttribute('placeholder')).toBe(
      'Search output',
    );
    // The command line says needle-$((…)); only the output says needle-42.
    await page.keyboard.type('echo needle-$((6*7)) first; echo needle-$((6*7)) second; seq 1 300\n');
    await waitFor('seq output', async () => (await termText(page)).includes('\n300'));
    const view = () =>
      page.evaluate(() => {
        const term = window.__vwc.serial[0]!.term;
        return {
          selection: term.getSelection(),
          row: term.getSelectionPosition()?.start.y ?? -1,
          viewportY: term.buffer.active.viewportY,
          baseY: term.buffer.active.baseY,
        };
      });
    const before = await view();
    expect(before.viewportY).toBe(before.baseY); // at the bottom: the needles are off screen

    const input = page.getByRole('searchbox', { name: 'Search output' });
    await input.fill('needle-42');
    await input.press('Enter');
    const first = await waitFor('a match selected', async () => {
      const v = await view();
      return v.selection === 'needle-42' ? v : null;
    });
    // Scrolled back up to show it.
    expect(first.viewportY).toBeLessThan(first.baseY);
    expect(first.viewportY).toBeLessThanOrEqual(first.row);

    await input.press('Enter');
    const second = await waitFor('the next match', async () => {
      const v = await view();
      return v.selection === 'needle-42' && v.row !== first.row ? v : null;
    });
    await page.getByRole('button', { name: 'Previous match' }).click();
    await waitFor('back to the previous match', async () => (await view()).row === first.row);
    expect(Math.abs(second.row - first.row)).toBe(1);
    expect(errors.map(String)).toEqual([]);
  });

  it('follows prefers-color-scheme, and the toggle overrides it and is remembered', async () => {
    const { page, errors } = await newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(rig.daemon.url + '/');
    await waitFor('the guest listed', () =>
      page.locator(`tr[data-name="${rig.guests.guest.name}"]`).isVisible(),
    );
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await background(page, 'html')).toBeLessThan(0.2);
    expect(await background(page, '.domains')).toBeLessThan(0.2);
    await saveScreenshot(page, 'list-dark.png', true);

    await page.goto(consoleUrl('/serial/0'));
    await typeUntilPrompt(page, PROMPT);
    await page.keyboard.type('clear; uname -a; ls -l /; echo dark-$((2*21))\n');
    await waitFor('dark-42', async () => (await termText(page)).includes('\ndark-42'));
    expect(await background(page, '.toolbar')).toBeLessThan(0.2);
    const termBackground = () =>
      page.evaluate(() => window.__vwc.serial[0]!.term.options.theme?.background ?? '');
    expect(luminance(hexToRgb(await termBackground()))).toBeLessThan(0.2);
    await saveScreenshot(page, 'console-dark.png', true);

    // The toggle wins over the system setting, live (terminal included) and after a reload.
    await page.locator('.theme-toggle').selectOption('light');
    expect(await background(page, '.toolbar')).toBeGreaterThan(0.8);
    expect(luminance(hexToRgb(await termBackground()))).toBeGreaterThan(0.8);
    await page.reload();
    expect(await page.locator('.theme-toggle').inputValue()).toBe('light');
    expect(await background(page, 'html')).toBeGreaterThan(0.8);
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('.theme-toggle').selectOption('dark');
    expect(await background(page, 'html')).toBeLessThan(0.2);
    await page.locator('.theme-toggle').selectOption('system');
    expect(await background(page, 'html')).toBeGreaterThan(0.8);
    expect(errors.map(String)).toEqual([]);
  });

  it('gives a phone a key bar whose Ctrl-C, sticky Ctrl and arrows reach the guest, and fits VNC in 390 px', async () => {
    const { page, errors } = await newPage({ viewport: { width: 390, height: 844 }, mobile: true });
    await page.goto(consoleUrl('/serial/0'));
    const bar = page.locator('.serial-view .key-bar');
    await bar.waitFor({ state: 'visible' });
    // The search field's placeholder is a short one that fits; its accessible name stays.
    expect(await page.getByRole('searchbox', { name: 'Search output' }).getAttribute('placeholder')).toBe(
      'Search',
    );
    await typeUntilPrompt(page, PROMPT);

    // Ctrl-C from the bar interrupts a running command.
    let prompts = count(await termText(page), PROMPT);
    await page.keyboard.type('sleep 100\n');
    await waitFor('sleep echoed', async () => (await termText(page)).includes('sleep 100'));
    await bar.locator('[data-key="ctrl-c"]').tap();
    await waitFor('prompt after Ctrl-C', async () => count(await termText(page), PROMPT) > prompts, 30_000);

    // Sticky Ctrl, then `c` on the keyboard: the same interrupt.
    prompts = count(await termText(page), PROMPT);
    await page.keyboard.type('sleep 99\n');
    await waitFor('sleep echoed', async () => (await termText(page)).includes('sleep 99'));
    await bar.locator('[data-key="ctrl"]').tap();
    expect(await bar.locator('[data-key="ctrl"]').getAttribute('aria-pressed')).toBe('true');
    await page.keyboard.type('c');
    await waitFor(
      'prompt after sticky Ctrl + c',
      async () => count(await termText(page), PROMPT) > prompts,
      30_000,
    );
    expect(await bar.locator('[data-key="ctrl"]').getAttribute('aria-pressed')).toBe('false');

    // Arrows edit the command line: two lefts put X before the last two characters (ab2Xcd).
    await page.keyboard.type('echo ab$((1+1))cd');
    await bar.locator('[data-key="arrowleft"]').tap();
    await bar.locator('[data-key="arrowleft"]').tap();
    await page.keyboard.type('X\n');
    await waitFor('edited line ran', async () => (await termText(page)).includes('\nab2Xcd'));
    // Up recalls it from the shell's history.
    await bar.locator('[data-key="arrowup"]').tap();
    await page.keyboard.press('Enter');
    await waitFor('recalled line ran again', async () => count(await termText(page), '\nab2Xcd') >= 2);
    await saveScreenshot(page, 'mobile.png', true);

    // Zoom stays allowed, and the scaled VNC screen fits the phone's width.
    const viewportMeta = await page.locator('meta[name="viewport"]').getAttribute('content');
    expect(viewportMeta).not.toMatch(/user-scalable\s*=\s*(no|0)|maximum-scale\s*=\s*1(\.0)?\b/);
    // The Screen tab: the serial view stays connected behind it.
    await page.getByRole('tab', { name: 'Screen' }).tap();
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
    const box = await page.locator('.vnc-screen canvas').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    expect(await page.locator('.vnc-view .key-bar [data-key="ctrl-alt-del"]').isVisible()).toBe(true);

    // The phone's keyboard types into the VM through the bar's field: a command on the VGA
    // console (tty1) that writes to the serial port, where the other tab sees it.
    const field = page.locator('.vnc-view .key-bar-type');
    await field.tap();
    await field.pressSequentially('echo vnc-$((2*3)) >/dev/ttyS0', { delay: 30 });
    await field.press('Enter');
    await waitFor('VNC-typed command output on the serial port', async () =>
      (await termText(page)).includes('vnc-6'),
    );
    expect(errors.map(String)).toEqual([]);
  });

  it('shows why a console is disconnected, disables its controls, counts down and reconnects', async () => {
    const { page: vnc } = await newPage();
    await vnc.goto(consoleUrl('/vnc'));
    await waitFor('VGA text', async () => (await litPixels(vnc)) > 500, 60_000);
    const { page: serial } = await newPage();
    await serial.goto(consoleUrl('/serial/0'));
    await typeUntilPrompt(serial, PROMPT);

    const banner = (page: Page, view: string) => page.locator(`.${view}-view .offline`);
    const kind = (page: Page, view: string) => banner(page, view).getAttribute('data-kind');
    const sendKeys = vnc.locator('.vnc-view .send-keys');
    expect(await banner(vnc, 'vnc').isVisible()).toBe(false);
    expect(await sendKeys.isDisabled()).toBe(false);

    // The VM stops: the VNC link closes with "domain stopped".
    await rig.guests.guest.destroy();
    await waitFor('VM-stopped banner', async () => (await kind(vnc, 'vnc')) === 'vm-stopped');
    expect(await banner(vnc, 'vnc').innerText()).toMatch(/VM is (shutoff|shut off|not running)/);
    expect(await sendKeys.isDisabled()).toBe(true);
    expect(await vnc.locator('.vnc-view .toolbar button', { hasText: 'Ctrl-Alt-Del' }).isDisabled()).toBe(
      true,
    );
    await saveScreenshot(vnc, 'console-disconnected-vm.png', false);

    // It starts again: the console comes back by itself.
    await rig.guests.guest.start();
    await waitFor(
      'VNC back by itself',
      async () => !(await banner(vnc, 'vnc').isVisible()) && (await litPixels(vnc)) > 500,
      90_000,
    );
    expect(await sendKeys.isDisabled()).toBe(false);
    await typeUntilPrompt(serial, PROMPT);

    // The daemon goes away: both views say so and count down to the next attempt.
    const port = rig.daemon.port;
    expect(await rig.daemon.stop()).toBe(0);
    for (const [page, view] of [
      [vnc, 'vnc'],
      [serial, 'serial'],
    ] as const) {
      await waitFor(
        `${view}: daemon-unreachable banner`,
        async () => (await kind(page, view)) === 'daemon-unreachable',
      );
      expect(await banner(page, view).innerText()).toContain('daemon is not reachable');
      expect(await banner(page, view).locator('.offline-countdown').innerText()).toMatch(
        /Reconnecting( in \d+ s|…)/,
      );
    }
    expect(await serial.locator('.serial-view .take-control').isDisabled()).toBe(true);
    expect(await sendKeys.isDisabled()).toBe(true);
    // Down long enough for the backoff to reach its 30 s cap, so both views still wait when the
    // daemon is back and only "Reconnect now" brings them back soon.
    for (const [page, view] of [
      [vnc, 'vnc'],
      [serial, 'serial'],
    ] as const)
      await waitFor(
        `${view}: a 30 s wait`,
        async () =>
          Number(await banner(page, view).locator('.offline-countdown').getAttribute('data-delay')) >= 30_000,
        90_000,
      );
    await saveScreenshot(vnc, 'console-disconnected-daemon.png', false);

    await rig.restartDaemon(port);
    for (const [page, view] of [
      [vnc, 'vnc'],
      [serial, 'serial'],
    ] as const) {
      await banner(page, view).getByRole('button', { name: 'Reconnect now' }).click();
      await waitFor(
        `${view} reconnected`,
        async () =>
          (await page.locator(`.${view}-view .status`).getAttribute('data-state')) === 'connected' &&
          !(await banner(page, view).isVisible()),
      );
    }
    expect(await sendKeys.isDisabled()).toBe(false);
    expect(await serial.locator('.serial-view .take-control').isDisabled()).toBe(false);
    await serial.locator('.serial-screen').click();
    await serial.keyboard.type('echo back-$((5*5))\n');
    await waitFor('input after the daemon restart', async () =>
      (await termText(serial)).includes('\nback-25'),
    );
  }, 300_000);
});

function hexToRgb(hex: string): string {
  const n = Number.parseInt(hex.replace('#', ''), 16);
  return `rgb(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255})`;
}
