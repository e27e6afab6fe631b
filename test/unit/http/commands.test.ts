// The composition root and the commands on fakes: serve starts, stops on a signal in order and
// exits 0; config and users-file mistakes exit with a message; passwd writes the users file,
// reading stdin only when told to, and retires the first start's password file.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runPasswd, runServe } from '../../../src/app/index.js';
import { INITIAL_PASSWORD_FILE } from '../../../src/app/first-user.js';
import { setUser, UserStore } from '../../../src/http/index.js';
import {
  ALICE,
  FakeHub,
  closeOf,
  expectOpen,
  fakeDaemonParts,
  tryUpgrade,
} from '../../../harness/http-server.js';
import { freePort } from '../../../harness/ports.js';

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

/** Whether the users file takes this password (the store's checker thread is stopped after). */
async function verifies(usersFile: string, user: string, password: string): Promise<boolean> {
  const store = new UserStore(usersFile, 'viewer');
  try {
    return (await store.verify(user, password)) !== null;
  } finally {
    await store.close();
  }
}

describe('runServe', () => {
  it('serves until a signal, then closes clients with 1001, stops the hub and discovery, exits 0', async () => {
    const usersFile = path.join(dir, 'serve-users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    const streams = io();
    const fake = fakeDaemonParts();
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

  it('keeps serving, unchanged, when a SIGHUP finds a broken config', async () => {
    const usersFile = path.join(dir, 'hup-users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    const configFile = path.join(dir, 'hup.json');
    const port = await freePort();
    const settings = { listen: `127.0.0.1:${port}`, usersFile, webDir: dir, logLevel: 'silent' };
    writeFileSync(configFile, JSON.stringify(settings));
    const fake = fakeDaemonParts();
    const fire: { handler?: (signal: string) => void } = {};
    const exit = runServe(['--config', configFile], { ...io(), env: {} }, fake.parts, (handler) => {
      fire.handler = handler;
    });
    const deadline = Date.now() + 10_000;
    while (!fire.handler && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    writeFileSync(configFile, '{ broken');
    fire.handler!('SIGHUP');
    fire.handler!('SIGHUP');
    // Still serving, on the same port, after the refused reloads.
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    fire.handler!('SIGTERM');
    expect(await exit).toBe(0);
  });

  it('exits 2 with the fix on a config mistake, 1 on a weak users file', async () => {
    const a = io();
    expect(
      await runServe(['--listen', 'nowhere'], { ...a, env: {} }, fakeDaemonParts().parts, () => undefined),
    ).toBe(2);
    expect(a.out()).toMatch(/listen: expected host:port/);
    const weak = path.join(dir, 'weak-users');
    writeFileSync(weak, 'bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
    const b = io();
    const code = await runServe(
      ['--listen', '127.0.0.1:0', '--users-file', weak, '--log-level', 'silent'],
      { ...b, env: {} },
      fakeDaemonParts().parts,
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
    const fake = fakeDaemonParts();
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
    const fake = fakeDaemonParts();
    await expect(
      startDaemon({ ...config, tls: { cert, key } }, fake.parts, createLogger('silent'), () => undefined),
    ).rejects.toThrow();
    // The virsh event child and the serial sources must not outlive a failed start.
    expect(fake.stopped).toEqual(['hub: server shutting down', 'discovery']);
  });
});

describe('runPasswd', () => {
  it('with --password-stdin reads stdin’s first line and writes a 0600 bcrypt line with the role', async () => {
    const usersFile = path.join(dir, 'passwd-users');
    const streams = io('a-good-password\nnot this line\n');
    expect(
      await runPasswd(['carol', '--role', 'operator', '--users-file', usersFile, '--password-stdin'], {
        ...streams,
        env: {},
      }),
    ).toBe(0);
    expect(readFileSync(usersFile, 'utf8')).toMatch(/^carol:\$2y\$12\$.{53}:operator\n$/);
    expect(statSync(usersFile).mode & 0o777).toBe(0o600);
    expect(streams.out()).toContain('password for carol set');
    expect(await verifies(usersFile, 'carol', 'a-good-password')).toBe(true);
  });

  it.each([
    ['spaces and \\ kept\r\n', 'spaces and \\ kept'],
    ['no-newline-at-end', 'no-newline-at-end'],
    ['inner\rreturn-kept\n', 'inner\rreturn-kept'],
  ])('takes %j from stdin as %j (only a trailing \\r\\n or \\n is dropped)', async (input, password) => {
    const usersFile = path.join(dir, 'stdin-users');
    const streams = io(input);
    expect(
      await runPasswd(['dave', '--users-file', usersFile, '--password-stdin'], { ...streams, env: {} }),
    ).toBe(0);
    expect(await verifies(usersFile, 'dave', password)).toBe(true);
  });

  it('refuses to read a stdin that is not a terminal unless told to (exit 2), and changes nothing', async () => {
    const usersFile = path.join(dir, 'not-a-tty-users');
    const streams = io('a-good-password\n');
    expect(await runPasswd(['erin', '--users-file', usersFile], { ...streams, env: {} })).toBe(2);
    expect(streams.out()).toContain(
      'stdin is not a terminal; pass --password-stdin to read the password from it',
    );
    expect(existsSync(usersFile)).toBe(false);
  });

  it('on a terminal asks twice with echo off, and refuses two different answers', async () => {
    const usersFile = path.join(dir, 'tty-users');
    const typed = async (first: string, second: string): Promise<{ code: number; out: string }> => {
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      let out = '';
      // Types each answer once its prompt is out, as a person would.
      const stdout = new Writable({
        write: (chunk: Buffer, _e, done) => {
          out += chunk.toString();
          if (chunk.toString() === 'New password: ') setImmediate(() => stdin.write(`${first}\r`));
          if (chunk.toString() === 'Again: ') setImmediate(() => stdin.write(`${second}\r`));
          done();
        },
      });
      const code = await runPasswd(['frank', '--users-file', usersFile], {
        stdin,
        stdout,
        stderr: stdout,
        env: {},
      });
      return { code, out };
    };
    const differ = await typed('first-password', 'second-password');
    expect(differ.code).toBe(2);
    expect(differ.out).toContain('the passwords differ; nothing changed');
    expect(existsSync(usersFile)).toBe(false);
    const same = await typed('same-password', 'same-password');
    expect(same.code).toBe(0);
    expect(same.out).not.toContain('same-password');
    expect(await verifies(usersFile, 'frank', 'same-password')).toBe(true);
  });

  it('removes the first start’s initial-admin-password once admin’s password is set, and says so', async () => {
    const stateDir = path.join(dir, 'state');
    const usersFile = path.join(dir, 'admin-users');
    const passwordFile = path.join(stateDir, INITIAL_PASSWORD_FILE);
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(passwordFile, 'the-first-password\n');
    const env = { VWC_STATE_DIR: stateDir };
    // Another user's password leaves it alone.
    const bob = io('bobs-password\n');
    expect(await runPasswd(['bob', '--users-file', usersFile, '--password-stdin'], { ...bob, env })).toBe(0);
    expect(existsSync(passwordFile)).toBe(true);
    const admin = io('admins-new-password\n');
    expect(await runPasswd(['admin', '--users-file', usersFile, '--password-stdin'], { ...admin, env })).toBe(
      0,
    );
    expect(existsSync(passwordFile)).toBe(false);
    expect(admin.out()).toContain(`removed ${passwordFile}`);
    // Without the file there is nothing to say.
    const again = io('admins-newer-password\n');
    expect(await runPasswd(['admin', '--users-file', usersFile, '--password-stdin'], { ...again, env })).toBe(
      0,
    );
    expect(again.out()).not.toContain('removed');
  });

  it.each([
    [['carol', '--role', 'admin'], 'x-long-password\n', /--role must be viewer or operator/],
    [['carol'], 'short\n', /at least 8 characters/],
    [['carol'], '', /no password on stdin/],
    [['carol'], 'has:colon-inside\n', /must not contain a colon/],
    [[], 'x-long-password\n', /missing <user>[^]*usage: virt-webconsole passwd/],
    [['a', 'b'], 'x-long-password\n', /unexpected argument "b"[^]*usage/],
    [['carol', '--bogus'], 'x-long-password\n', /unknown option '--bogus'/],
    // One name per flag: the users file is --users-file, as for serve.
    [['carol', '--users', 'x'], 'x-long-password\n', /unknown option '--users'/],
  ])('refuses %j with exit 2', async (args, input, message) => {
    const streams = io(input);
    const argv = [...args, '--users-file', path.join(dir, 'never'), '--password-stdin'];
    expect(await runPasswd(argv, { ...streams, env: {} })).toBe(2);
    expect(streams.out()).toMatch(message);
    expect(existsSync(path.join(dir, 'never'))).toBe(false);
  });
});
