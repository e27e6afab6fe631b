// Steps shared by the package tests: build the npm tarball and the .deb the way a user does,
// install them, and check that an installed copy serves a real guest's serial console.
import { execFile } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { REPO_ROOT, promptFor } from '../../../harness/libvirt/guest.js';
import type { RunningDaemon } from '../../helpers/daemon.js';
import { SerialClient, until } from '../http/stack.js';

const execFileAsync = promisify(execFile);

/** The package's name and version as package.json says. */
export const PACKAGE = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
};

/** Runs a program to its end; its stdout. A failure carries stdout and stderr. */
export async function run(
  program: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(program, args, {
      cwd: options.cwd ?? REPO_ROOT,
      env: options.env ?? process.env,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (error) {
    const e = error as Error & { stdout?: string; stderr?: string };
    throw new Error(
      `${program} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`,
    );
  }
}

export interface PackedFile {
  readonly path: string;
  readonly mode: number;
}

/** `npm pack` in the repository (its prepack builds); the tarball's path and file list. */
export async function npmPack(destination: string): Promise<{ tarball: string; files: PackedFile[] }> {
  const out = await run('npm', ['pack', '--json', '--pack-destination', destination]);
  // npm prints the JSON report last; anything before it (lifecycle output) is not ours.
  const report = JSON.parse(out.slice(out.indexOf('['))) as { filename: string; files: PackedFile[] }[];
  const [first] = report;
  if (!first) throw new Error(`npm pack reported nothing:\n${out}`);
  return { tarball: path.join(destination, first.filename), files: first.files };
}

/** `tar -tvzf`: one line per entry, `-rwxr-xr-x 0/0 1610 1985-10-26 08:15 package/dist/src/cli.js`. */
export async function tarListing(tarball: string): Promise<string[]> {
  return (await run('tar', ['-tvzf', tarball])).split('\n').filter(Boolean);
}

/** `npm install -g --prefix` from the npm cache (test-all.sh filled it). */
export async function npmInstallGlobal(tarball: string, prefix: string): Promise<void> {
  await run('npm', [
    'install',
    '-g',
    '--prefix',
    prefix,
    '--prefer-offline',
    '--no-audit',
    '--no-fund',
    tarball,
  ]);
}

/** scripts/build-deb.sh into `out`; the .deb's path (the script's last line). */
export async function buildDeb(out: string): Promise<string> {
  const lines = (await run('bash', ['scripts/build-deb.sh', out])).trim().split('\n');
  return lines[lines.length - 1]!;
}

/** The paths in a .deb's data part, without the leading `./` (folders end in `/`). */
export async function debPaths(deb: string): Promise<string[]> {
  const listing = await run('dpkg-deb', ['--contents', deb]);
  return listing
    .split('\n')
    .filter(Boolean)
    .map((line) => /\s\.\/(\S*)(?: -> \S+)?$/.exec(line)?.[1] ?? line)
    .filter((p) => p !== '');
}

export async function debField(deb: string, field: string): Promise<string> {
  return (await run('dpkg-deb', ['--field', deb, field])).trim();
}

const APT = ['-y', '-o', 'DPkg::Lock::Timeout=300'];
const APT_ENV = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

/** dpkg's status of a package (`install ok installed`, `deinstall ok config-files`), or null when it has none. */
export async function dpkgStatus(pkg: string): Promise<string | null> {
  let status: string;
  try {
    status = (await run('dpkg-query', ['--show', '--showformat=${Status}', pkg])).trim();
  } catch {
    return null; // never installed
  }
  return status === '' || status.endsWith(' not-installed') ? null : status;
}

/** apt-get install of a local .deb (Recommends left out: nothing to fetch); apt-get's output. */
export async function aptInstall(deb: string): Promise<string> {
  return run('apt-get', ['install', ...APT, '--no-install-recommends', deb], { env: APT_ENV });
}

/** apt-get purge, if dpkg knows the package in any state. */
export async function aptPurge(pkg: string): Promise<void> {
  if ((await dpkgStatus(pkg)) === null) return;
  await run('apt-get', ['purge', ...APT, pkg], { env: APT_ENV });
}

/**
 * An installed copy's daemon serves the console page from its own dist/web, and the guest's
 * serial console through a WebSocket: the shell's prompt comes back and a command runs.
 */
export async function expectServesConsole(
  daemon: RunningDaemon,
  authorization: string,
  domain: string,
  installedWebDir: string,
): Promise<void> {
  const headers = { authorization };
  const name = encodeURIComponent(domain);

  // A file only the installed dist/web has: served means the daemon found its own pages (the
  // repository's dist/web, where it would fall back from the working folder, lacks it).
  const marker = `vwc-package-test-${process.pid}.txt`;
  writeFileSync(path.join(installedWebDir, marker), marker);
  try {
    const res = await fetch(`${daemon.url}/assets/${marker}`, { headers });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(marker);
  } finally {
    rmSync(path.join(installedWebDir, marker), { force: true });
  }

  const page = await fetch(`${daemon.url}/console/${name}`, { headers });
  expect(page.status).toBe(200);
  expect(await page.text()).toBe(readFileSync(path.join(installedWebDir, 'console.html'), 'utf8'));
  // The bundle with noVNC and xterm.js in it: the installed copy needs neither from npm.
  const script = await fetch(`${daemon.url}/assets/console.page.js`, { headers });
  expect(script.status).toBe(200);
  expect(
    Buffer.from(await script.arrayBuffer()).equals(
      readFileSync(path.join(installedWebDir, 'console.page.js')),
    ),
  ).toBe(true);

  await until(
    `serial 0 of ${domain} available`,
    async () => {
      const res = await fetch(`${daemon.url}/api/domains/${name}`, { headers });
      if (res.status !== 200) return false;
      const item = (await res.json()) as { consoles: { serials: { index: number; available: boolean }[] } };
      return item.consoles.serials.find((s) => s.index === 0)?.available === true;
    },
    60_000,
  );
  const client = await SerialClient.open(`${daemon.url.replace(/^http/, 'ws')}/ws/serial/${name}/0`, headers);
  try {
    await client.waitForPrompt(promptFor('ttyS0'));
    await client.run('echo pkg-$((6*7))\r', '\r\npkg-42\r\n');
    expect(client.messages.find((m) => m.type === 'hello')).toMatchObject({ role: 'operator' });
  } finally {
    client.close();
  }
}
