// The built pages (dist/web, from `npm run build`) served by the real HTTP layer, under its
// Content-Security-Policy: the list page runs, shows hostile domain names as text, and nothing
// is blocked by the CSP or executed from a name.
import { cpSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from '../../helpers/browser.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { fakeVm, startHarness, type Harness } from '../../../harness/http-server.js';

const BUILT = path.join(REPO_ROOT, 'dist/web');
const HOSTILE = ['<img src=x onerror=alert(1)>', `it's "quoted"`, 'ünïcødé-ドメイン'];

describe('built pages under the CSP', () => {
  let h: Harness;
  let browser: Browser;
  beforeAll(async () => {
    if (!existsSync(path.join(BUILT, 'list.html')))
      throw new Error(`${BUILT} missing: run \`npm run build\``);
    h = await startHarness();
    for (const file of readdirSync(BUILT)) cpSync(path.join(BUILT, file), path.join(h.dir, 'web', file));
    for (const name of HOSTILE) h.registry.set(fakeVm(name));
    browser = await launchBrowser({ httpCredentials: { username: 'alice', password: 'alice-pw' } });
  });
  afterAll(async () => {
    await browser.close();
    await h.close();
  });

  it('lists hostile names as text with no CSP violation and no script from a name', async () => {
    const page = await browser.context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(`${h.base}/`);
    for (const name of HOSTILE) {
      await page.getByText(name, { exact: true }).first().waitFor({ timeout: 30_000 });
    }
    expect(await page.locator('img[src="x"]').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
