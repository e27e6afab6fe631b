// check-config accepts and refuses what serve would (same loader, same flags, the users file's
// weak hashes, a TLS pair that is not one), says "config OK" with the warnings serve would log,
// and starts or writes nothing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCheckConfig } from '../../../src/app/index.js';
import { DEFAULT_CONFIG_FILE } from '../../../src/config/index.js';
import { setUser } from '../../../src/http/index.js';
import { fakeIo } from './fake-io.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-check-config-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function check(argv: string[], env: Record<string, string> = {}): { code: number; out: string; err: string } {
  const io = fakeIo('', env);
  const code = runCheckConfig(argv, io);
  return { code, out: io.out(), err: io.err() };
}

function configFile(name: string, settings: object): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(settings));
  return file;
}

const goodUsers = path.join(dir, 'users');
setUser(goodUsers, 'alice', 'alice-password', 'operator', 10);

describe('check-config', () => {
  it('says "config OK: <file>" and the users file, exit 0', () => {
    const file = configFile('good.json', { listen: '127.0.0.1:9000', usersFile: goodUsers });
    const { code, out, err } = check(['--config', file]);
    expect([code, err]).toEqual([0, '']);
    expect(out).toBe(`config OK: ${file}\nusers file: ${goodUsers} (1 user)\n`);
  });

  it.skipIf(existsSync(DEFAULT_CONFIG_FILE))('says "defaults" when there is no config file', () => {
    const { code, out } = check(['--users-file', goodUsers]);
    expect(code).toBe(0);
    expect(out).toMatch(/^config OK: defaults\n/);
  });

  it('takes serve’s flags and environment, and prints the warnings serve would log', () => {
    const { code, out } = check(['--listen', 'unix:/run/vwc-test.sock', '--include', 'web-*'], {
      VWC_USERS_FILE: goodUsers,
      VWC_CONFIG: configFile('empty.json', {}),
    });
    expect(code).toBe(0);
    expect(out).toMatch(/^warning: listening on a UNIX socket without "unix" in trustedProxies/m);
  });

  it('creates nothing when the users file is missing, and says what the first start will do', () => {
    const usersFile = path.join(dir, 'not-yet', 'users');
    const stateDir = path.join(dir, 'state');
    const { code, out } = check([
      '--users-file',
      usersFile,
      '--state-dir',
      stateDir,
      '--config',
      configFile('e.json', {}),
    ]);
    expect(code).toBe(0);
    expect(out).toContain(`${usersFile} does not exist yet; serve will create it with user admin`);
    expect(existsSync(usersFile)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
  });

  const weakUsers = path.join(dir, 'weak-users');
  writeFileSync(weakUsers, 'bob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n');
  const notAFile = path.join(dir, 'a-folder');
  mkdirSync(notAFile);
  const notPem = path.join(dir, 'not.pem');
  writeFileSync(notPem, 'not a certificate\n');

  it.each([
    ['a bad setting', ['--listen', 'nowhere'], /listen: expected host:port/],
    ['an unknown key', ['--config', configFile('typo.json', { lisen: 1 })], /unknown setting "lisen"/],
    ['a missing config file', ['--config', path.join(dir, 'none.json')], /cannot read the config file/],
    ['a weak hash', ['--users-file', weakUsers], /SHA-1 \(\{SHA\}\) hashes are too weak.*passwd bob/],
    ['an unreadable users file', ['--users-file', notAFile], /cannot read users file/],
    ['a TLS pair that is not PEM', ['--tls-cert', notPem, '--tls-key', notPem], /not a PEM certificate/],
    ['an unknown flag', ['--bogus'], /unknown option '--bogus'[^]*check-config --help/],
  ])('refuses %s on stderr with exit 2', (_what, argv, message) => {
    const args = argv.includes('--users-file') ? argv : [...argv, '--users-file', goodUsers];
    const { code, out, err } = check(args);
    expect([code, out]).toEqual([2, '']);
    expect(err).toMatch(message);
  });
});
