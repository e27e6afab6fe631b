// The users file: bcrypt only, weak formats refused with the fix, roles in the third field,
// atomic 0600 writes, first-start admin.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureUsersFile, parseUsersFile, setUser, UserStore } from '../../../src/http/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-users-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const HASH = '$2y$10$' + 'a'.repeat(53);

describe('users file', () => {
  it('parses bcrypt lines with and without a role, skipping comments', () => {
    const users = parseUsersFile(
      `# admins\nalice:${HASH}:operator\nbob:${HASH.replace('2y', '2b')}\ncarol:${HASH.replace('2y', '2a')}:viewer\n`,
      'f',
    );
    expect([...users.values()].map((u) => [u.name, u.role])).toEqual([
      ['alice', 'operator'],
      ['bob', null],
      ['carol', 'viewer'],
    ]);
  });

  it.each([
    [
      '$apr1$abc$0123456789abcdefghijkl',
      /Apache MD5 \(\$apr1\$\) hashes are too weak.*virt-webconsole passwd bob/,
    ],
    ['{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=', /SHA-1 \(\{SHA\}\) hashes are too weak/],
    ['$1$salt$hash', /MD5-crypt/],
    ['$6$salt$hash', /SHA-crypt/],
    ['rq3ZxsNNcGlv.', /DES crypt/],
    ['secret-plain', /not a bcrypt hash.*plain password.*virt-webconsole passwd bob/],
  ])('refuses %s', (hash, message) => {
    expect(() => parseUsersFile(`bob:${hash}\n`, 'users')).toThrow(message);
  });

  it('refuses an unknown role', () => {
    expect(() => parseUsersFile(`bob:${HASH}:admin\n`, 'users')).toThrow(
      /role "admin" must be viewer or operator/,
    );
  });

  it('sets and changes users in a 0600 file, keeping the role unless given', async () => {
    const file = path.join(dir, 'set', 'users');
    setUser(file, 'dave', 'first-password', 'operator', 10);
    setUser(file, 'erin', 'erin-password', undefined, 10);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    setUser(file, 'dave', 'second-password', undefined, 10);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^dave:\$2y\$10\$.{53}:operator\nerin:\$2y\$10\$.{53}:viewer\n$/);
    const store = new UserStore(file, 'viewer');
    expect(await store.verify('dave', 'first-password')).toBeNull();
    expect(await store.verify('dave', 'second-password')).toEqual({ name: 'dave', role: 'operator' });
    // A change on disk is seen without a restart.
    setUser(file, 'dave', 'third-password', 'viewer', 10);
    expect(await store.verify('dave', 'second-password')).toBeNull();
    expect(await store.verify('dave', 'third-password')).toEqual({ name: 'dave', role: 'viewer' });
    expect(await store.verify('nobody', 'third-password')).toBeNull();
  });

  it('refuses bad user names and a cost below 10', () => {
    const file = path.join(dir, 'bad-users');
    expect(() => {
      setUser(file, 'a:b', 'password', 'viewer', 10);
    }).toThrow(/invalid user name/);
    expect(() => {
      setUser(file, 'has space', 'password', 'viewer', 10);
    }).toThrow(/invalid user name/);
    expect(() => {
      setUser(file, 'ok', 'password', 'viewer', 4);
    }).toThrow(/at least 10/);
  });

  it('creates the file at first start with an admin operator and a random password', async () => {
    const file = path.join(dir, 'first', 'users');
    let saved = '';
    const user = ensureUsersFile(file, (_user, password) => (saved = password), 10);
    expect(user).toBe('admin');
    expect(saved.length).toBeGreaterThanOrEqual(16);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await new UserStore(file, 'viewer').verify('admin', saved)).toEqual({
      name: 'admin',
      role: 'operator',
    });
    expect(ensureUsersFile(file, () => expect.unreachable(), 10)).toBeNull();
  });

  it('makes no users file when the password cannot be saved', () => {
    const file = path.join(dir, 'unsaved', 'users');
    expect(() =>
      ensureUsersFile(
        file,
        () => {
          throw new Error('disk full');
        },
        10,
      ),
    ).toThrow(/disk full/);
    expect(statSync(file, { throwIfNoEntry: false })).toBeUndefined();
  });

  it('refuses to start on a file with a weak hash', () => {
    const file = path.join(dir, 'weak');
    writeFileSync(file, 'old:$apr1$x$y\n');
    expect(() => new UserStore(file, 'viewer')).toThrow(/too weak/);
  });
});
