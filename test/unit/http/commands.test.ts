// The composition root and the commands on fakes: serve starts, stops on a signal in order and
// exits 0; config and users-file mistakes exit with a message; passwd writes the users file.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runPasswd, runServe, type DaemonParts } from '../../../src/app/index.js';
import { setUser } from '../../../src/http/index.js';
import {
  ALICE,
  FakeHub,
  FakeRegistry,
  closeOf,
  expectOpen,
  fakeVm,
  tryUpgrade,
} from '../../../harness/http-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-commands-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function io(stdinText = ''): { stdin: Readable; stdout: PassThrough; stderr: PassThrough; out(): string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let text = '';
  stdout.on('data', (b: Buffer) => (text += b.toString()));
  stderr.on('data', (b: Buffer) => (text += b.toString()));
  return { stdin: Readable.from([stdinText]), stdout, stderr, out: () => text };
}

function fakeParts(): { parts: DaemonParts; hub: () => FakeHub; stopped: string[] } {
  const registry = new FakeRegistry();
  registry.set(fakeVm('web-1'));
  let hub: FakeHub | null = null;
  const stopped: string[] = [];
  return {
    parts: {
      createDiscovery: () => ({
        registry,
        start: () => undefined,
        stop: () => {
          stopped.push('discovery');
        },
      }),
      createHub: () => {
        hub = new FakeHub(registry);
        const stop = hub.stop.bind(hub);
        hub.stop = async (reason) => {
          stopped.push(`hub: ${reason}`);
          await stop(reason);
        };
        return hub;
      },
    },
    hub: () => hub!,
    stopped,
  };
}

describe('runServe', () => {
  it('serves until a signal, then closes clients with 1001, stops the hub and discovery, exits 0', async () => {
    const usersFile = path.join(dir, 'serve-users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    const streams = io();
    const fake = fakeParts();
    const fire: { handler?: (signal: string) => void } = {};
    const exit = runServe(
      ['--listen', '127.0.0.1:0', '--users-file', usersFile, '--web-dir', dir, '--log-level', 'silent'],
      { ...streams, env: {} },
      fake.parts,
      (handler) => {
        fire.handler = handler;
      },
    );
    // The handler is installed once the server listens.
    const deadline = Date.now() + 10_000;
    while (!fire.handler && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(fake.hub()).toBeInstanceOf(FakeHub);
    fire.handler!('SIGTERM');
    expect(await exit).toBe(0);
    expect(fake.stopped).toEqual(['hub: server shutting down', 'discovery']);
  });

  it('exits 2 with the fix on a config mistake, 1 on a weak users file', async () => {
    const a = io();
    expect(
      await runServe(['--listen', 'nowhere'], { ...a, env: {} }, fakeParts().parts, () => undefined),
    ).toBe(2);
    expect(a.out()).toMatch(/listen: expected host:port/);
    const weak = path.join(dir, 'weak-users');
    writeFileSync(weak, 'bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
    const b = io();
    const code = await runServe(
      ['--listen', '127.0.0.1:0', '--users-file', weak, '--log-level', 'silent'],
      { ...b, env: {} },
      fakeParts().parts,
      () => undefined,
    );
    expect(code).toBe(1);
    expect(b.out()).toMatch(
      /SHA-1 \(\{SHA\}\) hashes are too weak and refused; run `virt-webconsole passwd bob`/,
    );
  });
});

describe('startDaemon shutdown', () => {
  it('closes an attached console with 1001 "server shutting down"', async () => {
    const { startDaemon } = await import('../../../src/app/index.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const { createLogger } = await import('../../../src/http/index.js');
    const usersFile = path.join(dir, 'daemon-users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    const config = loadConfig({
      argv: ['--listen', '127.0.0.1:0', '--users-file', usersFile, '--web-dir', dir],
      env: {},
    });
    const fake = fakeParts();
    const daemon = await startDaemon(config, fake.parts, createLogger('silent'), () => undefined);
    const open = await expectOpen(
      tryUpgrade(`${daemon.url.replace(/^http/, 'ws')}/ws/serial/web-1/0`, { authorization: ALICE }),
    );
    await open.first;
    const closed = closeOf(open.ws);
    await daemon.stop('server shutting down');
    expect(await closed).toEqual({ code: 1001, reason: 'server shutting down' });
    expect(fake.stopped).toEqual(['hub: server shutting down', 'discovery']);
  });
});

describe('startDaemon start failure', () => {
  it('stops discovery and the hub when the web server cannot be built (unusable TLS files)', async () => {
    const { startDaemon } = await import('../../../src/app/index.js');
    const { loadConfig } = await import('../../../src/config/index.js');
    const { createLogger } = await import('../../../src/http/index.js');
    const usersFile = path.join(dir, 'bad-tls-users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    // Readable (so the config accepts them) but not PEM: https.createServer throws.
    const cert = path.join(dir, 'bad-cert.pem');
    const key = path.join(dir, 'bad-key.pem');
    writeFileSync(cert, 'not a certificate\n');
    writeFileSync(key, 'not a key\n');
    const config = loadConfig({
      argv: ['--listen', '127.0.0.1:0', '--users-file', usersFile, '--web-dir', dir],
      env: {},
    });
    const fake = fakeParts();
    await expect(
      startDaemon({ ...config, tls: { cert, key } }, fake.parts, createLogger('silent'), () => undefined),
    ).rejects.toThrow();
    // The virsh event child and the serial sources must not outlive a failed start.
    expect(fake.stopped).toEqual(['hub: server shutting down', 'discovery']);
  });
});

describe('runPasswd', () => {
  it('reads the password from stdin and writes a 0600 bcrypt line with the role', async () => {
    const usersFile = path.join(dir, 'passwd-users');
    const streams = io('a-good-password\n');
    expect(
      await runPasswd(['carol', '--role', 'operator', '--users', usersFile], { ...streams, env: {} }),
    ).toBe(0);
    expect(readFileSync(usersFile, 'utf8')).toMatch(/^carol:\$2y\$12\$.{53}:operator\n$/);
    expect(statSync(usersFile).mode & 0o777).toBe(0o600);
    expect(streams.out()).toContain('password for carol set');
  });

  it.each([
    [['carol', '--role', 'admin'], 'x-long-password\n', /--role must be viewer or operator/],
    [['carol'], 'short\n', /at least 8 characters/],
    [['carol'], 'has:colon-inside\n', /must not contain a colon/],
    [[], 'x-long-password\n', /usage: virt-webconsole passwd/],
    [['a', 'b'], 'x-long-password\n', /usage/],
    [['carol', '--bogus'], 'x-long-password\n', /Unknown option '--bogus'/],
  ])('refuses %j with exit 2', async (args, input, message) => {
    const streams = io(input);
    expect(await runPasswd([...args, '--users', path.join(dir, 'never')], { ...streams, env: {} })).toBe(2);
    expect(streams.out()).toMatch(message);
  });
});
