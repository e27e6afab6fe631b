// The setup the real-daemon e2e files share: build the daemon and its pages, create the file's
// test domains, start a daemon that discovers this run's domains, and launch Chromium on
// demand; all of it torn down after the file (browsers, the daemon, which must exit 0, the
// domains). Call useE2eDaemon at the top of a describe; read its parts inside hooks and tests.
// vitest runs after-hooks in reverse: one registered before this call runs after its teardown.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { TestDomains, runId, type CreateOptions, type TestDomain } from '../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../harness/libvirt/guest.js';
import { launchBrowser, type Browser, type LaunchOptions } from './browser.js';
import { startDaemon, type RunningDaemon, type TestUser } from './daemon.js';

export interface E2eDaemonOptions<Name extends string> {
  readonly users: readonly TestUser[];
  /** The file's domains by the name its tests use, created in this order. */
  readonly domains: Readonly<Record<Name, CreateOptions>>;
  /** Config keys beside `discovery.include` (this run's test domains). */
  readonly config?: Record<string, unknown>;
}

export interface E2eDaemon<Name extends string> {
  readonly daemon: RunningDaemon;
  readonly guests: Readonly<Record<Name, TestDomain>>;
  /** Chromium with a fresh profile, closed by closeBrowsers() or after the file. */
  launch(options?: LaunchOptions): Promise<Browser>;
  closeBrowsers(): Promise<void>;
  /** Starts the daemon again (after a test stopped it) with the same users and config. */
  restartDaemon(port: number): Promise<RunningDaemon>;
}

export function useE2eDaemon<Name extends string>(options: E2eDaemonOptions<Name>): E2eDaemon<Name> {
  const domains = new TestDomains();
  const browsers: Browser[] = [];
  const config = { ...options.config, discovery: { include: [`vwct-${runId()}-*`] } };
  let daemon: RunningDaemon | undefined;
  let guests: Record<Name, TestDomain> | undefined;
  const ready = <T>(part: T | undefined): T => {
    if (part === undefined) throw new Error('useE2eDaemon: read its parts in hooks and tests, not before');
    return part;
  };

  const closeBrowsers = async (): Promise<void> => {
    for (const browser of browsers.splice(0)) await browser.close();
  };

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const made: Partial<Record<Name, TestDomain>> = {};
    for (const [name, create] of Object.entries(options.domains) as [Name, CreateOptions][]) {
      made[name] = await domains.create(create);
    }
    guests = made as Record<Name, TestDomain>;
    daemon = await startDaemon({ users: options.users, config });
  });

  afterAll(async () => {
    await closeBrowsers();
    const code = await daemon?.stop();
    await domains.cleanup();
    expect(code).toBe(0);
  });

  return {
    get daemon() {
      return ready(daemon);
    },
    get guests() {
      return ready(guests);
    },
    async launch(launchOptions = {}) {
      const browser = await launchBrowser(launchOptions);
      browsers.push(browser);
      return browser;
    },
    closeBrowsers,
    async restartDaemon(port) {
      daemon = await startDaemon({ users: options.users, config, port });
      return daemon;
    },
  };
}
