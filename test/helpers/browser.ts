// Debian's Chromium driven by playwright-core: never a downloaded browser. Each launch gets a
// fresh profile folder, removed on close.
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { mkdtempSync, rmSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = '/usr/bin/chromium';

export interface LaunchOptions {
  readonly httpCredentials?: { username: string; password: string };
  readonly viewport?: { width: number; height: number };
  /**
   * Answer only Basic challenges with httpCredentials, as a user at the browser's prompt would
   * (default: send the Authorization header with every request).
   */
  readonly basicOnChallengeOnly?: boolean;
  /** Let test scripts (axe-core) be injected into pages despite their CSP. */
  readonly bypassCSP?: boolean;
  /** Accept any TLS certificate (a test's self-signed one). */
  readonly ignoreHTTPSErrors?: boolean;
  /** A phone: touch events, mobile viewport meta handling, 2× pixels (with `viewport`). */
  readonly mobile?: boolean;
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

function basicHeader(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}

export async function launchBrowser(options: LaunchOptions = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: run scripts/setup-host.sh as root`);
  const profile = mkdtempSync(path.join(os.tmpdir(), 'vwc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: options.viewport ?? { width: 1280, height: 800 },
    ...(options.httpCredentials ? { httpCredentials: options.httpCredentials } : {}),
    // A page load without credentials is redirected to the login form, so the browser would
    // never see a Basic challenge: send the header with every request instead.
    ...(options.httpCredentials && !options.basicOnChallengeOnly
      ? { extraHTTPHeaders: { authorization: basicHeader(options.httpCredentials) } }
      : {}),
    ...(options.ignoreHTTPSErrors ? { ignoreHTTPSErrors: true } : {}),
    ...(options.mobile ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    ...(options.bypassCSP ? { bypassCSP: true } : {}),
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Where a test saves a screenshot: test-results/screenshots/ always, so test runs leave the
 * tree clean; the README's copies in docs/screenshots/ are refreshed only when
 * VWC_UPDATE_SCREENSHOTS=1 (and only by the real-daemon e2e tests).
 */
export function screenshotPaths(name: string, forReadme: boolean): string[] {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
  const paths = [path.join(root, 'test-results/screenshots', name)];
  if (forReadme && process.env.VWC_UPDATE_SCREENSHOTS === '1')
    paths.push(path.join(root, 'docs/screenshots', name));
  return paths;
}

/** Takes one screenshot and writes it to every path of screenshotPaths(). */
export async function saveScreenshot(page: Page, name: string, forReadme: boolean): Promise<void> {
  const image = await page.screenshot();
  for (const file of screenshotPaths(name, forReadme)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, image);
  }
}
