// `virt-webconsole check-config`: what serve would refuse, found before a restart (or a package
// upgrade) takes the consoles down. Reads only; starts nothing.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { configWarnings, loadConfig, type Config } from '../config/index.js';
import { VwcError } from '../errors/index.js';
import { readUsersFile } from '../http/auth/htpasswd.js';
import { INITIAL_PASSWORD_FILE } from './first-user.js';
import { fullUsage, parseCommand, type CommandIo, fail } from './usage.js';

/** `check-config [--config FILE] [serve's flags…]`: 0 when serve would start with it, else 2. */
export function runCheckConfig(argv: readonly string[], io: CommandIo): number {
  try {
    if (parseCommand('check-config', argv).help) {
      io.stdout.write(fullUsage('check-config'));
      return 0;
    }
    // The same call serve makes, so both accept and refuse the same command lines and files.
    const config = loadConfig({ argv, ...(io.env ? { env: io.env } : {}) });
    checkTls(config);
    const notes = [...configWarnings(config).map((w) => `warning: ${w}`), checkUsersFile(config)];
    io.stdout.write(`config OK: ${config.configFile ?? 'defaults'}\n${notes.join('\n')}\n`);
    return 0;
  } catch (error) {
    fail(io, error);
    // Whatever went wrong, serve would not start with this: a configuration mistake.
    return 2;
  }
}

/** loadConfig checks the pair is readable; serve also needs it to be a certificate and its key. */
function checkTls(config: Config): void {
  if (config.tls === null) return;
  try {
    createSecureContext({ cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) });
  } catch (error) {
    throw new VwcError(
      'VWC_ERR_CONFIG',
      `tls: ${config.tls.cert} and ${config.tls.key} are not a PEM certificate and its key (${(error as Error).message})`,
    );
  }
}

/** Throws what serve would (unreadable file, weak hash); a missing file is made at first start. */
function checkUsersFile(config: Config): string {
  if (!existsSync(config.usersFile)) {
    const passwordFile = path.join(config.stateDir, INITIAL_PASSWORD_FILE);
    return (
      `users file: ${config.usersFile} does not exist yet; serve will create it with user admin, ` +
      `whose password it saves in ${passwordFile}`
    );
  }
  const users = readUsersFile(config.usersFile);
  return `users file: ${config.usersFile} (${users.size} ${users.size === 1 ? 'user' : 'users'})`;
}
