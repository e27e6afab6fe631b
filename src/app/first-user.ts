// First start: no users file yet. The daemon makes one with an `admin` operator and a random
// password, which goes to a root-only file in the state folder, never to the terminal or the
// journal: logs are kept, copied and shipped, a password in them leaks.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { VwcError } from '../errors/index.js';
import { ensureUsersFile } from '../http/index.js';

export const INITIAL_PASSWORD_FILE = 'initial-admin-password';

export function createFirstUser(
  config: Pick<Config, 'usersFile' | 'stateDir'>,
  logger: Logger,
  announce: (text: string) => void,
): void {
  const passwordFile = path.join(config.stateDir, INITIAL_PASSWORD_FILE);
  const user = ensureUsersFile(config.usersFile, (_user, password) => {
    try {
      mkdirSync(config.stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    } catch (error) {
      throw new VwcError(
        'VWC_ERR_USERS_FILE',
        `no users file at ${config.usersFile}, and the first admin password cannot be saved in ` +
          `${passwordFile} (${(error as Error).message}); set stateDir (--state-dir) to a writable ` +
          `folder, or create users first with \`virt-webconsole passwd admin\``,
      );
    }
  });
  if (user === null) return;
  announce(
    `virt-webconsole: created ${config.usersFile} with user "${user}"; its password is in ` +
      `${passwordFile} (readable by root only). Change it with: virt-webconsole passwd ${user}\n`,
  );
  logger.warn(
    { usersFile: config.usersFile, user, passwordFile },
    'users file created; the first admin password is in passwordFile',
  );
}
