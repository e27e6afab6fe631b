// The real `virt-webconsole serve` process: first start creates the users file, SIGTERM closes
// attached console clients with a reason and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { setUser } from '../../../src/http/index.js';
import { TestDomains } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { ALICE, USERS, basic } from '../../../harness/http-server.js';
import { SerialClient, until } from './stack.js';

interface Served {
  readonly child: ChildProcess;
  readonly base: string;
  output(): string;
  readonly exited: Promise<number | null>;
}

async function serve(config: Record<string, unknown>, dir: string): Promise<Served> {
  const configFile = path.join(dir, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({ listen: '127.0.0.1:0', webDir: dir, stateDir: path.join(dir, 'state'), ...config }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'serve', '--config', configFile], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = await until(
    'the listening line',
    () => {
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}:\n${output}`);
      return /"url":"(http[^"]+)".*"msg":"listening"/.exec(output)?.[1];
    },
    60_000,
  );
  return { child, base: url, output: () => output, exited };
}

describe('virt-webconsole serve', () => {
  const domains = new TestDomains();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-cli-'));
  afterAll(async () => {
    await domains.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the users file at first start, its random admin password in a root-only file', async () => {
    const folder = mkdtempSync(path.join(dir, 'sockets-'));
    const usersFile = path.join(dir, 'first', 'users');
    const stateDir = path.join(dir, 'first-state');
    const served = await serve(
      { usersFile, stateDir, discovery: { mode: 'socket-folder', socketFolders: [folder] } },
      mkdtempSync(path.join(dir, 'first-')),
    );
    try {
      const passwordFile = path.join(stateDir, 'initial-admin-password');
      const password = readFileSync(passwordFile, 'utf8').trim();
      expect(password.length).toBeGreaterThanOrEqual(16);
      expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
      expect(served.output()).toContain(passwordFile);
      expect(statSync(usersFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(usersFile, 'utf8')).toMatch(/^admin:\$2y\$12\$.{53}:operator\n$/);
      const session = await fetch(`${served.base}/api/session`, {
        headers: { authorization: basic('admin', password) },
      });
      expect(await session.json()).toEqual({ user: 'admin', role: 'operator', via: 'basic' });
      // Neither the log nor the terminal ever shows the password.
      expect(served.output()).not.toContain(password);
    } finally {
      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
    }
  });

  it('closes attached clients with a reason on SIGTERM and exits 0', async () => {
    const domain = await domains.create({ label: 'cli-term', serials: ['pty'], vnc: 'none' });
    const usersFile = path.join(dir, 'term-users');
    for (const u of USERS) setUser(usersFile, u.name, u.password, u.role, 10);
    const served = await serve(
      { usersFile, discovery: { include: [domain.name] } },
      mkdtempSync(path.join(dir, 'term-')),
    );
    try {
      const route = `/api/domains/${encodeURIComponent(domain.name)}`;
      await until(
        'the serial console to be available',
        async () => {
          const res = await fetch(served.base + route, { headers: { authorization: ALICE } });
          return (
            res.ok &&
            ((await res.json()) as { consoles: { serials: { available: boolean }[] } }).consoles.serials[0]
              ?.available
          );
        },
        60_000,
      );
      const client = await SerialClient.open(
        `${served.base.replace(/^http/, 'ws')}/ws/serial/${encodeURIComponent(domain.name)}/0`,
        {
          authorization: ALICE,
        },
      );
      await until('hello', () => client.messages.find((m) => m.type === 'hello'));
      const events = await fetch(`${served.base}/api/events`, { headers: { authorization: ALICE } });
      const reader = events.body!.getReader();
      await reader.read();

      served.child.kill('SIGTERM');
      expect(await served.exited).toBe(0);
      await until('the close frame', () => client.closed);
      expect(client.closed).toEqual({ code: 1001, reason: 'server shutting down' });
      // The event stream ends too.
      for (;;) {
        const { done } = await reader.read().catch(() => ({ done: true }));
        if (done) break;
      }
      expect(served.output()).toMatch(/"msg":"console detach"/);
    } finally {
      if (served.child.exitCode === null) served.child.kill('SIGKILL');
    }
  });
});
