// axe-core on every page of the real daemon in Chromium: the login page, the list, and a real
// guest's console on its VNC tab and its serial tab. A serious or critical violation fails the
// test, which prints them all.
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatViolations, seriousViolations } from '../../helpers/axe.js';
import { launchBrowser, type Browser } from '../../helpers/browser.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestDomains, type TestDomain, runId } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { litPixels, waitFor } from '../web/probes.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

describe('accessibility (axe-core): no serious or critical violations', () => {
  const domains = new TestDomains();
  let daemon: RunningDaemon;
  let guest: TestDomain;
  let browser: Browser;

  async function expectAccessible(page: Page, what: string): Promise<void> {
    const found = await seriousViolations(page);
    if (found.length > 0) console.error(`axe on ${what}:\n${formatViolations(found)}`);
    expect(
      found.map((v) => v.id),
      what,
    ).toEqual([]);
  }

  async function loggedInPage(): Promise<Page> {
    const page = await browser.context.newPage();
    await page.goto(`${daemon.url}/login`);
    await page.locator('#username').fill(alice.name);
    await page.locator('#password').fill(alice.password);
    await page.locator('button[type=submit]').click();
    await page.waitForURL((url) => url.pathname === '/');
    return page;
  }

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    guest = await domains.create({
      label: 'a11y',
      serials: ['pty'],
      vnc: 'unix',
      title: 'Accessibility guest',
    });
    daemon = await startDaemon({ users: [alice], config: { discovery: { include: [`vwct-${runId()}-*`] } } });
    browser = await launchBrowser({ bypassCSP: true });
  });

  afterAll(async () => {
    await browser.close();
    const code = await daemon.stop();
    await domains.cleanup();
    expect(code).toBe(0);
  });

  it('the login page, also with an error shown', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${daemon.url}/login`);
    await expectAccessible(page, 'login');
    await page.goto(`${daemon.url}/login?error=failed`);
    await page.locator('#login-message').waitFor({ state: 'visible' });
    await expectAccessible(page, 'login with an error');
  });

  it('the list page', async () => {
    const page = await loggedInPage();
    await page.locator(`tr[data-name="${guest.name}"]`).waitFor();
    await page.locator('#session .user').waitFor();
    await expectAccessible(page, 'list');
  });

  it('the console page, VNC tab', async () => {
    const page = await loggedInPage();
    await page.goto(`${daemon.url}/console/${encodeURIComponent(guest.name)}/vnc`);
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
    await expectAccessible(page, 'console (VNC)');
  });

  it('the console page, serial tab', async () => {
    const page = await loggedInPage();
    await page.goto(`${daemon.url}/console/${encodeURIComponent(guest.name)}/serial/0`);
    await waitFor('serial terminal', () => page.locator('.serial-screen').isVisible());
    await page.locator('#session .user').waitFor();
    await expectAccessible(page, 'console (serial)');
  });
});
