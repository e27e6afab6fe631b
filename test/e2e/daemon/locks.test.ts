// The write lock made visible, in Chromium against the real daemon and a real guest: two windows
// of one user on the same serial console and on the same VNC screen. Typing in the window
// without the lock shows the "read-only here" prompt (and nothing reaches the guest); its Take
// control moves the lock; the chips name both windows and mark the holder. What reached the
// guest is read on the serial console: VNC keys type `echo … > /dev/ttyS0` on tty1.
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { saveScreenshot, type Browser } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { litPixels, termText, typeUntilPrompt, waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

describe('write lock and control lock in two windows', () => {
  const rig = useE2eDaemon({
    users: [alice],
    domains: { guest: { label: 'e2e-locks', serials: ['pty'], vnc: 'unix' } },
  });
  let browser: Browser;
  let serialA: Page;
  let serialB: Page;

  beforeAll(async () => {
    browser = await rig.launch({ httpCredentials: { username: alice.name, password: alice.password } });
  });

  const serialUrl = (): string =>
    `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`;
  const vncUrl = (): string => `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/vnc`;
  const chips = (page: Page, view: string) => page.locator(`.${view} .presence li`);

  async function chipTexts(page: Page, view: string): Promise<string[]> {
    return chips(page, view).allInnerTexts();
  }

  it('serial: the window without the lock is told, takes control, and the chips name both windows', async () => {
    serialA = await browser.context.newPage();
    await serialA.goto(serialUrl());
    await typeUntilPrompt(serialA, promptFor('ttyS0'));
    await waitFor('A holds the lock', async () =>
      (await serialA.locator('.serial-view .lock').innerText()).includes('You have the keyboard'),
    );
    serialB = await browser.context.newPage();
    await serialB.goto(serialUrl());
    await waitFor('two chips in B', async () => (await chips(serialB, 'serial-view').count()) === 2);
    const texts = await chipTexts(serialB, 'serial-view');
    // Same user, same browser: the window tags tell them apart; the browser is named.
    expect(new Set(texts).size).toBe(2);
    for (const text of texts) expect(text).toMatch(/alice.*Chrome on Linux, window \w+ · since/);
    expect(await serialB.locator('.serial-view .presence li[data-holder="true"]').count()).toBe(1);
    expect(await serialB.locator('.serial-view .presence li.me[data-holder="true"]').count()).toBe(0);

    await serialB.locator('.serial-screen').click();
    await serialB.keyboard.type('echo dropped-$((2*4))\n');
    const prompt = serialB.locator('.serial-view .lock-prompt');
    await prompt.waitFor({ state: 'visible' });
    expect(await prompt.innerText()).toMatch(
      /Read-only here — alice \(Chrome on Linux, window \w+\) has the keyboard/,
    );
    await saveScreenshot(serialB, 'console-serial-lock-prompt.png', false);
    // A's next command is the fence: B's line, had it reached the shell, would echo before it.
    await serialA.locator('.serial-screen').click();
    await serialA.keyboard.type('echo fence-$((3*4))\n');
    await waitFor('fence in B', async () => (await termText(serialB)).includes('\nfence-12'));
    expect(await termText(serialA)).not.toContain('dropped-8');

    await prompt.locator('.lock-prompt-take').click();
    await waitFor('B holds the lock', async () =>
      (await serialB.locator('.serial-view .lock').innerText()).includes('You have the keyboard'),
    );
    await waitFor('A sees B hold it', async () =>
      /Keyboard: alice \(Chrome on Linux, window \w+\)/.test(
        await serialA.locator('.serial-view .lock').innerText(),
      ),
    );
    await waitFor(
      'the holder mark moved to B',
      async () => (await serialB.locator('.serial-view .presence li.me[data-holder="true"]').count()) === 1,
    );
    expect(await prompt.isVisible()).toBe(false);
    await serialB.locator('.serial-screen').click();
    await serialB.keyboard.type('echo mine-$((2*5))\n');
    await waitFor('B typed', async () => (await termText(serialA)).includes('\nmine-10'));
  });

  /**
   * Types `echo <text> >/dev/ttyS0` + Enter into the VNC screen. Playwright's type() sends `>`
   * and `S` without a Shift key press, which a guest keyboard needs: they go as Shift+key.
   */
  async function vncEcho(page: Page, text: string): Promise<void> {
    await page.keyboard.type(`echo ${text} `);
    await page.keyboard.press('Shift+Period');
    await page.keyboard.type('/dev/tty');
    await page.keyboard.press('Shift+KeyS');
    await page.keyboard.type('0');
    await page.keyboard.press('Enter');
  }

  /** Types `echo <word> > /dev/ttyS0` on tty1 until it shows on the serial console (tty1 may be booting). */
  async function vncTypeUntilEcho(page: Page, word: string): Promise<void> {
    await waitFor(
      `${word} on the serial console`,
      async () => {
        await vncEcho(page, word);
        await new Promise((r) => setTimeout(r, 1500));
        // The echo lands wherever the serial console's cursor is (after its prompt).
        return (await termText(serialA)).includes(word);
      },
      60_000,
    );
  }

  /**
   * Makes noVNC send plain RFB KeyEvents (keysyms, what test/integration/vnc types with) instead
   * of QEMU extended key events: the lock gates both alike (unit tests); keysyms are the kind
   * this guest's tty1 was seen to take from Chromium here.
   */
  async function plainKeys(page: Page): Promise<void> {
    await page.evaluate(() => {
      const rfb = window.__vwc.vnc as unknown as { _qemuExtKeyEventSupported: boolean } | null;
      if (rfb) rfb._qemuExtKeyEventSupported = false;
    });
  }

  it('VNC: presence lists both windows; keys without control are refused with the prompt; take control moves it', async () => {
    const vncA = await browser.context.newPage();
    await vncA.goto(vncUrl());
    await waitFor('VGA text in A', async () => (await litPixels(vncA)) > 500, 60_000);
    const lockA = vncA.locator('.vnc-view .vnc-presence .lock');
    await waitFor('A has control (first operator)', async () =>
      (await lockA.innerText()).includes('You have the keyboard'),
    );
    const vncB = await browser.context.newPage();
    await vncB.goto(vncUrl());
    await waitFor('VGA text in B', async () => (await litPixels(vncB)) > 500, 60_000);
    await waitFor('two chips in A', async () => (await chips(vncA, 'vnc-view').count()) === 2);
    await waitFor('two chips in B', async () => (await chips(vncB, 'vnc-view').count()) === 2);
    const texts = await chipTexts(vncB, 'vnc-view');
    expect(new Set(texts).size).toBe(2);
    expect(await vncB.locator('.vnc-view .presence li[data-holder="true"]').count()).toBe(1);
    expect(await vncB.locator('.vnc-view .presence li.me').count()).toBe(1);

    await plainKeys(vncA);
    await plainKeys(vncB);
    await vncA.locator('.vnc-screen canvas').click();
    await vncTypeUntilEcho(vncA, 'vnc-a-ok');

    await vncB.locator('.vnc-screen canvas').click();
    const prompt = vncB.locator('.vnc-view .lock-prompt');
    await prompt.waitFor({ state: 'visible' });
    await vncEcho(vncB, 'vnc-b-dropped');
    expect(await prompt.innerText()).toContain('Read-only here');
    await saveScreenshot(vncB, 'console-vnc-lock-prompt.png', false);
    await vncA.locator('.vnc-screen canvas').click();
    await vncEcho(vncA, 'vnc-fence');
    await waitFor('fence on the serial console', async () => (await termText(serialA)).includes('vnc-fence'));
    expect(await termText(serialA)).not.toContain('vnc-b-dropped');

    await prompt.locator('.lock-prompt-take').click();
    const lockB = vncB.locator('.vnc-view .vnc-presence .lock');
    await waitFor('B has control', async () => (await lockB.innerText()).includes('You have the keyboard'));
    await waitFor('A is told who took it', async () =>
      (await lockA.innerText()).includes('took control from you'),
    );
    await vncB.locator('.vnc-screen canvas').click();
    await vncTypeUntilEcho(vncB, 'vnc-b-ok');
    await vncA.locator('.vnc-screen canvas').click();
    await waitFor('A is prompted now', () => vncA.locator('.vnc-view .lock-prompt').isVisible());
  });
});
