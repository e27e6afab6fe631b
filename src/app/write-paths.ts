// Every file the daemon creates or changes, for a config. The systemd unit's sandbox makes only
// the folders of these writable; a test holds the two together, so a new file the daemon writes
// (a log, a key) fails that test until the unit allows it.
import path from 'node:path';
import type { Config } from '../config/index.js';
import { hostKeyPath } from '../ssh/index.js';
import { INITIAL_PASSWORD_FILE } from './first-user.js';

export function writePaths(config: Pick<Config, 'usersFile' | 'stateDir' | 'listen'>): string[] {
  return [
    // First start, and `virt-webconsole passwd` (a temporary file beside it, then a rename).
    config.usersFile,
    path.join(config.stateDir, INITIAL_PASSWORD_FILE),
    // The SSH host key, made on the first start with ssh.listen set (listed either way: turning
    // SSH on later must not need a new unit).
    hostKeyPath(config.stateDir),
    ...(config.listen.kind === 'unix' ? [config.listen.path] : []),
  ];
}
