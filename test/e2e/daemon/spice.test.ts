// SPICE in Chromium through the real daemon: spice-html5 on the console page, a real guest with
// SPICE on a UNIX socket and qxl video. The screen renders and changes as the guest prints; an
// operator's keys reach the guest (seen in the serial history); a viewer's do not; a second
// operator is asked before taking over, and the first window says who took it and offers it back.
// axe-core (light and dark) on the SPICE tab and on both takeover notices.
import type { Page } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { violationsInThemes } from '../../helpers/axe.js';
import { saveScreenshot } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { waitFor } from '../web/probes.js';

const users = {
  alice: { name: 'alice', password: 'alice-pw', role: 'operator' },
  bob: { name: 'bob', password: 'bob-pw', role: 'operator' },
  victor: { name: 'victor', password: 'victor-pw', role: 'viewer' },
} as const;

/** Lit pixels and a cheap checksum of the SPICE canvas (0, 0 when there is none yet). */
function screenState(page: Page): Promise<{ lit: number; sum: number }> {
  return page.evaluate(() => {
    const canvas = document.querySelector<HTMLCanvasElement>('.spice-screen canvas');
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || canvas.width === 0) return { lit: 0, sum: 0 };
    const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    let sum = 0;
    for (let i = 0; i < data.length; i += 4) {
      const v = data[i]! + data[i + 1]! + data[i + 2]!;
      if (v > 96) lit += 1;
      sum = (sum * 31 + v * (i + 1)) % 1_000_000_007;
    }
    return { lit, sum };
  });
}

/**
 * Types `text` key by key with real Shift presses: spice-html5 sends scancodes from keyCode, and
 * keyboard.type() gives 'S' or '>' no Shift keydown (the guest would get 's' and '.').
 */
async function typeKeys(page: Page, text: string): Promise<void> {
  const shifted: Record<string, string> = { '>': 'Period' };
  for (const char of text) {
    const code = shifted[char] ?? (/[A-Z]/.test(char) ? `Key${char}` : null);
    if (code) {
      await page.keyboard.down('Shift');
      await page.keyboard.press(code);
      await page.keyboard.up('Shift');
    } else {
      await page.keyboard.press(char === '\n' ? 'Enter' : char === ' ' ? 'Space' : char);
    }
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

describe('SPICE console in Chromium (real daemon, real guest)', () => {
  const rig = useE2eDaemon({
    users: [users.alice, users.bob, users.victor],
    domains: { guest: { label: 'e2e-spice', serials: ['pty'], vnc: 'none', spice: 'unix' } },
  });

  async function pageAs(user: { name: string; password: string }): Promise<Page> {
    const browser = await rig.launch({
      httpCredentials: { username: user.name, password: user.password },
      bypassCSP: true, // axe-core is injected into the page
    });
    const page = await browser.context.newPage();
    open.push(page);
    page.on('console', (message) => {
      if (process.env.VWC_TEST_LOG) console.log(`[${user.name}] ${message.text()}`);
    });
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}`);
    return page;
  }

  async function serialText(page: Page): Promise<string> {
    return page.evaluate(async (name) => {
      const res = await fetch(`/api/domains/${encodeURIComponent(name)}/serial/0/history?from=0&max=1000000`);
      return res.text();
    }, rig.guests.guest.name);
  }

  /** Closes every page a test opened (one SPICE client at a time: a page left open holds it). */
  const open: Page[] = [];
  async function close(page: Page): Promise<void> {
    open.splice(open.indexOf(page), 1);
    await page.close();
  }
  afterEach(async () => {
    for (const page of open.splice(0)) await page.close();
  });

  it("renders the guest's screen, changes as it prints, and takes an operator's keys", async () => {
    const page = await pageAs(users.alice);
    // The guest may have booted before the daemon held its pty (QEMU drops serial output while
    // nobody reads it): no banner to wait for; the typing loop below waits for the shell.
    await waitFor('the SPICE tab', () => page.locator('.spice-view').isVisible());
    await waitFor('VGA text in the SPICE canvas', async () => (await screenState(page)).lit > 500, 60_000);
    await waitFor('connected', async () =>
      (await page.locator('.spice-view .status').innerText()).includes('connected'),
    );
    await page.locator('.spice-screen canvas').click();
    const before = await screenState(page);
    for (let attempt = 1; ; attempt++) {
      await typeKeys(page, `echo spice-e2e-${attempt} > /dev/ttyS0\n`);
      try {
        await waitFor(
          'the typed line on the serial console',
          async () => /spice-e2e-\d+/.test(await serialText(page)),
          5_000,
        );
        break;
      } catch (error) {
        if (attempt >= 15) throw error;
      }
    }
    await waitFor('the screen changed', async () => (await screenState(page)).sum !== before.sum, 20_000);
    await saveScreenshot(page, 'console-spice.png', true);
    expect(await violationsInThemes(page, 'console (SPICE)')).toEqual([]);
  }, 300_000);

  it("shows a viewer the screen but does not take the viewer's keys", async () => {
    const page = await pageAs(users.victor);
    await waitFor('view-only badge', () => page.locator('.spice-view .badge-readonly').isVisible());
    await waitFor('VGA text in the SPICE canvas', async () => (await screenState(page)).lit > 500, 60_000);
    await page.locator('.spice-screen canvas').click();
    await typeKeys(page, 'echo viewer-typed > /dev/ttyS0\n');
    await close(page);
    // The operator's next line is the fence: the viewer's would have reached the guest before it.
    const operator = await pageAs(users.alice);
    await waitFor('VGA text', async () => (await screenState(operator)).lit > 500, 60_000);
    await operator.locator('.spice-screen canvas').click();
    for (let attempt = 1; ; attempt++) {
      await typeKeys(operator, `echo fence-${attempt} > /dev/ttyS0\n`);
      try {
        await waitFor('fence', async () => /fence-\d+/.test(await serialText(operator)), 5_000);
        break;
      } catch (error) {
        if (attempt >= 15) throw error;
      }
    }
    expect(await serialText(operator)).not.toContain('viewer-typed');
  }, 300_000);

  it('asks a second operator before taking over; the first window says who took it and offers it back', async () => {
    const first = await pageAs(users.alice);
    await waitFor('alice connected', async () => (await screenState(first)).lit > 500, 60_000);
    const second = await pageAs(users.bob);
    const ask = second.locator('.spice-ask');
    await waitFor(
      'bob is asked',
      async () =>
        (await ask.isVisible()) &&
        (await ask.innerText()).includes('alice (operator) is using the SPICE console'),
    );
    expect((await screenState(first)).lit).toBeGreaterThan(500);
    const found = await violationsInThemes(second, 'console (SPICE, asked before taking over)');
    await second.getByRole('button', { name: 'Take over' }).click();
    await waitFor('bob sees the screen', async () => (await screenState(second)).lit > 500, 60_000);
    const told = first.locator('.spice-ask');
    await waitFor(
      'alice is told',
      async () =>
        (await told.isVisible()) && (await told.innerText()).includes('taken over by bob (operator)'),
    );
    found.push(...(await violationsInThemes(first, 'console (SPICE, taken over)')));
    expect(found).toEqual([]);
    await first.getByRole('button', { name: 'Take it back' }).click();
    await waitFor('alice has it back', async () => (await screenState(first)).lit > 500, 60_000);
    await waitFor('bob is told', async () =>
      (await second.locator('.spice-ask').innerText()).includes('taken over by alice (operator)'),
    );
  }, 300_000);
});
