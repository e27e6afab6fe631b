// `virt-webconsole passwd <user>`: adds a user to the users file or changes a password.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { loadConfig, type Config } from '../config/index.js';
import { VwcError } from '../errors/index.js';
import { setUser } from '../http/index.js';
import { INITIAL_PASSWORD_FILE } from './first-user.js';
import { fail, fullUsage, parseCommand, UsageError, type CommandIo } from './usage.js';

/** The user the first start creates, whose password it leaves in INITIAL_PASSWORD_FILE. */
const FIRST_USER = 'admin';

/** `passwd <user> [--role viewer|operator] [--users-file FILE] [--config FILE] [--password-stdin]`. */
export async function runPasswd(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    const { help, values, operands } = parseCommand('passwd', argv);
    if (help) {
      io.stdout.write(fullUsage('passwd'));
      return 0;
    }
    const user = operands[0]!;
    const role = values.role;
    if (role !== undefined && role !== 'viewer' && role !== 'operator') {
      throw new UsageError('passwd', `--role must be viewer or operator, not ${JSON.stringify(role)}`);
    }
    const fromStdin = values['password-stdin'] === true;
    if (!fromStdin && io.stdin.isTTY !== true) {
      // Reading a pipe unasked would take whatever a script left there as the password.
      throw new UsageError(
        'passwd',
        'stdin is not a terminal; pass --password-stdin to read the password from it',
      );
    }
    const config = loadConfig({ argv: configArgs(values), ...(io.env ? { env: io.env } : {}) });
    const password = fromStdin ? await readFirstLine(io.stdin) : await askTwice(io);
    if (fromStdin && password === '') throw new VwcError('VWC_ERR_BAD_REQUEST', 'no password on stdin');
    if (password.length < 8)
      throw new VwcError('VWC_ERR_BAD_REQUEST', 'use a password of at least 8 characters');
    if (password.includes(':')) {
      // passport-http splits Basic credentials at every colon.
      throw new VwcError('VWC_ERR_BAD_REQUEST', 'the password must not contain a colon');
    }
    setUser(config.usersFile, user, password, role);
    io.stdout.write(`virt-webconsole: password for ${user} set in ${config.usersFile}\n`);
    if (user === FIRST_USER) removeInitialPassword(config, io);
    return 0;
  } catch (error) {
    return fail(io, error);
  }
}

/** passwd's --config and --users-file, as loadConfig takes them (the same names as serve's). */
function configArgs(values: Readonly<Record<string, unknown>>): string[] {
  return ['config', 'users-file'].flatMap((name) => {
    const value = values[name];
    return typeof value === 'string' ? [`--${name}`, value] : [];
  });
}

/** The first start's password file is stale once admin's password changed: it would mislead. */
function removeInitialPassword(config: Config, io: CommandIo): void {
  const file = path.join(config.stateDir, INITIAL_PASSWORD_FILE);
  try {
    rmSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    // The password is set; only the cleanup failed, so this is not a failure of the command.
    io.stderr.write(`virt-webconsole: could not remove ${file}: ${(error as Error).message}\n`);
    return;
  }
  io.stdout.write(`virt-webconsole: removed ${file}, which no longer holds ${FIRST_USER}'s password\n`);
}

/** `printf '%s\n' "$pw" | virt-webconsole passwd bob --password-stdin`: the first line, as bytes
 * up to "\n" (a "\r" before it dropped), so a password may hold any other character. */
async function readFirstLine(input: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of input) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const end = bytes.indexOf(0x0a);
    if (end >= 0) {
      chunks.push(bytes.subarray(0, end));
      break;
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8').replace(/\r$/, '');
}

/** On a terminal: asks twice with echo off. */
async function askTwice(io: CommandIo): Promise<string> {
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
