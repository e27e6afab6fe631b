// SIGHUP: re-read the config and apply what can change under running consoles: the users file,
// the per-user ACLs and the TLS certificate (certbot renews it in place). Everything else is
// bound to listeners, sources and buffers that live as long as the process; a change to it is
// named in the log as needing a restart, never half-applied. A broken new config changes nothing.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createAccessPolicy, type UserStore, type WebServer } from '../http/index.js';
import type { SshServer } from '../ssh/index.js';

export interface ReloadResult {
  /** What took effect: `usersFile` (re-read), `users` (ACLs), `tls`. */
  readonly applied: readonly string[];
  /** Top-level settings that differ and take effect only after a restart. */
  readonly restartNeeded: readonly string[];
  /** Why a part could not be applied (the old one stays). */
  readonly errors: readonly string[];
}

/** The settings a reload applies; every other difference needs a restart. */
const LIVE_KEYS = new Set<keyof Config>(['users', 'tls', 'configFile']);

export function reloadDaemon(
  current: Config,
  next: Config,
  parts: { readonly web: WebServer; readonly users: UserStore; readonly ssh?: SshServer | null },
  logger: Logger,
): ReloadResult {
  const applied: string[] = [];
  const errors: string[] = [];
  const restartNeeded = (Object.keys(next) as (keyof Config)[]).filter(
    (key) => !LIVE_KEYS.has(key) && JSON.stringify(current[key]) !== JSON.stringify(next[key]),
  );
  const attempt = (name: string, apply: () => void): void => {
    try {
      apply();
      applied.push(name);
    } catch (error) {
      errors.push((error as Error).message);
    }
  };
  if (!restartNeeded.includes('usersFile'))
    attempt('usersFile', () => {
      parts.users.refresh();
      parts.web.http.endStaleSessions();
    });
  attempt('users', () => {
    parts.web.http.setUsers(next.users);
    parts.ssh?.setAccess(createAccessPolicy(next.users));
  });
  if ((current.tls === null) !== (next.tls === null)) restartNeeded.push('tls');
  else if (next.tls !== null) {
    const tls = next.tls;
    attempt('tls', () => {
      parts.web.setTls(tls);
    });
  }
  const result = { applied, restartNeeded, errors };
  if (errors.length > 0) logger.error(result, 'reload: some parts kept their old settings');
  else if (restartNeeded.length > 0) logger.warn(result, 'reload: some changed settings need a restart');
  else logger.info(result, 'reloaded');
  return result;
}
