// The list page's filter, sort, state counts and keyboard in Chromium, against FakeDaemon (a
// stand-in for src/http, which has its own tests; no guest is needed for a list).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { launchBrowser, saveScreenshot, type Browser } from '../../helpers/browser.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { FakeDaemon, domainItem } from './fake-daemon.js';
import { waitFor } from './probes.js';

const USERS = { alice: { password: 'alice-pw', role: 'operator' } } as const;

describe('list page: filter, sort, counts, keyboard', () => {
  let fake: FakeDaemon;
  let browser: Browser;
  let page: Page;

  const names = (): Promise<string[]> =>
    page.evaluate(() =>
      [...document.querySelectorAll('#rows tr')].map((tr) => tr.getAttribute('data-name') ?? ''),
    );
  const expectNames = (expected: string[]): Promise<unknown> =>
    waitFor(
      `rows ${expected.join(',')}`,
      async () => JSON.stringify(await names()) === JSON.stringify(expected),
    );

  beforeAll(async () => {
    execFileSync('node', ['scripts/build-web.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
    fake = new FakeDaemon(path.join(REPO_ROOT, 'dist/web'), USERS);
    await fake.start();
    fake.domains.set('web-10', domainItem('web-10', { title: 'Front end' }));
    fake.domains.set('web-2', domainItem('web-2', { state: 'shutoff' }));
    fake.domains.set('db-1', domainItem('db-1', { title: 'Postgres primary' }));
    fake.domains.set('build', domainItem('build', { state: 'shutoff' }));
    fake.domains.set('cache', domainItem('cache', { state: 'paused', title: 'Redis' }));
    browser = await launchBrowser({ httpCredentials: { username: 'alice', password: 'alice-pw' } });
    page = await browser.context.newPage();
    await page.goto(fake.url + '/');
    await expectNames(['build', 'cache', 'db-1', 'web-2', 'web-10']);
  });

  afterAll(async () => {
    await browser.close();
    await fake.stop();
  });

  it('counts the states', async () => {
    expect(await page.locator('#state-counts').innerText()).toBe('2 running · 1 paused · 2 shut off');
  });

  it('sorts by a clicked header and says so with aria-sort', async () => {
    const name = page.locator('th:has(button[data-sort=name])');
    const state = page.locator('th:has(button[data-sort=state])');
    expect(await name.getAttribute('aria-sort')).toBe('ascending');
    await page.locator('button[data-sort=state]').click();
    await expectNames(['db-1', 'web-10', 'cache', 'build', 'web-2']);
    expect(await state.getAttribute('aria-sort')).toBe('ascending');
    expect(await name.getAttribute('aria-sort')).toBeNull();
    await page.locator('button[data-sort=name]').click();
    await page.locator('button[data-sort=name]').click();
    await expectNames(['web-10', 'web-2', 'db-1', 'cache', 'build']);
    expect(await name.getAttribute('aria-sort')).toBe('descending');
    await page.locator('button[data-sort=name]').click();
    await expectNames(['build', 'cache', 'db-1', 'web-2', 'web-10']);
  });

  it('filters by name or title, keeps the filter across live updates, and says when none match', async () => {
    await page.keyboard.press('/');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter');
    await page.keyboard.type('WEB');
    await expectNames(['web-2', 'web-10']);
    expect(await page.locator('#state-counts').innerText()).toBe(
      '2 of 5 shown · 2 running · 1 paused · 2 shut off',
    );
    fake.setDomain(domainItem('web-2', { state: 'running' }));
    fake.setDomain(domainItem('web-3', { title: 'new' }));
    fake.setDomain(domainItem('mail', { title: 'Web mail' }));
    await expectNames(['mail', 'web-2', 'web-3', 'web-10']);
    expect(await page.locator('#filter').inputValue()).toBe('WEB');
    await page.locator('#filter').fill('postgres');
    await expectNames(['db-1']);
    await page.locator('#filter').fill('nothing-like-this');
    await expectNames([]);
    await page.locator('#summary', { hasText: 'No virtual machine matches the filter.' }).waitFor();
    await page.locator('#filter').press('Escape');
    await expectNames(['build', 'cache', 'db-1', 'mail', 'web-2', 'web-3', 'web-10']);
  });

  it('moves between rows with the arrows and j/k, keeps the focus across updates, opens with Enter', async () => {
    await page.locator('#filter').press('ArrowDown');
    const focused = (): Promise<string | null> =>
      page.evaluate(() => document.activeElement?.closest('tr')?.getAttribute('data-name') ?? null);
    expect(await focused()).toBe('build');
    await page.keyboard.press('j');
    await page.keyboard.press('ArrowDown');
    expect(await focused()).toBe('db-1');
    await page.keyboard.press('k');
    expect(await focused()).toBe('cache');
    fake.setDomain(domainItem('cache', { state: 'running', title: 'Redis' }));
    await waitFor('cache re-rendered as running', async () =>
      (await page.locator('tr[data-name=cache] .state').innerText()).includes('running'),
    );
    expect(await focused()).toBe('cache');
    await saveScreenshot(page, 'list-filter.png', false);
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => url.pathname === '/console/cache');
  });
});
