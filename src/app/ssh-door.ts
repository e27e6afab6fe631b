// The SSH front door (docs/ssh.md), when `ssh.listen` is set: its host key, made on the first
// start, and the same ACLs, hub and failed-login counter as the HTTP side.
import type { Logger } from 'pino';
import type { Config } from '../config/index.js';
import { createAccessPolicy } from '../http/index.js';
import { createSshServer, ensureHostKey, type SshServer, type SshServerDeps } from '../ssh/index.js';

/** The SSH server, not yet listening; null when `ssh.listen` is not set. */
export function createSsh(
  config: Config,
  deps: Pick<SshServerDeps, 'registry' | 'hub' | 'users' | 'limiter'>,
  logger: Logger,
): SshServer | null {
  if (config.ssh.listen === null) return null;
  const sshLogger = logger.child({ part: 'ssh' });
  const { key, created } = ensureHostKey(config.stateDir);
  if (created) sshLogger.warn({ fingerprint: key.fingerprint }, 'ssh host key created');
  else sshLogger.info({ fingerprint: key.fingerprint }, 'ssh host key');
  return createSshServer({
    ...deps,
    config: { ...config.ssh, listen: config.ssh.listen },
    hostKey: key,
    access: createAccessPolicy(config.users),
    logger: sshLogger,
  });
}

/** Listens and says where: the server's `host:port`, or null without one. */
export async function listenSsh(ssh: SshServer | null, logger: Logger): Promise<string | null> {
  const address = (await ssh?.listen()) ?? null;
  if (address !== null) logger.info({ part: 'ssh', address }, 'ssh listening');
  return address;
}
