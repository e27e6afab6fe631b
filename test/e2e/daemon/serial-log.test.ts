// The serial log on the console page with the real daemon, a real guest and Chromium: the
// stream's markers as dim lines in xterm.js, and the log dialog (Log…): a time range, the
// asciicast of that range downloaded (and it is asciicast v2 with what the guest printed), and
// played in asciinema-player in the page, which shows that text.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveScreenshot, type Browser } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { termText, typeUntilPrompt, waitFor } from '../web/probes.js';

const OPERATOR = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

describe('serial log dialog and playback in Chromium', () => {
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'vwc-e2e-serial-log-'));
  // Registered before the rig's: vitest runs after-hooks in reverse, so this one runs once the
  // daemon (which writes the logs there) has stopped.
  afterAll(() => {
    rmSync(stateDir, { recursive: true, force: true });
  });
  const rig = useE2eDaemon({
    users: [OPERATOR],
    domains: { guest: { label: 'e2e-log', serials: ['pty'], vnc: 'none' } },
    config: { stateDir, serialLog: { flushMs: 100 } },
  });
  let browser: Browser;

  beforeAll(async () => {
    browser = await rig.launch({
      httpCredentials: { username: OPERATOR.name, password: OPERATOR.password },
    });
  });

  it('plays the asciicast of a time range in asciinema-player', { timeout: 240_000 }, async () => {
    const page = await browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/serial/0`);
    await typeUntilPrompt(page, promptFor('ttyS0'));
    // The boot is in the history the page asked for: so is its marker, drawn by the page.
    expect(await termText(page)).toMatch(/── VM started \d\d:\d\d:\d\d ──/);

    // "From" a little before the command, in the browser's own time zone (datetime-local).
    const from = await page.evaluate(() => {
      const at = new Date(Date.now() - 2000);
      const pad = (n: number): string => String(n).padStart(2, '0');
      return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
    });
    await page.keyboard.type('echo played-$((6*7))\n');
    await waitFor('played-42 in the terminal', async () => (await termText(page)).includes('\nplayed-42'));
    // The log is written every flushMs (100 ms).
    await new Promise((resolve) => setTimeout(resolve, 500));

    await page.getByRole('button', { name: 'Log…' }).click();
    const dialog = page.locator('dialog.serial-log-dialog');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('input[name=since]').fill(from);

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      dialog.getByRole('link', { name: 'Download recording' }).click(),
    ]);
    const file = await download.path();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(JSON.parse(lines[0]!)).toMatchObject({ version: 2, width: 80, height: 24 });
    expect(lines.slice(1).join('\n')).toContain('played-');
    // The range starts after the boot: its banner is not in this recording.
    expect(lines.join('\n')).not.toContain('Linux version');

    await dialog.getByRole('button', { name: 'Play' }).click();
    const player = dialog.locator('.ap-player');
    await waitFor(
      'played-42 shown by asciinema-player',
      async () => (await player.innerText()).includes('played-42'),
      60_000,
    );
    // Its own controls: a progress bar to scrub.
    expect(await dialog.locator('.ap-control-bar').count()).toBe(1);
    await saveScreenshot(page, 'console-serial-log-playback.png', false);
    // A speed change starts a new player where this one was.
    await dialog.locator('select[name=speed]').selectOption('4');
    await waitFor('the player again at 4×', async () =>
      (await dialog.locator('.ap-player').innerText()).includes('played-42'),
    );
    expect(errors).toEqual([]);
  });
});
