// The composition root: config → users file → discovery → console hub → HTTP server, and the
// shutdown in reverse. The parts are passed in, so tests can run the daemon on fakes.
import type { Logger } from 'pino';
import type { ConsoleHub } from '../bridge/types.js';
import { configWarnings, type Config } from '../config/index.js';
import type { VmRegistry } from '../discovery/types.js';
import { createWebServer, UserStore, type WebServer } from '../http/index.js';
import { createFirstUser } from './first-user.js';
import { reloadDaemon, type ReloadResult } from './reload.js';

export interface Discovery {
  readonly registry: VmRegistry;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface DaemonParts {
  createDiscovery(config: Config, logger: Logger): Discovery;
  createHub(config: Config, registry: VmRegistry, logger: Logger): ConsoleHub;
}

export interface Daemon {
  /** `http(s)://host:port` or `unix:/path`. */
  readonly url: string;
  readonly web: WebServer;
  /** Closes every client with `reason`, releases the consoles, stops discovery. Idempotent. */
  stop(reason: string): Promise<void>;
  /** Applies a re-read config's users file, ACLs and TLS pair (SIGHUP); logs what needs a restart. */
  reload(next: Config): ReloadResult;
}

export const SHUTDOWN_REASON = 'server shutting down';

export async function startDaemon(
  config: Config,
  parts: DaemonParts,
  logger: Logger,
  /** Where the first start says where its admin password is (the password itself is never shown). */
  announce: (text: string) => void,
): Promise<Daemon> {
  createFirstUser(config, logger, announce);
  for (const warning of configWarnings(config)) logger.warn(warning);
  // Reads and checks the users file now: a weak hash stops the start with the fix in the message.
  const users = new UserStore(config.usersFile, config.defaultRole);
  const discovery = parts.createDiscovery(config, logger.child({ part: 'discovery' }));
  let hub: ConsoleHub | null = null;
  let web: WebServer;
  let url: string;
  try {
    await discovery.start();
    hub = parts.createHub(config, discovery.registry, logger.child({ part: 'hub' }));
    hub.start();
    // Throws on unusable TLS files (readable, but not a certificate and key).
    web = createWebServer({
      config,
      logger: logger.child({ part: 'http' }),
      registry: discovery.registry,
      hub,
      users,
      listen: config.listen,
    });
    url = await web.listen();
  } catch (error) {
    // Whatever started must not outlive a failed start (the `virsh event` child, serial sources).
    for (const step of [() => hub?.stop(SHUTDOWN_REASON), () => discovery.stop(), () => users.close()]) {
      try {
        await step();
      } catch (stopError) {
        logger.error({ err: stopError }, 'cleanup after a failed start failed');
      }
    }
    throw error;
  }
  const started = hub;
  logger.info({ url, configFile: config.configFile, tls: config.tls !== null }, 'listening');

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      // Each step runs even when the one before failed: sources must be released regardless.
      const steps: [string, () => Promise<void> | void][] = [
        ['http', () => web.shutdown(reason)],
        ['hub', () => started.stop(reason)],
        ['discovery', () => discovery.stop()],
        ['users', () => users.close()],
      ];
      for (const [part, step] of steps) {
        try {
          await step();
        } catch (error) {
          logger.error({ err: error, part }, 'shutdown step failed');
        }
      }
      logger.info('stopped');
    })();
    return stopping;
  };
  const reload = (next: Config): ReloadResult =>
    reloadDaemon(config, next, { web, users }, logger.child({ part: 'reload' }));
  return { url, web, stop, reload };
}
