// `virt-webconsole serve` and `virt-webconsole passwd`. I/O comes in as arguments so tests can
// drive them; only cli.ts touches process.
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { isVwcError, VwcError } from '../errors/index.js';
import { createLogger, setUser } from '../http/index.js';
import { SHUTDOWN_REASON, startDaemon, type DaemonParts } from './daemon.js';

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Exit code and a one-line reason for a failed command. */
function fail(io: CommandIo, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`virt-webconsole: ${message}\n`);
  const usage =
    isVwcError(error, 'VWC_ERR_CONFIG') ||
    isVwcError(error, 'VWC_ERR_BAD_REQUEST') ||
    String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
  return usage ? 2 : 1;
}

/**
 * Runs the daemon until `signals` fires (SIGTERM/SIGINT from cli.ts), then shuts down in order.
 * Resolves with the exit code.
 */
export async function runServe(
  argv: readonly string[],
  io: CommandIo,
  parts: DaemonParts,
  onSignal: (handler: (signal: string) => void) => void,
): Promise<number> {
  let config;
  try {
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
  const signal = await new Promise<string>((resolve) => {
    onSignal(resolve);
  });
  logger.info({ signal }, 'signal received');
  await daemon.stop(SHUTDOWN_REASON);
  logger.flush();
  return 0;
}

async function readPassword(io: CommandIo): Promise<string> {
  if (io.stdin.isTTY !== true) {
    // Piped: the first line is the password (`printf '%s\n' "$pw" | virt-webconsole passwd bob`).
    const rl = createInterface({ input: io.stdin });
    for await (const line of rl) {
      rl.close();
      return line;
    }
    return '';
  }
  const ask = async (prompt: string): Promise<string> => {
    io.stdout.write(prompt);
    // Echo off: the interface writes to a sink, not the terminal.
    const muted = new Writable({
      write: (_c, _e, done) => {
        done();
      },
    });
    const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
    const answer = await new Promise<string>((resolve) => {
      rl.question('', resolve);
    });
    rl.close();
    io.stdout.write('\n');
    return answer;
  };
  const first = await ask('New password: ');
  const second = await ask('Again: ');
  if (first !== second) throw new VwcError('VWC_ERR_BAD_REQUEST', 'the passwords differ; nothing changed');
  return first;
}

/** `passwd <user> [--role viewer|operator] [--users FILE] [--config FILE]`. */
export async function runPasswd(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: {
        role: { type: 'string' },
        users: { type: 'string' },
        config: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    const [user, ...extra] = positionals;
    if (user === undefined || extra.length > 0) {
      throw new VwcError(
        'VWC_ERR_BAD_REQUEST',
        'usage: virt-webconsole passwd <user> [--role viewer|operator] [--users FILE]',
      );
    }
    const role = values.role;
    if (role !== undefined && role !== 'viewer' && role !== 'operator') {
      throw new VwcError(
        'VWC_ERR_BAD_REQUEST',
        `--role must be viewer or operator, not ${JSON.stringify(role)}`,
      );
    }
    const configArgs = [
      ...(values.config === undefined ? [] : ['--config', values.config]),
      ...(values.users === undefined ? [] : ['--users-file', values.users]),
    ];
    const { usersFile } = loadConfig({ argv: configArgs, ...(io.env ? { env: io.env } : {}) });
    const password = await readPassword(io);
    if (password.length < 8)
      throw new VwcError('VWC_ERR_BAD_REQUEST', 'use a password of at least 8 characters');
    if (password.includes(':')) {
      // passport-http splits Basic credentials at every colon.
      throw new VwcError('VWC_ERR_BAD_REQUEST', 'the password must not contain a colon');
    }
    setUser(usersFile, user, password, role);
    io.stdout.write(`virt-webconsole: password for ${user} set in ${usersFile}\n`);
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}
