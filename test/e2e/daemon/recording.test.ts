// VNC session recording in Chromium against the real daemon and a real guest: an operator
// starts recording from the console page, a viewer watching the same console sees the
// "● Recording" badge come and go (pushed, no reload); the recording then plays back on the
// recordings page in noVNC and shows the guest's screen: the played canvas lights the same
// text cells as the live screen did when recording stopped. A viewer may not see recordings
// (vncRecording.readableBy defaults to operators); playback is audited. axe-core (light and
// dark) on the console with the badge, the recordings list and the player.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { saveScreenshot } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { violationsInThemes } from '../../helpers/axe.js';
import { litPixels, waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const victor = { name: 'victor', password: 'victor-pw', role: 'viewer' } as const;

/**
 * Which 8×16 cells of a framebuffer hold lit pixels (text), from noVNC's framebuffer: the live
 * console's RFB (`window.__vwc.vnc`) or the player's. A cell is lit with at least 4 bright
 * pixels, so the live screen's lossy (JPEG) edges and the recording's lossless ones agree.
 */
function litCells(
  page: Page,
  source: 'live' | 'player',
): Promise<{ width: number; height: number; cells: number[] }> {
  return page.evaluate((which) => {
    const w = window as unknown as {
      __vwc?: { vnc: { getImageData(): ImageData } | null };
      __vwcPlayer?: { rfbObject: { getImageData(): ImageData } | null };
    };
    const rfb = which === 'live' ? w.__vwc?.vnc : w.__vwcPlayer?.rfbObject;
    const image = rfb?.getImageData();
    if (!image) return { width: 0, height: 0, cells: [] };
    const { width, height, data } = image;
    const cols = Math.ceil(width / 8);
    const counts = new Array<number>(cols * Math.ceil(height / 16)).fill(0);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        if (data[i]! + data[i + 1]! + data[i + 2]! > 200)
          counts[Math.floor(y / 16) * cols + Math.floor(x / 8)]! += 1;
      }
    }
    return { width, height, cells: counts.map((n) => (n >= 4 ? 1 : 0)) };
  }, source);
}

describe('VNC recording in Chromium', () => {
  const rig = useE2eDaemon({
    users: [alice, victor],
    domains: { guest: { label: 'e2e-rec', serials: ['pty'], vnc: 'unix' } },
  });

  async function pageAs(user: { name: string; password: string }): Promise<Page> {
    const browser = await rig.launch({
      httpCredentials: { username: user.name, password: user.password },
      // axe is injected into the pages (their CSP forbids injected scripts).
      bypassCSP: true,
    });
    return browser.context.newPage();
  }

  let operator: Page;
  let liveAtStop: { width: number; height: number; cells: number[] };

  it('an operator records from the console page; a viewer watching sees the badge come and go', async () => {
    const vncUrl = `${rig.daemon.url}/console/${encodeURIComponent(rig.guests.guest.name)}/vnc`;
    operator = await pageAs(alice);
    await operator.goto(vncUrl);
    const viewer = await pageAs(victor);
    await viewer.goto(vncUrl);
    await waitFor('VGA text in the operator canvas', async () => (await litPixels(operator)) > 500, 90_000);
    await waitFor('VGA text in the viewer canvas', async () => (await litPixels(viewer)) > 500, 60_000);
    // A viewer gets no Record button; the operator does.
    expect(await viewer.locator('.record-toggle').isVisible()).toBe(false);
    const badge = viewer.locator('.vnc-view .badge-recording');
    expect(await badge.isVisible()).toBe(false);

    await operator.locator('.record-toggle').click();
    await badge.waitFor({ state: 'visible', timeout: 30_000 });
    expect(await badge.textContent()).toContain('Recording');
    await operator.locator('.vnc-view .badge-recording').waitFor({ state: 'visible' });
    expect(await operator.locator('.record-toggle').innerText()).toBe('Stop recording');
    await saveScreenshot(viewer, 'console-vnc-recording.png', false);
    expect(await violationsInThemes(viewer, 'console (VNC, recording badge)')).toEqual([]);

    // A few seconds of the screen; the last picture is what the recording must end on.
    await new Promise((r) => setTimeout(r, 4000));
    liveAtStop = await litCells(operator, 'live');
    await operator.locator('.record-toggle').click();
    await badge.waitFor({ state: 'hidden', timeout: 30_000 });
    expect(liveAtStop.cells.filter((c) => c === 1).length).toBeGreaterThan(20);
  });

  it('plays the recording back in noVNC, showing the guest screen', async () => {
    await operator.goto(`${rig.daemon.url}/recordings/${encodeURIComponent(rig.guests.guest.name)}`);
    const row = operator.locator('table.recordings tbody tr').first();
    await row.waitFor();
    expect(await row.innerText()).toContain('alice');
    expect(await violationsInThemes(operator, 'recordings list')).toEqual([]);
    await row.locator('a.play').click();
    await operator.waitForURL(/\/recordings\/[^/]+\/\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    // The first frame is a whole screen: text lights the canvas as soon as it is handed over.
    await waitFor('VGA text in the playback canvas', async () => (await litPixels(operator)) > 500, 30_000);
    // At the end of the recording the screen is the one the operator saw when stopping.
    await operator.evaluate(() => {
      const player = (
        window as unknown as { __vwcPlayer: { seek(ms: number): void; recording: { duration: number } } }
      ).__vwcPlayer;
      player.seek(player.recording.duration);
    });
    const played = await waitFor(
      'the last frame drawn',
      async () => {
        const cells = await litCells(operator, 'player');
        return cells.cells.some((c) => c === 1) ? cells : null;
      },
      30_000,
    );
    expect({ width: played.width, height: played.height }).toEqual({
      width: liveAtStop.width,
      height: liveAtStop.height,
    });
    const agree = played.cells.filter((c, i) => c === liveAtStop.cells[i]).length / played.cells.length;
    expect(agree).toBeGreaterThan(0.95);
    await saveScreenshot(operator, 'recording-playback.png', true);
    expect(await violationsInThemes(operator, 'recording playback')).toEqual([]);
    const audit = rig.daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('vnc recording played back'));
    expect(audit.some((l) => l.includes('"user":"alice"'))).toBe(true);
  });

  it('a viewer is told recordings are for operators', async () => {
    const viewer = await pageAs(victor);
    await viewer.goto(`${rig.daemon.url}/recordings/${encodeURIComponent(rig.guests.guest.name)}`);
    await waitFor('the refusal', async () =>
      (await viewer.locator('#notices').innerText()).includes('only operators'),
    );
  });
});
