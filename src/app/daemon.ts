// The composition root: config → users file → discovery → console hub → HTTP server, and the
// shutdown in reverse. The parts are passed in, so tests can run the daemon on fakes.
import type { Logger } from 'pino';
import type { ConsoleHub } from '../bridge/types.js';
import { configWarnings, packageVersion, type Config } from '../config/index.js';
import type { PowerControl } from '../control/index.js';
import type { ThumbnailService } from '../control/thumbnails/index.js';
import { createFleet, entrySecrets, readPrivateKey, type Fleet } from '../fleet/index.js';
import { Registry } from '../discovery/index.js';
import type { VmRegistry } from '../discovery/types.js';
import { createWebServer, LoginRateLimiter, UserStore, type WebServer } from '../http/index.js';
import type { SshServer } from '../ssh/index.js';
import { wireMetrics, type HubHooks } from './daemon-metrics.js';
import { createFirstUser } from './first-user.js';
import { createSsh, listenSsh } from './ssh-door.js';
import { reloadDaemon, type ReloadResult } from './reload.js';

export interface Discovery {
  readonly registry: VmRegistry;
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

export interface DaemonParts {
  createDiscovery(config: Config, logger: Logger): Discovery;
  createHub(config: Config, registry: VmRegistry, logger: Logger, hooks?: HubHooks): ConsoleHub;
  /** Power actions (src/control); without it the action route answers 404. */
  createPower?(config: Config, logger: Logger): PowerControl & { stop(): void };
  /** List-page thumbnails (src/control/thumbnails); without it the thumbnail route answers 204 (no picture). */
  createThumbnails?(
    config: Config,
    registry: VmRegistry,
    onCapture?: (result: 'ok' | 'error') => void,
  ): { readonly service: ThumbnailService; stop(): void };
}

export type { HubHooks } from './daemon-metrics.js';

export interface Daemon {
  /** `http(s)://host:port` or `unix:/path`. */
  readonly url: string;
  readonly web: WebServer;
  /** The SSH server's `host:port`, or null when `ssh.listen` is not set. */
  readonly sshAddress: string | null;
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
  // Entries of a fleet key their credential stamps alike, so their login sessions hold at each.
  const stamps = config.fleet.entry
    ? entrySecrets(readPrivateKey(config.fleet.entry.privateKeyFile)).stamps
    : undefined;
  const users = new UserStore(config.usersFile, config.defaultRole, undefined, stamps);
  // An entry lists its hosts' VMs only (src/fleet): no discovery of its own, so it needs no libvirt.
  const discovery: Discovery = config.fleet.entry
    ? { registry: new Registry({ logger }), start: () => undefined, stop: () => undefined }
    : parts.createDiscovery(config, logger.child({ part: 'discovery' }));
  const version = packageVersion();
  const metrics = wireMetrics(config.metrics, version);
  const power = parts.createPower?.(config, logger.child({ part: 'control' })) ?? null;
  let thumbnails: ReturnType<NonNullable<DaemonParts['createThumbnails']>> | null = null;
  let unobserve: (() => void) | null = null;
  // One failed-login counter for both front doors: a guess over SSH counts over HTTP too.
  const limiter = new LoginRateLimiter(
    config.loginRateLimit.maxFailures,
    config.loginRateLimit.windowSeconds * 1000,
    Date.now,
    metrics.login,
  );
  let hub: ConsoleHub | null = null;
  let web: WebServer;
  let url: string;
  /** The web server once made: a failure after it (the SSH port taken) must close it. */
  let built: WebServer | null = null;
  let ssh: SshServer | null = null;
  let sshAddress: string | null = null;
  let fleet: Fleet | null = null;
  try {
    await discovery.start();
    hub = parts.createHub(config, discovery.registry, logger.child({ part: 'hub' }), metrics.hubHooks);
    hub.start();
    thumbnails = parts.createThumbnails?.(config, discovery.registry, metrics.onThumbnailCapture) ?? null;
    // The front doors get the hub with every attach counted.
    const observed = metrics.observe(discovery.registry, hub);
    unobserve = observed.unobserve;
    const served = observed.served;
    // Reads the fleet's keys and tokens: an unusable one stops the start with its path.
    fleet = createFleet(config, {
      registry: discovery.registry,
      hub: served,
      logger: logger.child({ part: 'fleet' }),
    });
    // Throws on unusable TLS files (readable, but not a certificate and key).
    web = createWebServer({
      config,
      logger: logger.child({ part: 'http' }),
      registry: discovery.registry,
      hub: served,
      users,
      limiter,
      listen: config.listen,
      version,
      recordingReaders: config.vncRecording.readableBy,
      ...(power ? { power } : {}),
      ...(thumbnails
        ? {
            thumbnails: {
              thumbnails: thumbnails.service,
              intervalSeconds: config.thumbnails.intervalSeconds,
            },
          }
        : {}),
      ...metrics.routes,
      ...(fleet.http ? { fleet: fleet.http } : {}),
    });
    built = web;
    url = await web.listen();
    fleet.start();
    ssh = createSsh(config, { registry: discovery.registry, hub: served, users, limiter }, logger);
    sshAddress = await listenSsh(ssh, logger);
  } catch (error) {
    // Whatever started must not outlive a failed start (the `virsh event` child, serial sources).
    for (const step of [
      () => fleet?.stop(),
      () => ssh?.shutdown(SHUTDOWN_REASON),
      () => built?.shutdown(SHUTDOWN_REASON),
      () => hub?.stop(SHUTDOWN_REASON),
      () => unobserve?.(),
      () => power?.stop(),
      () => thumbnails?.stop(),
      () => discovery.stop(),
      () => users.close(),
    ]) {
      try {
        await step();
      } catch (stopError) {
        logger.error({ err: stopError }, 'cleanup after a failed start failed');
      }
    }
    throw error;
  }
  const started = hub;
  const startedSsh = ssh;
  const startedFleet = fleet;
  logger.info({ url, configFile: config.configFile, tls: config.tls !== null }, 'listening');

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason }, 'shutting down');
      // Each step runs even when the one before failed: sources must be released regardless.
      const steps: [string, () => Promise<void> | void][] = [
        [
          'fleet',
          () => {
            startedFleet.stop();
          },
        ],
        ['http', () => web.shutdown(reason)],
        // Sessions are told why and closed before the hub lets go of the serial sources.
        ['ssh', () => startedSsh?.shutdown(reason)],
        ['hub', () => started.stop(reason)],
        ['metrics', () => unobserve?.()],
        ['control', () => power?.stop()],
        ['thumbnails', () => thumbnails?.stop()],
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
    reloadDaemon(config, next, { web, users, ssh: startedSsh }, logger.child({ part: 'reload' }));
  return { url, web, sshAddress, stop, reload };
}
