// Live thumbnails on the list page, in Chromium against the real daemon and real guests: a VM
// with VNC shows a PNG of its screen (captured through `virsh screenshot` in a running virsh
// shell), a VM without graphics shows the last lines of its serial console; after the guest's
// screen changes (keys typed on its tty1 through `virsh send-key`: `clear`), a later thumbnail
// shows the change.
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { saveScreenshot } from '../../helpers/browser.js';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import type { TestDomain } from '../../../harness/libvirt/domains.js';
import { basic } from '../../../harness/http-server.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { virsh } from '../../../harness/libvirt/virsh.js';
import { waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

/**
 * What a VM's thumbnail <img> shows: its ETag (a digest of the PNG's bytes) and the share of lit
 * pixels (boot messages light a screen, `clear` darkens it), read back through a canvas.
 */
async function shownThumbnail(page: Page, name: string): Promise<{ etag: string; lit: number } | null> {
  return page.evaluate((vm) => {
    const cell = document.querySelector<HTMLElement>(`.thumb[data-name="${CSS.escape(vm)}"]`);
    const img = cell?.querySelector('img');
    if (!cell || !img?.src || !img.complete || img.naturalWidth === 0) return null;
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext('2d');
    if (!context) return null;
    context.drawImage(img, 0, 0);
    const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
    let lit = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i]! + data[i + 1]! + data[i + 2]! > 60) lit += 1;
    return { etag: cell.dataset.etag ?? '', lit: lit / (canvas.width * canvas.height) };
  }, name);
}

describe('list-page thumbnails in Chromium', () => {
  const rig = useE2eDaemon({
    users: [alice],
    domains: {
      screen: { label: 'thumb-web1', serials: ['pty'], vnc: 'unix' },
      textOnly: { label: 'thumb-db1', serials: ['pty'], vnc: 'none' },
      spare: { label: 'thumb-spare', serials: ['pty'], vnc: 'unix', start: false },
    },
    config: { thumbnails: { intervalSeconds: 2 } },
  });

  async function serialHistory(domain: TestDomain): Promise<string> {
    const res = await fetch(
      `${rig.daemon.url}/api/domains/${encodeURIComponent(domain.name)}/serial/0/history`,
      {
        headers: { authorization: basic(alice.name, alice.password) },
      },
    );
    return Buffer.from(await res.arrayBuffer()).toString('latin1');
  }

  it('shows the screen, the serial tail, and a new picture after the screen changes', async () => {
    // Both guests at their prompts (tty1 shows its shell once ttyS0 does).
    for (const vm of [rig.guests.screen, rig.guests.textOnly]) {
      await waitFor(
        `${vm.name} booted`,
        async () => (await serialHistory(vm)).includes(promptFor('ttyS0')),
        120_000,
      );
    }
    const browser = await rig.launch({
      httpCredentials: { username: alice.name, password: alice.password },
      viewport: { width: 1280, height: 560 },
    });
    const page = await browser.context.newPage();
    await page.goto(`${rig.daemon.url}/`);

    // The VM with graphics: a PNG of its boot screen, with alt text.
    const before = await waitFor(
      'a lit thumbnail of the booted screen',
      async () => {
        const shown = await shownThumbnail(page, rig.guests.screen.name);
        return shown && shown.lit > 0.02 ? shown : null;
      },
      60_000,
    );
    const img = page.locator(`.thumb[data-name="${rig.guests.screen.name}"] img`);
    expect(await img.getAttribute('alt')).toBe(`Screen of ${rig.guests.screen.name}`);
    // libvirt 9 asks QEMU for a PNG (`virsh screenshot` saves image/png); one that small goes out
    // as QEMU wrote it, at the screen's size (a text console: 720x400), not scaled to 320.
    const size = await img.evaluate((i: HTMLImageElement) => [i.naturalWidth, i.naturalHeight]);
    expect(size[0]).toBeGreaterThanOrEqual(640);
    expect(size[1]).toBeGreaterThanOrEqual(400);

    // The VM without graphics: its serial console's last lines, as text.
    const tail = page.locator(`.thumb[data-name="${rig.guests.textOnly.name}"] pre`);
    await waitFor('the serial tail', async () => (await tail.textContent())?.includes('vwc-guest:ttyS0#'));
    // The stopped VM has no thumbnail.
    expect(await page.locator(`tr[data-name$="thumb-spare"] .thumb`).count()).toBe(0);
    await saveScreenshot(page, 'list-thumbnails.png', true);

    // Change the guest's screen through libvirt: `clear` typed on tty1 wipes the boot messages.
    await virsh('send-key', rig.guests.screen.name, 'KEY_C', 'KEY_L', 'KEY_E', 'KEY_A', 'KEY_R', 'KEY_ENTER');
    const after = await waitFor(
      'a darker thumbnail after clear',
      async () => {
        const shown = await shownThumbnail(page, rig.guests.screen.name);
        return shown && shown.etag !== before.etag && shown.lit < before.lit / 2 ? shown : null;
      },
      60_000,
    );
    expect(after.etag).not.toBe(before.etag);
  });
});
