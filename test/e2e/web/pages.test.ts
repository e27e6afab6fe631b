// The browser pages (web/) in Debian's Chromium, against FakeDaemon: a stand-in for src/http
// (tested separately) that speaks docs/interfaces.md. The VNC console is a REAL guest's VNC
// UNIX socket (TestDomains), piped by the fake; serial consoles are the fake's echoing tty.
// Screenshots go to test-results/screenshots/ (the README's come from test/e2e/daemon).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, saveScreenshot, type Browser } from '../../helpers/browser.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT, promptFor } from '../../../harness/libvirt/guest.js';
import { ConsoleProbe } from '../../helpers/console-io.js';
import { FakeDaemon, domainItem } from './fake-daemon.js';
import { count, litPixels, termText, waitFor } from './probes.js';

const HOSTILE = '<img src=x onerror=alert(1)>';
const USERS = {
  alice: { password: 'alice-pw', role: 'operator' },
  victor: { password: 'victor-pw', role: 'viewer' },
} as const;

describe('web pages (against a stand-in for src/http)', () => {
  const domains = new TestDomains();
  let guest: TestDomain;
  let fake: FakeDaemon;
  let browser: Browser;
  let viewerBrowser: Browser | null = null;
  const dialogs: string[] = [];

  async function open(url: string, b: Browser = browser): Promise<Page> {
    const page = await b.context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(fake.url + url);
    return page;
  }

  beforeAll(async () => {
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    guest = await domains.create({ label: 'web', vnc: 'unix', serials: ['pty'], title: 'Web test guest' });
    fake = new FakeDaemon(path.join(REPO_ROOT, 'dist/web'), USERS);
    await fake.start();
    fake.domains.set(guest.name, domainItem(guest.name, { title: 'Web test guest', serials: 2 }));
    fake.domains.set(HOSTILE, domainItem(HOSTILE, { vnc: false, title: '<b>not bold</b>' }));
    fake.domains.set('db-2', domainItem('db-2', { state: 'shutoff', title: 'Database (stopped)' }));
    fake.vncSockets.set(guest.name, guest.vncSocket!);
    browser = await launchBrowser({ httpCredentials: { username: 'alice', password: 'alice-pw' } });
  });

  afterAll(async () => {
    await viewerBrowser?.close();
    await browser.close();
    await fake.stop();
    await domains.cleanup();
  });

  it('lists the domains, escapes hostile names and follows the event stream', async () => {
    const page = await open('/');
    await page.locator('#session .user').filter({ hasText: 'alice' }).waitFor();
    expect(await page.locator('#session .role').textContent()).toBe('operator');
    const rows = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('#rows tr')].map((tr) => ({
          name: tr.querySelector('th')?.textContent ?? '',
          href: tr.querySelector('th a')?.getAttribute('href') ?? '',
          title: tr.querySelector('.title')?.textContent ?? '',
          state: tr.querySelector('.state')?.textContent ?? '',
          links: [...tr.querySelectorAll('.console-link')].map((a) => a.getAttribute('href')),
        })),
      );
    await waitFor('three rows', async () => (await rows()).length === 3);
    const hostile = (await rows()).find((r) => r.name === HOSTILE);
    expect(hostile).toEqual({
      name: HOSTILE,
      href: `/console/${encodeURIComponent(HOSTILE)}`,
      title: '<b>not bold</b>',
      state: 'running',
      links: [`/console/${encodeURIComponent(HOSTILE)}/serial/0`],
    });
    expect(await page.locator('#rows img, #rows b').count()).toBe(0);
    const mine = (await rows()).find((r) => r.name === guest.name);
    expect(mine?.links).toEqual([
      `/console/${guest.name}/vnc`,
      `/console/${guest.name}/serial/0`,
      `/console/${guest.name}/serial/1`,
    ]);
    await saveScreenshot(page, 'stand-in-list.png', false);

    // Live: added, changed, removed — no reload.
    fake.setDomain(domainItem('late-vm', { state: 'shutoff' }));
    await waitFor(
      'late-vm shut off',
      async () => (await rows()).find((r) => r.name === 'late-vm')?.state === 'shutoff',
    );
    fake.setDomain(domainItem('late-vm', { state: 'running' }));
    await waitFor(
      'late-vm running',
      async () => (await rows()).find((r) => r.name === 'late-vm')?.state === 'running',
    );
    fake.removeDomain('late-vm');
    await waitFor('late-vm gone', async () => !(await rows()).some((r) => r.name === 'late-vm'));

    fake.setSources([{ source: 'libvirt', up: false, detail: 'connection refused' }]);
    await page
      .locator('.notice-error', { hasText: 'libvirt is not answering: connection refused' })
      .waitFor();
    fake.setSources([{ source: 'libvirt', up: true, detail: null }]);
    await page.locator('.notice-error').waitFor({ state: 'detached' });

    const saved = [...fake.domains.keys()];
    const items = saved.map((name) => fake.domains.get(name)!);
    for (const name of saved) fake.removeDomain(name);
    await page.locator('#summary', { hasText: 'No virtual machines found' }).waitFor();
    for (const item of items) fake.setDomain(item);
    await waitFor('rows back', async () => (await rows()).length === 3);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('shows the guest screen in noVNC and reconnects after the server closes it', async () => {
    const page = await open(`/console/${encodeURIComponent(guest.name)}`);
    await page.locator('#domain-name', { hasText: guest.name }).waitFor();
    expect(await page.locator('#domain-name').textContent()).toBe(guest.name);
    await page.locator('[role=tab][aria-selected=true]', { hasText: 'Screen' }).waitFor();
    await page.locator('.vnc-view .status[data-state=connected]').waitFor({ timeout: 60_000 });
    // VGA text of the guest (SeaBIOS, kernel, the boot banner and prompt on tty1).
    const lit = await waitFor(
      'VGA text in the canvas',
      async () => ((await litPixels(page)) > 500 ? litPixels(page) : 0),
      60_000,
    );
    expect(lit).toBeGreaterThan(500);

    // Paste as keystrokes into tty1's shell (US layout, Shift where needed); the command writes
    // to ttyS0, read here on the guest's pty.
    const probe = ConsoleProbe.pty(await guest.ptyPath(0));
    try {
      probe.write('\r');
      await probe.waitFor(promptFor('ttyS0'), 60_000);
      await page.locator('button', { hasText: 'Paste as keys' }).click();
      await page
        .locator('.paste-panel textarea')
        .fill('echo vwc-paste-$((6*7)) "Quoted_Text" > /dev/ttyS0\n');
      await page.locator('.paste-panel button', { hasText: 'Type it' }).click();
      await probe.waitFor('vwc-paste-42 Quoted_Text', 60_000);
    } finally {
      probe.close();
    }
    await page.locator('.paste-panel button', { hasText: 'Close' }).click();
    await saveScreenshot(page, 'stand-in-console-vnc.png', false);

    const attaches = fake.vncAttaches.length;
    fake.closeVnc('domain stopped');
    await page.locator('.vnc-view .status', { hasText: 'domain stopped' }).waitFor();
    await waitFor('a new VNC connection', () => fake.vncAttaches.length > attaches);
    await page.locator('.vnc-view .status[data-state=connected]').waitFor({ timeout: 60_000 });
    // The window tag names this window in presence (docs/interfaces.md).
    expect(fake.vncAttaches.at(-1)).toMatch(/^\?ticket=[0-9a-f]+&window=[A-Za-z0-9_-]+$/);
    await page.close();
  });

  it('shows serial output, sends typed input as binary and resumes without duplicates', async () => {
    const serial = fake.serial(guest.name, 0);
    serial.output('*** VWC-GUEST BOOTED (/dev/ttyS0) ***\r\nvwc-guest:ttyS0# ');
    const page = await open(`/console/${encodeURIComponent(guest.name)}`);
    await page.locator('[role=tab]', { hasText: 'serial0' }).click();
    await waitFor('serial URL', () => page.url().endsWith(`/console/${guest.name}/serial/0`));
    await waitFor('prompt', async () => (await termText(page)).includes('vwc-guest:ttyS0# '));
    expect(serial.attaches[0]?.get('last')).toBe(String(256 * 1024));

    await page.locator('.serial-screen').click();
    await page.keyboard.type('uname -a');
    await page.keyboard.press('Enter');
    await waitFor('typed bytes at the server', () => serial.inputText() === 'uname -a\r');
    expect(serial.input.every((i) => i.user === 'alice')).toBe(true);
    await page.locator('.serial-view .lock', { hasText: 'You have the keyboard' }).waitFor();
    serial.output('Linux vwc-guest 6.1.0 x86_64 GNU/Linux\r\nvwc-guest:ttyS0# ');
    await waitFor('command output', async () => (await termText(page)).includes('GNU/Linux'));

    // A network drop: output produced while away must appear once, nothing twice.
    const before = await page.evaluate(() => window.__vwc.serial[0]?.offset);
    expect(before).toBe(serial.history.length);
    serial.dropAll();
    serial.output('line-while-away-1\r\nline-while-away-2\r\n');
    await waitFor('reconnect with from=', () => serial.attaches.length >= 2, 60_000);
    expect(serial.attaches[1]?.get('from')).toBe(String(before));
    serial.output('after-resume\r\n');
    await waitFor('resumed output', async () => (await termText(page)).includes('after-resume'));
    const text = await termText(page);
    for (const marker of [
      'VWC-GUEST BOOTED',
      'uname -a',
      'GNU/Linux',
      'line-while-away-1',
      'line-while-away-2',
      'after-resume',
    ])
      expect(count(text, marker), marker).toBe(1);
    expect(await page.evaluate(() => window.__vwc.serial[0]?.offset)).toBe(serial.history.length);
    await page.locator('.serial-view .status[data-state=connected]').waitFor();
    // The drop released the write lock (the fake, like the bridge, frees it on disconnect).
    await page.locator('.serial-screen').click();
    await page.keyboard.type('id');
    await waitFor('input after resume', () => serial.inputText() === 'uname -a\rid');
    await page.locator('.serial-view .lock', { hasText: 'You have the keyboard' }).waitFor();

    // Bytes the client fell behind on: a visible marker, not the bytes, and the offset moves on.
    serial.skipAhead(`never-shown ${'x'.repeat(200)}\r\n`);
    serial.output('after-gap\r\n');
    await waitFor('output after the gap', async () => (await termText(page)).includes('after-gap'));
    const withGap = await termText(page);
    expect(count(withGap, 'bytes skipped, client fell behind')).toBe(1);
    expect(withGap).not.toContain('never-shown');
    expect(await page.evaluate(() => window.__vwc.serial[0]?.offset)).toBe(serial.history.length);

    // VM stop and start banners.
    serial.setVm('shutoff', 1);
    await page.locator('.banner[data-kind=stopped]', { hasText: 'shutoff' }).waitFor();
    serial.setVm('running', 2);
    await page.locator('.banner[data-kind=started]', { hasText: 'boot 2' }).waitFor();
    await page.locator('.banner-close').click();
    await page.locator('.banner').waitFor({ state: 'hidden' });
    await saveScreenshot(page, 'stand-in-console-serial.png', false);

    // A second window on the same console: same output, sees who holds the lock, can take it.
    const second = await open(`/console/${encodeURIComponent(guest.name)}/serial/0`);
    await waitFor('same output in window 2', async () => (await termText(second)).includes('after-resume'));
    await second.locator('.serial-view .lock', { hasText: 'Keyboard: alice' }).waitFor();
    await second.locator('.presence li').nth(1).waitFor();
    await second.locator('button.take-control').click();
    await waitFor('take-lock at the server', () =>
      serial.controls.some((c) => (c.message as { type?: string }).type === 'take-lock'),
    );
    await second.locator('.serial-view .lock', { hasText: 'You have the keyboard' }).waitFor();
    await page.locator('.serial-view .lock', { hasText: 'Keyboard: alice' }).waitFor();
    await second.close();
    await page.close();
  });

  it('shows viewers a read-only console and sends nothing they type', async () => {
    const serial = fake.serial(guest.name, 1);
    serial.output('vwc-guest:ttyS1# ');
    viewerBrowser = await launchBrowser({ httpCredentials: { username: 'victor', password: 'victor-pw' } });
    fake.domains.set(
      guest.name,
      domainItem(guest.name, { title: 'Web test guest', serials: 2, role: 'viewer' }),
    );
    const page = await open(`/console/${encodeURIComponent(guest.name)}/serial/1`, viewerBrowser);
    const sent: unknown[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(frame.payload)));
    await waitFor('prompt', async () => (await termText(page, 1)).includes('vwc-guest:ttyS1# '));
    await page.locator('.serial-view .badge-readonly', { hasText: 'Read only' }).waitFor();
    expect(await page.locator('button.take-control').isHidden()).toBe(true);
    await page.locator('.serial-screen').click();
    await page.keyboard.type('rm -rf /');
    await page.keyboard.press('Enter');
    // Everything that follows travels on the same socket after the keystrokes would have.
    serial.output('still-here\r\n');
    await waitFor('later output', async () => (await termText(page, 1)).includes('still-here'));
    expect(serial.input).toEqual([]);
    expect(sent).toEqual([]);

    const vnc = await open(`/console/${encodeURIComponent(guest.name)}/vnc`, viewerBrowser);
    await vnc.locator('.vnc-view .badge-readonly', { hasText: 'View only' }).waitFor();
    expect(await vnc.evaluate(() => window.__vwc.vnc?.viewOnly)).toBe(true);
    expect(await vnc.locator('button:visible', { hasText: 'Ctrl-Alt-Del' }).count()).toBe(0);
    expect(await vnc.locator('button', { hasText: 'Paste as keys' }).isHidden()).toBe(true);
    fake.domains.set(guest.name, domainItem(guest.name, { title: 'Web test guest', serials: 2 }));
    await vnc.close();
    await page.close();
  });

  it('moves between console tabs with the keyboard and the Back button', async () => {
    const base = `/console/${encodeURIComponent(guest.name)}`;
    const page = await open(`${base}/serial/1`);
    const selected = () => page.locator('[role=tab][aria-selected=true]').textContent();
    await waitFor('serial1 selected', async () => (await selected()) === 'serial1');
    await page.locator('[role=tab]', { hasText: 'serial1' }).focus();
    await page.keyboard.press('ArrowLeft');
    await waitFor('serial0 selected', async () => (await selected()) === 'serial0');
    expect(new URL(page.url()).pathname).toBe(`${base}/serial/0`);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('serial0');
    await page.keyboard.press('Home');
    await waitFor('Screen selected', async () => (await selected()) === 'Screen');
    expect(new URL(page.url()).pathname).toBe(`${base}/vnc`);
    expect(await page.locator('#panel-vnc').isVisible()).toBe(true);
    expect(await page.locator('#panel-serial-1').isHidden()).toBe(true);
    await page.goBack();
    await waitFor('serial0 again', async () => (await selected()) === 'serial0');
    expect(await page.locator('#panel-serial-0').isVisible()).toBe(true);
    await page.close();
  });

  it('opens a console for a hostile name as text, and says when a domain does not exist', async () => {
    fake.serial(HOSTILE, 0).output('hostile-console-ready\r\n');
    const page = await open(`/console/${encodeURIComponent(HOSTILE)}`);
    await page.locator('#domain-name', { hasText: HOSTILE }).waitFor();
    expect(await page.locator('#domain-name').textContent()).toBe(HOSTILE);
    await waitFor('serial 0 by default (no VNC)', async () =>
      (await termText(page)).includes('hostile-console-ready'),
    );
    expect(await page.locator('[role=tab][aria-selected=true]').textContent()).toBe('serial0');
    const missing = await open('/console/no-such-vm');
    await missing.locator('.notice-error', { hasText: 'No virtual machine named “no-such-vm”' }).waitFor();
    expect(dialogs).toEqual([]);
    await missing.close();
    await page.close();
  });
});
