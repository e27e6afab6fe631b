// First start without a users file: the admin password goes to a 0600 file in the state folder
// and never to the terminal or the log; an unwritable state folder stops the start with the fix.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createFirstUser, INITIAL_PASSWORD_FILE } from '../../../src/app/first-user.js';
import { UserStore } from '../../../src/http/index.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-first-user-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function capture(): { logger: pino.Logger; lines: () => string } {
  let text = '';
  const logger = pino({ level: 'info' }, { write: (line: string) => (text += line) });
  return { logger, lines: () => text };
}

describe('createFirstUser', () => {
  it('saves the password root-only in the state folder and says only where it is', async () => {
    const usersFile = path.join(dir, 'etc', 'users');
    const stateDir = path.join(dir, 'state');
    const log = capture();
    let said = '';
    createFirstUser({ usersFile, stateDir }, log.logger, (text) => (said += text));
    const passwordFile = path.join(stateDir, INITIAL_PASSWORD_FILE);
    const password = readFileSync(passwordFile, 'utf8').trim();
    expect(statSync(passwordFile).mode & 0o777).toBe(0o600);
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(await new UserStore(usersFile, 'viewer').verify('admin', password)).toEqual({
      name: 'admin',
      role: 'operator',
    });
    expect(said).toContain(passwordFile);
    expect(log.lines()).toContain(passwordFile);
    expect(said).not.toContain(password);
    expect(log.lines()).not.toContain(password);
    // The second start finds the file and changes nothing.
    said = '';
    createFirstUser({ usersFile, stateDir }, log.logger, (text) => (said += text));
    expect(said).toBe('');
    expect(readFileSync(passwordFile, 'utf8').trim()).toBe(password);
  });

  it('stops with the fix, and makes no users file, when the state folder is not writable', () => {
    const usersFile = path.join(dir, 'blocked-users');
    const notAFolder = path.join(dir, 'plain-file');
    writeFileSync(notAFolder, '');
    expect(() => {
      createFirstUser({ usersFile, stateDir: notAFolder }, capture().logger, () => undefined);
    }).toThrow(/first admin password cannot be saved in .*set stateDir \(--state-dir\)/);
    expect(statSync(usersFile, { throwIfNoEntry: false })).toBeUndefined();
  });
});
