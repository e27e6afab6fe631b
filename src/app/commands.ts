// The `virt-webconsole` commands. I/O comes in as arguments so tests can drive them; only cli.ts
// touches process. Exit codes: 0 done, 1 failed while running, 2 wrong command line or config.
import { loadConfig } from '../config/index.js';
import { createLogger } from '../http/index.js';
import { runCheckConfig } from './check-config.js';
import { SHUTDOWN_REASON, startDaemon, type DaemonParts } from './daemon.js';
import { runFleet } from './fleet.js';
import { runPasswd } from './passwd.js';
import { runSshFingerprint } from './ssh-fingerprint.js';
import { fail, fullUsage, isCommand, parseCommand, UsageError, type CommandIo } from './usage.js';
import { packageVersion } from '../config/index.js';

export type { CommandIo } from './usage.js';
export { runPasswd } from './passwd.js';
export { runCheckConfig } from './check-config.js';
export { runSshFingerprint } from './ssh-fingerprint.js';

/** What only serve needs from the process. */
export interface ServeDeps {
  readonly parts: DaemonParts;
  /**
   * Installs the signal handlers: serve stops on SIGTERM/SIGINT and re-reads its config on SIGHUP
   * (the handler is called with the signal's name, SIGHUP as often as it comes).
   */
  readonly onSignal: (handler: (signal: string) => void) => void;
}

/** `virt-webconsole <argv…>`: picks the command; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CommandIo, deps: ServeDeps): Promise<number> {
  const [first, ...rest] = argv;
  switch (first) {
    case 'serve':
      return runServe(rest, io, deps.parts, deps.onSignal);
    case 'passwd':
      return runPasswd(rest, io);
    case 'check-config':
      return runCheckConfig(rest, io);
    case 'ssh-fingerprint':
      return runSshFingerprint(rest, io);
    case 'fleet':
      return runFleet(rest, io);
    case 'help':
      return runHelp(rest, io);
    case 'version':
    case '--version':
    case '-V':
      return runVersion(rest, io);
    case '--help':
    case '-h':
      return runHelp(rest, io);
    case undefined:
      return fail(io, new UsageError(null, 'no command given'));
    default:
      return fail(
        io,
        new UsageError(
          null,
          first.startsWith('-') ? `unknown option '${first}'` : `unknown command ${JSON.stringify(first)}`,
        ),
      );
  }
}

/** `help [command]` (and `--help`): the full usage, on stdout since it was asked for. */
function runHelp(argv: readonly string[], io: CommandIo): number {
  try {
    const { help, operands } = parseCommand('help', argv);
    const name = help ? 'help' : operands[0];
    if (name !== undefined && !isCommand(name)) {
      throw new UsageError(null, `unknown command ${JSON.stringify(name)}`);
    }
    io.stdout.write(fullUsage(name ?? null));
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}

function runVersion(argv: readonly string[], io: CommandIo): number {
  try {
    if (parseCommand('version', argv).help) {
      io.stdout.write(fullUsage('version'));
      return 0;
    }
    io.stdout.write(`virt-webconsole ${packageVersion()}\n`);
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}

/**
 * Runs the daemon until `onSignal` reports SIGTERM/SIGINT, then shuts down in order; a SIGHUP
 * re-reads the config (daemon.reload). Resolves with the exit code.
 */
export async function runServe(
  argv: readonly string[],
  io: CommandIo,
  parts: DaemonParts,
  onSignal: (handler: (signal: string) => void) => void,
): Promise<number> {
  let config;
  try {
    if (parseCommand('serve', argv).help) {
      io.stdout.write(fullUsage('serve'));
      return 0;
    }
    config = loadConfig({ argv, ...(io.env ? { env: io.env } : {}) });
  } catch (error) {
    return fail(io, error);
  }
  const logger = createLogger(config.logLevel);
  let daemon;
  try {
    daemon = await startDaemon(config, parts, logger, (text) => io.stdout.write(text));
  } catch (error) {
    logger.fatal({ err: error }, 'start failed');
    return fail(io, error);
  }
  const started = daemon;
  const reload = (): void => {
    try {
      started.reload(loadConfig({ argv, ...(io.env ? { env: io.env } : {}) }));
    } catch (error) {
      logger.error({ err: error }, 'reload refused: the config has a mistake; nothing changed');
    }
  };
  const signal = await new Promise<string>((resolve) => {
    onSignal((received) => {
      if (received === 'SIGHUP') reload();
      else resolve(received);
    });
  });
  logger.info({ signal }, 'signal received');
  await daemon.stop(SHUTDOWN_REASON);
  logger.flush();
  return 0;
}
