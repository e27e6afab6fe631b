// Power buttons in Chromium against the real daemon and real guests: Start on a stopped VM's
// console page boots it in the console; Reset asks first (dismissed: nothing happens; accepted:
// the guest reboots in the open console); the list page shows the buttons; a viewer sees none.
import { describe, expect, it } from 'vitest';
import { useE2eDaemon } from '../../helpers/e2e-daemon.js';
import { BOOT_BANNER, promptFor } from '../../../harness/libvirt/guest.js';
import { count, termText, waitFor } from '../web/probes.js';

const users = {
  operator: { name: 'alice', password: 'alice-pw', role: 'operator' },
  viewer: { name: 'victor', password: 'victor-pw', role: 'viewer' },
} as const;

describe('power buttons in Chromium', () => {
  const rig = useE2eDaemon({
    users: [users.operator, users.viewer],
    domains: { stopped: { label: 'e2e-power', serials: ['pty'], vnc: 'none', start: false } },
  });

  async function pageAs(user: { name: string; password: string }): Promise<import('playwright-core').Page> {
    const browser = await rig.launch({
      httpCredentials: { username: user.name, password: user.password },
    });
    return browser.context.newPage();
  }

  it('shows no power buttons to a viewer', async () => {
    const page = await pageAs(users.viewer);
    await page.goto(`${rig.daemon.url}/`);
    await page.locator(`tr[data-name="${rig.guests.stopped.name}"]`).waitFor();
    expect(await page.locator('.power button').count()).toBe(0);
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.stopped.name)}`);
    await page.locator('#domain-state .state').waitFor();
    expect(await page.locator('#stopped').isHidden()).toBe(true);
    expect(await page.locator('.power button').count()).toBe(0);
  });

  it('starts a stopped VM from its console page and the console shows it booting', async () => {
    const page = await pageAs(users.operator);
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.stopped.name)}`);
    const start = page.locator('#stopped button[data-action="start"]');
    await start.waitFor();
    await start.click();
    await waitFor(
      'the boot banner in the terminal',
      async () => (await termText(page)).includes(BOOT_BANNER),
      60_000,
    );
    expect(await page.locator('#stopped').isHidden()).toBe(true);
    expect(await rig.guests.stopped.state()).toBe('running');
    // The header now offers the running VM's actions.
    await page.locator('#power button[data-action="reset"]').waitFor();
  });

  it('asks before a reset: dismissed, nothing happens; accepted, the guest reboots in the open console', async () => {
    const page = await pageAs(users.operator);
    await page.goto(`${rig.daemon.url}/console/${encodeURIComponent(rig.guests.stopped.name)}`);
    await waitFor(
      'the prompt',
      async () => {
        await page.keyboard.press('Enter');
        return (await termText(page)).includes(promptFor('ttyS0').trim());
      },
      60_000,
    );
    const before = count(await termText(page), BOOT_BANNER);
    const messages: string[] = [];
    page.once('dialog', (dialog) => {
      messages.push(dialog.message());
      void dialog.dismiss();
    });
    await page.locator('#power button[data-action="reset"]').click();
    await waitFor('the confirm dialog', () => messages.length === 1);
    expect(messages[0]).toContain('Reset');
    expect(rig.daemon.output()).not.toContain('"action":"reset"');
    page.once('dialog', (dialog) => {
      void dialog.accept();
    });
    await page.locator('#power button[data-action="reset"]').click();
    await waitFor(
      'a new boot in the console',
      async () => count(await termText(page), BOOT_BANNER) > before,
      60_000,
    );
    await waitFor('the audit line', () => rig.daemon.output().includes('"action":"reset","client"'));
  });

  it('shows the buttons on the list page and runs them from there', async () => {
    const page = await pageAs(users.operator);
    await page.goto(`${rig.daemon.url}/`);
    const row = page.locator(`tr[data-name="${rig.guests.stopped.name}"]`);
    await row.locator('button[data-action="pause"]').click();
    await row.locator('.state', { hasText: 'paused' }).waitFor();
    await row.locator('button[data-action="resume"]').click();
    await row.locator('.state', { hasText: 'running' }).waitFor();
    page.once('dialog', (dialog) => {
      void dialog.accept();
    });
    await row.locator('button[data-action="force-off"]').click();
    await row.locator('.state', { hasText: 'shutoff' }).waitFor();
    await row.locator('button[data-action="start"]').waitFor();
  });
});
