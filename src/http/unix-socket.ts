// The UNIX-socket listener's file: a stale one from a killed daemon is replaced, and the new one
// gets the configured mode and group so a reverse proxy (nginx as www-data) may connect.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import { VwcError } from '../errors/index.js';

export function removeStaleSocket(file: string): void {
  const st = lstatSync(file, { throwIfNoEntry: false });
  if (!st) return;
  if (!st.isSocket()) {
    throw new VwcError(
      'VWC_ERR_CONFIG',
      `listen: ${file} exists and is not a socket; remove it or pick another path`,
    );
  }
  unlinkSync(file);
}

export function shareSocket(file: string, gid: number | null, mode: number): void {
  if (gid !== null) chownSync(file, -1, gid);
  chmodSync(file, mode);
}

/** A group name or number → gid, through NSS (`getent`), as chgrp would. */
export function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  let line: string;
  try {
    line = execFileSync('getent', ['group', group], { encoding: 'utf8' });
  } catch {
    throw new VwcError(
      'VWC_ERR_CONFIG',
      `listen.socketGroup: no group ${JSON.stringify(group)} on this host (getent group ${group})`,
    );
  }
  return Number(line.split(':')[2]);
}
