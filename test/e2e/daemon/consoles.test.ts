// The whole product in a browser: the real daemon (dist/src/cli.js serve) with real discovery,
// real bridges and real guests under libvirtd, driven by Debian's Chromium. The daemon serves
// only this run's domains (discovery.include), so it never takes another run's serial ports.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { saveScreenshot, type Browser } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { count, expectLiveList, litPixels, termText, typeUntilPrompt, waitFor } from '../web/probes.js';

const users = {
  operator: { name: 'alice', password: 'alice-pw', role: 'operator' },
  viewer: { name: 'victor', password: 'victor-pw', role: 'viewer' },
} as const;

/** QEMU's VNC authentication uses at most 8 characters. */
const VNC_PASSWORD = 'sesame12';

describe('real daemon, real guests, Chromium', () => {
  const rig = useE2eDaemon({
    users: [users.operator, users.viewer],
    domains: {
      guest: { label: 'e2e-main', serials: ['pty', 'unix'], vnc: 'unix', title: 'Main guest' },
      spare: { label: 'e2e-spare', serials: ['pty'], vnc: 'none', start: false },
      locked: { label: 'e2e-locked', serials: ['pty'], vnc: 'unix', vncPassword: VNC_PASSWORD },
    },
  });

  async function browserAs(user: { name: string; password: string }): Promise<Browser> {
    return rig.launch({ httpCredentials: { username: user.name, password: user.password } });
  }

  it('lists the test domains and shows a started one as running without a reload', async () => {
    const page = await (await browserAs(users.operator)).context.newPage();
    await page.goto(rig.daemon.url + '/');
    await expectLiveList(page, rig.guests.guest.name, rig.guests.spare);
    await saveScreenshot(page, 'list.png', true);
  });

  it('shows the guest VGA text in the noVNC canvas', async () => {
    const page = await (await browserAs(users.operator)).context.newPage();
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}`);
    // Text on a black VGA screen lights a few thousand pixels; a blank canvas lights none.
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
    await saveScreenshot(page, 'console-vnc.png', true);
  });

  it('asks for the VNC password of a locked screen, says when it is wrong, then shows the screen', async () => {
    // A viewer too must unlock the screen: the password guards watching, not typing.
    const page = await (await browserAs(users.viewer)).context.newPage();
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.locked.name)}`);
    const form = page.locator('.password-panel');
    await form.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await page.locator('.vnc-view .status').innerText()).toContain('asks for a password');
    await form.locator('input').fill('wrong-pw');
    await form.locator('input').press('Enter');
    await waitFor(
      'refusal said when the form shows again',
      async () => (await form.isVisible()) && (await form.innerText()).includes('authentication failed'),
      30_000,
    );
    expect(await litPixels(page)).toBe(0);
    // QEMU's refusal reason ends in a NUL byte, which must not reach the page.
    expect(await form.innerText()).not.toContain('\u0000');
    await saveScreenshot(page, 'console-vnc-password-refused.png', false);
    await form.locator('input').fill(VNC_PASSWORD);
    await form.locator('input').press('Enter');
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
    expect(await form.isVisible()).toBe(false);
    await saveScreenshot(page, 'console-vnc-password.png', false);
  });

  let operatorPage: Page;
  let secondPage: Page;

  it('runs a command on the serial console and shows it in a second window with the lock holder', async () => {
    const browser = await browserAs(users.operator);
    operatorPage = await browser.context.newPage();
    await operatorPage.goto(
      `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`,
    );
    await typeUntilPrompt(operatorPage, promptFor('ttyS0'));
    await operatorPage.keyboard.type('echo ok-$((6*7))\n');
    await waitFor('ok-42', async () => (await termText(operatorPage)).includes('\nok-42'));

    secondPage = await browser.context.newPage();
    await secondPage.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`);
    await waitFor('history in the second window', async () =>
      (await termText(secondPage)).includes('\nok-42'),
    );
    await waitFor('lock holder shown', async () =>
      (await secondPage.locator('.serial-view .lock').innerText()).includes(users.operator.name),
    );
    await saveScreenshot(operatorPage, 'console-serial.png', true);
  });

  it('offers the serial log as a download: the Log link gives the text, with the command in it', async () => {
    const link = operatorPage.locator('.serial-view a.log-link').first();
    expect(await link.innerText()).toBe('Log');
    const href = (await link.getAttribute('href'))!;
    expect(href).toMatch(/\/serial\/0\/log\?format=text&strip=1$/);
    // The log is written every 200 ms: the command's output reaches it shortly after the screen.
    await waitFor('the command in the downloaded log', async () => {
      const res = await operatorPage.request.get(`${rig.daemon.url}${href}`);
      return res.status() === 200 && (await res.text()).includes('\nok-42\n');
    });
    const [download] = await Promise.all([operatorPage.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`${rig.guests.guest.name}-serial0.txt`);
  });

  it('does not answer the terminal queries replayed from history in a new window', async () => {
    // The history holds busybox's ESC[6n after every prompt. A window that answered them while
    // replaying would take the free write lock and type `ESC[r;cR` onto the command line.
    await operatorPage.locator('.serial-view .take-control').click(); // "Release control"
    await waitFor('lock free', async () =>
      (await operatorPage.locator('.serial-view .lock').innerText()).includes('free'),
    );
    const late = await (await browserAs(users.operator)).context.newPage();
    await late.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`);
    await waitFor('history replayed', async () => (await termText(late)).includes('\nok-42'));
    // Had the late window answered, it would hold the lock now and this input would be dropped.
    await operatorPage.locator('.serial-screen').click();
    await operatorPage.keyboard.type('echo fence-$((3*3))\n');
    await waitFor('operator input reaches the guest', async () =>
      (await termText(operatorPage)).includes('\nfence-9'),
    );
    expect(await operatorPage.locator('.serial-view .lock').innerText()).toContain('You have the keyboard');
    expect(await termText(operatorPage)).not.toMatch(/\d+;\d+R/);
    await late.close();
  });

  it('does not let the viewer type', async () => {
    const page = await (await browserAs(users.viewer)).context.newPage();
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`);
    await waitFor('read-only badge', () => page.locator('.serial-view .badge-readonly').isVisible());
    await waitFor('viewer sees history', async () => (await termText(page)).includes('\nok-42'));
    await page.locator('.serial-screen').click();
    await page.keyboard.type('echo viewer-$((2*3))\n');
    // The operator's next command is the fence: once its answer shows, the viewer's line
    // would have been echoed before it had it reached the guest.
    await operatorPage.locator('.serial-screen').click();
    await operatorPage.keyboard.type('echo fence-$((5*5))\n');
    await waitFor('fence in viewer', async () => (await termText(page)).includes('\nfence-25'));
    expect(await termText(operatorPage)).not.toContain('viewer-6');
    expect(await termText(page)).not.toContain('viewer-6');
  });

  it('brings both consoles back after destroy and start, without a reload', async () => {
    const vncPage = await (await browserAs(users.operator)).context.newPage();
    await vncPage.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/vnc`);
    await waitFor('VGA text before restart', async () => (await litPixels(vncPage)) > 500, 60_000);

    const vncState = () => vncPage.locator('.vnc-view .status').getAttribute('data-state');
    // (The first boot's banner may predate the daemon; the next one is seen from its first byte.)
    const bootsBefore = count(await termText(operatorPage), 'VWC-GUEST BOOTED');
    await rig.guests.guest.destroy();
    await waitFor('VNC told the domain stopped', async () => (await vncState()) !== 'connected');
    await waitFor(
      'stopped banner',
      async () =>
        (await operatorPage.locator('.serial-view .banner').getAttribute('data-kind')) === 'stopped',
    );
    await rig.guests.guest.start();
    await waitFor(
      'started banner',
      async () =>
        (await operatorPage.locator('.serial-view .banner').getAttribute('data-kind')) === 'started',
      60_000,
    );
    await waitFor(
      'the new boot banner, live',
      async () => count(await termText(operatorPage), 'VWC-GUEST BOOTED') > bootsBefore,
      60_000,
    );
    await typeUntilPrompt(operatorPage, promptFor('ttyS0'));
    await operatorPage.keyboard.type('echo again-$((7*6))\n');
    await waitFor('command after restart', async () => (await termText(operatorPage)).includes('\nagain-42'));
    await waitFor('second window follows', async () => (await termText(secondPage)).includes('\nagain-42'));
    await waitFor(
      'VNC reconnects after restart',
      async () => (await vncState()) === 'connected' && (await litPixels(vncPage)) > 500,
      90_000,
    );
  });

  it('gives no console to a wrong password', async () => {
    const page = await (await browserAs({ name: users.operator.name, password: 'wrong' })).context.newPage();
    const response = await page.goto(
      `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`,
    );
    expect(response?.status()).toBe(401);
    expect(await page.locator('.xterm').count()).toBe(0);
  });
});
