import { mkdtempSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ssh2 from 'ssh2';
import { afterEach, describe, expect, it } from 'vitest';
import {
  authorizedKeysFile,
  ensureHostKey,
  generateHostKey,
  parseAuthorizedKeys,
  parseHostKey,
  readHostKey,
} from '../../../src/ssh/index.js';
import { isVwcError } from '../../../src/errors/index.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-ssh-unit-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('host key', () => {
  it('encodes an ed25519 key that ssh2 reads back and that signs', () => {
    const text = generateHostKey('test');
    expect(text).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----\n/);
    const key = ssh2.utils.parseKey(text);
    if (key instanceof Error || Array.isArray(key)) throw new Error('not one key');
    expect(key.type).toBe('ssh-ed25519');
    expect(key.comment).toBe('test');
    const signature = key.sign(Buffer.from('data'));
    expect(key.verify(Buffer.from('data'), signature)).toBe(true);
    expect(parseHostKey(text, 'x').fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  it('is made once in a 0700 folder, 0600, and read again unchanged', () => {
    const stateDir = path.join(tempDir(), 'state');
    const first = ensureHostKey(stateDir);
    expect(first.created).toBe(true);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(path.join(stateDir, 'ssh_host_ed25519_key')).mode & 0o777).toBe(0o600);
    const again = ensureHostKey(stateDir);
    expect(again.created).toBe(false);
    expect(again.key.fingerprint).toBe(first.key.fingerprint);
  });

  it('refuses a key readable by others, or one that is not ed25519', () => {
    const stateDir = tempDir();
    const file = path.join(stateDir, 'ssh_host_ed25519_key');
    writeFileSync(file, generateHostKey('x'), { mode: 0o644 });
    chmodSync(file, 0o644);
    expect(() => readHostKey(stateDir)).toThrow(/chmod 600/);
    writeFileSync(file, 'not a key\n');
    chmodSync(file, 0o600);
    try {
      readHostKey(stateDir);
      expect.unreachable();
    } catch (error) {
      expect(isVwcError(error, 'VWC_ERR_SSH_HOST_KEY')).toBe(true);
    }
  });
});

describe('authorized_keys', () => {
  const key = ssh2.utils.parseKey(generateHostKey('k'));
  if (key instanceof Error || Array.isArray(key)) throw new Error('not one key');
  const line = `ssh-ed25519 ${key.getPublicSSH().toString('base64')} alice@laptop`;

  it('reads key lines, skips comments, and skips lines with options rather than half-honour them', () => {
    const parsed = parseAuthorizedKeys(
      ['# comment', '', line, `from="10.0.0.1" ${line}`, 'ssh-ed25519 garbage'].join('\n'),
    );
    expect(parsed.keys).toHaveLength(1);
    expect(parsed.keys[0]!.getPublicSSH().equals(key.getPublicSSH())).toBe(true);
    expect(parsed.skipped).toEqual([4, 5]);
  });

  it('puts only plain user names into the path', () => {
    expect(authorizedKeysFile('/k/%u', 'alice')).toBe('/k/alice');
    expect(authorizedKeysFile('/k/%u', '../root')).toBeNull();
    expect(authorizedKeysFile('/k/%u', 'a/b')).toBeNull();
    expect(authorizedKeysFile('/k/%u', '.hidden')).toBeNull();
  });
});
