// The pages at a fleet entry in Chromium, against FakeDaemon playing an entry (a stand-in for
// the entry API of src/fleet, which has its own tests; test/e2e/fleet runs the real fleet):
// the Host column, host filter, grouping, greyed unreachable rows from a live `host` event,
// virtual rows for 10,000 VMs, and a console page whose WebSocket URL comes from a fleet ticket;
// axe-core (light and dark) on the list with a greyed host and group rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { violationsInThemes } from '../../helpers/axe.js';
import { launchBrowser, saveScreenshot, type Browser } from '../../helpers/browser.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { FakeDaemon, domainItem } from './fake-daemon.js';
import { waitFor } from './probes.js';
import type { DomainItem } from '../../../web/lib/types.js';

const USERS = { alice: { password: 'alice-pw', role: 'operator' } } as const;

function hostRow(host: string, name: string, options: Parameters<typeof domainItem>[1] = {}): DomainItem {
  return { ...domainItem(name, options), host, hostState: 'up' } as DomainItem;
}

describe('fleet entry pages', () => {
  let fake: FakeDaemon;
  let browser: Browser;
  let page: Page;

  const rows = (): Promise<string[]> =>
    page.evaluate(() =>
      [...document.querySelectorAll('#rows tr[data-name]')].map(
        (tr) => `${tr.getAttribute('data-host')}/${tr.getAttribute('data-name')}`,
      ),
    );
  const expectRows = (expected: string[]): Promise<unknown> =>
    waitFor(
      `rows ${expected.join(',')}`,
      async () => JSON.stringify(await rows()) === JSON.stringify(expected),
    );
  const put = (item: DomainItem): void => {
    fake.domains.set(`${(item as { host?: string }).host}/${item.name}`, item);
  };

  beforeAll(async () => {
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    fake = new FakeDaemon(path.join(REPO_ROOT, 'dist/web'), USERS);
    fake.fleet = true;
    await fake.start();
    put(hostRow('h1', 'web-1', { title: 'Front end' }));
    put(hostRow('h1', 'db-1'));
    put(hostRow('h2', 'web-1', { state: 'shutoff' }));
    put(hostRow('h10', 'cache', { title: 'Redis' }));
    // bypassCSP: axe-core is injected into the page.
    browser = await launchBrowser({
      httpCredentials: { username: 'alice', password: 'alice-pw' },
      bypassCSP: true,
    });
    page = await browser.context.newPage();
    await page.goto(fake.url + '/');
    await expectRows(['h10/cache', 'h1/db-1', 'h1/web-1', 'h2/web-1']);
  });

  afterAll(async () => {
    await browser.close();
    await fake.stop();
  });

  it('shows a Host column instead of Screen and Actions, and links /console/<host>/<domain>', async () => {
    const headers = await page.locator('#domains thead th').allInnerTexts();
    expect(headers.map((t) => t.trim().toLowerCase())).toEqual([
      'name',
      'host',
      'title',
      'state',
      'consoles',
    ]);
    expect(await page.locator('tr[data-host=h2][data-name=web-1] a.domain-name').getAttribute('href')).toBe(
      '/console/h2/web-1',
    );
    expect(
      await page
        .locator('tr[data-host=h1][data-name=web-1] a.console-link', { hasText: 'serial0' })
        .getAttribute('href'),
    ).toBe('/console/h1/web-1/serial/0');
  });

  it('filters by host, sorts by host and groups by host', async () => {
    await page.locator('#host-filter').selectOption('h1');
    await expectRows(['h1/db-1', 'h1/web-1']);
    expect(await page.locator('#state-counts').innerText()).toBe('2 of 4 shown · 3 running · 1 shut off');
    await page.locator('#host-filter').selectOption('');
    await page.locator('button[data-sort=host]').click();
    await expectRows(['h1/db-1', 'h1/web-1', 'h2/web-1', 'h10/cache']);
    await page.locator('button[data-sort=name]').click();
    await page.locator('#group-hosts').check();
    const groups = (): Promise<string[]> =>
      page.evaluate(() => [...document.querySelectorAll('#rows tr.host-group')].map((tr) => tr.textContent));
    await waitFor('group rows', async () => (await groups()).length === 3);
    expect(await groups()).toEqual(['h1 · 2 VMs', 'h2 · 1 VM', 'h10 · 1 VM']);
    await page.locator('#group-hosts').uncheck();
  });

  it('greys the rows of a host that became unreachable, live, and brings them back', async () => {
    fake.emit('host', { name: 'h1', state: 'unreachable' });
    await waitFor(
      'h1 rows greyed',
      async () => (await page.locator('#rows tr.host-unreachable').count()) === 2,
    );
    expect(await page.locator('tr[data-host=h1][data-name=db-1] .host-state').innerText()).toBe(
      'unreachable',
    );
    expect(await page.locator('tr[data-host=h2] .host-state').count()).toBe(0);
    await saveScreenshot(page, 'fleet-list-unreachable.png', false);
    await page.locator('#group-hosts').check();
    await waitFor('group rows', async () => (await page.locator('#rows tr.host-group').count()) === 3);
    expect(await violationsInThemes(page, 'fleet list')).toEqual([]);
    await page.locator('#group-hosts').uncheck();
    fake.emit('host', { name: 'h1', state: 'up' });
    await waitFor(
      'h1 rows back',
      async () => (await page.locator('#rows tr.host-unreachable').count()) === 0,
    );
  });

  it('draws only the rows near the viewport for 10,000 VMs, and filters them', async () => {
    fake.domains.clear();
    for (let h = 0; h < 50; h++) {
      for (let v = 0; v < 200; v++) put(hostRow(`host-${h}`, `vm-${h}-${v}`));
    }
    await page.reload();
    await waitFor(
      '10,000 rows counted',
      async () => (await page.locator('#domains').getAttribute('aria-rowcount')) === '10001',
    );
    const drawn = await page.locator('#rows tr[data-name]').count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(200);
    await page.mouse.wheel(0, 200_000);
    await waitFor('rows far down drawn', async () =>
      (await rows()).some((r) => /^host-\d+\/vm-\d+-\d+$/.test(r) && !r.startsWith('host-0/')),
    );
    await page.locator('#filter').fill('vm-49-199');
    await expectRows(['host-49/vm-49-199']);
  });

  it('opens a console with the WebSocket URL of a fleet ticket for that host', async () => {
    fake.domains.clear();
    put(hostRow('h2', 'web-1', { vnc: false }));
    fake.serial('web-1', 0).history = Buffer.from('hello from h2\r\n');
    await page.goto(`${fake.url}/console/h2/web-1`);
    await waitFor('serial attached', () => fake.serial('web-1', 0).attaches.length > 0);
    expect(fake.fleetTickets).toContainEqual({ host: 'h2', domain: 'web-1', console: 'serial/0' });
    expect(await page.locator('#domain-name').innerText()).toBe('web-1');
    expect(new URL(page.url()).pathname).toBe('/console/h2/web-1');
  });
});
