// Per-user authorized_keys files (`ssh.authorizedKeys`, `%u` = the user name), read on every
// public-key attempt so an added or removed key counts at once. Lines are OpenSSH's format;
// a line with options in front of the key (`from=…`, `command=…`, `restrict …`) is skipped
// rather than honoured in part: ignoring `from=` would let that key in from anywhere.
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { ParsedKey } from 'ssh2';

export interface AuthorizedKeys {
  readonly keys: readonly ParsedKey[];
  /** Line numbers skipped (options, unparsable), for the log. */
  readonly skipped: readonly number[];
}

const KEY_TYPE = /^(?:ssh-(?:ed25519|rsa|dss)|ecdsa-sha2-nistp(?:256|384|521))$/;

export function parseAuthorizedKeys(text: string): AuthorizedKeys {
  const keys: ParsedKey[] = [];
  const skipped: number[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const key = KEY_TYPE.test(line.split(/\s+/)[0] ?? '') ? ssh2.utils.parseKey(line) : null;
    if (key === null || key instanceof Error) skipped.push(i + 1);
    else keys.push(key);
  });
  return { keys, skipped };
}

/**
 * A user name that may be put into a path: the users file allows more (`/`, a leading dot),
 * but such a name must not pick another file.
 */
export function safeUserForPath(user: string): boolean {
  return /^[A-Za-z0-9_@+-][A-Za-z0-9._@+-]{0,63}$/.test(user);
}

export function authorizedKeysFile(pattern: string, user: string): string | null {
  return safeUserForPath(user) ? pattern.replaceAll('%u', user) : null;
}

/** The user's keys; none when the file is missing or unreadable. */
export function readAuthorizedKeys(pattern: string, user: string): AuthorizedKeys & { file: string | null } {
  const file = authorizedKeysFile(pattern, user);
  if (file === null) return { keys: [], skipped: [], file };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { keys: [], skipped: [], file };
  }
  return { ...parseAuthorizedKeys(text), file };
}

/** The listed key whose public blob is `blob`, or undefined. */
export function findKey(keys: readonly ParsedKey[], blob: Buffer): ParsedKey | undefined {
  return keys.find((key) => key.getPublicSSH().equals(blob));
}
