// The users file: htpasswd format (`user:hash`) as nginx and Apache read it, bcrypt hashes only,
// with an optional third field holding the role (`user:$2y$…:operator`; nginx ignores a third
// field as a comment). Weak formats are refused with the command that fixes them.
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import type { Role } from '../../bridge/types.js';
import { VwcError } from '../../errors/index.js';

export interface UserEntry {
  readonly name: string;
  readonly hash: string;
  /** null when the line names no role (the configured default applies). */
  readonly role: Role | null;
}

/** Cost for new hashes: 2^12 rounds, about 0.3 s in bcryptjs; never below 10. */
export const BCRYPT_COST = 12;
const BCRYPT = /^\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}$/;
const USER_NAME = /^[^\s:#\p{Cc}][^\s:\p{Cc}]{0,63}$/u;

export function checkUserName(name: string): void {
  if (!USER_NAME.test(name)) {
    throw new VwcError(
      'VWC_ERR_BAD_REQUEST',
      `invalid user name ${JSON.stringify(name)}: use 1-64 characters without spaces, colons or control characters, not starting with #`,
    );
  }
}

function weakFormat(hash: string): string | null {
  if (hash.startsWith('$apr1$')) return 'Apache MD5 ($apr1$)';
  if (hash.startsWith('{SHA}')) return 'SHA-1 ({SHA})';
  if (hash.startsWith('$1$')) return 'MD5-crypt ($1$)';
  if (hash.startsWith('$5$') || hash.startsWith('$6$')) return 'SHA-crypt ($5$/$6$)';
  if (/^[./A-Za-z0-9]{13}$/.test(hash)) return 'DES crypt';
  return null;
}

export function parseUsersFile(text: string, file: string): Map<string, UserEntry> {
  const users = new Map<string, UserEntry>();
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.replace(/\r$/, '');
    if (line.trim() === '' || line.startsWith('#')) return;
    const [name = '', hash = '', role = ''] = line.split(':');
    const where = `${file}:${i + 1} (user ${JSON.stringify(name)})`;
    const fix = `run \`virt-webconsole passwd ${name || '<user>'}\` to store a bcrypt hash`;
    const weak = weakFormat(hash);
    if (weak !== null) {
      throw new VwcError('VWC_ERR_USERS_FILE', `${where}: ${weak} hashes are too weak and refused; ${fix}`);
    }
    if (!BCRYPT.test(hash)) {
      throw new VwcError(
        'VWC_ERR_USERS_FILE',
        `${where}: not a bcrypt hash ($2y$/$2b$/$2a$), or a plain password; ${fix}`,
      );
    }
    if (role !== '' && role !== 'viewer' && role !== 'operator') {
      throw new VwcError(
        'VWC_ERR_USERS_FILE',
        `${where}: role ${JSON.stringify(role)} must be viewer or operator`,
      );
    }
    users.set(name, { name, hash, role: role === '' ? null : role });
  });
  return users;
}

export function readUsersFile(file: string): Map<string, UserEntry> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new VwcError('VWC_ERR_USERS_FILE', `cannot read users file ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return parseUsersFile(text, file);
}

/** Writes the file atomically, mode 0600 (it holds hashes). */
function writeUsers(file: string, lines: readonly string[]): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(temp, 0o600);
  renameSync(temp, file);
}

export function hashPassword(password: string, cost = BCRYPT_COST): string {
  if (cost < 10) throw new VwcError('VWC_ERR_BAD_REQUEST', 'bcrypt cost must be at least 10');
  // htpasswd -B writes $2y$; every bcrypt reader accepts it.
  return bcrypt.hashSync(password, cost).replace(/^\$2b\$/, '$2y$');
}

/**
 * Adds or changes a user. `role` undefined keeps an existing user's role (new users: viewer).
 * Comments and other lines are kept as they are.
 */
export function setUser(file: string, name: string, password: string, role?: Role, cost = BCRYPT_COST): void {
  checkUserName(name);
  if (password.length === 0) throw new VwcError('VWC_ERR_BAD_REQUEST', 'the password must not be empty');
  const existing = existsSync(file) ? readFileSync(file, 'utf8').split('\n') : [];
  const lines = existing.filter((line) => line.trim() !== '');
  const index = lines.findIndex((line) => line.startsWith(`${name}:`));
  const previousRole = index >= 0 ? lines[index]!.split(':')[2] : undefined;
  const finalRole =
    role ?? (previousRole === 'operator' || previousRole === 'viewer' ? previousRole : 'viewer');
  const line = `${name}:${hashPassword(password, cost)}:${finalRole}`;
  if (index >= 0) lines[index] = line;
  else lines.push(line);
  writeUsers(file, lines);
}

/**
 * First start: when the users file does not exist, creates it with an `admin` operator and a
 * random password. `savePassword` gets the password first: when it throws, no users file is
 * made (a users file whose only password is lost would lock everyone out for good).
 * Returns the user created, or null when the file exists.
 */
export function ensureUsersFile(
  file: string,
  savePassword: (user: string, password: string) => void,
  cost = BCRYPT_COST,
): string | null {
  if (existsSync(file)) return null;
  const password = randomBytes(15).toString('base64url');
  savePassword('admin', password);
  setUser(file, 'admin', password, 'operator', cost);
  return 'admin';
}
