// The command line of `virt-webconsole`: each command's flags, the full usage `--help` prints and
// the short one a mistake prints. Parser and help text come from the same table (serve's flags
// from src/config's), so the help cannot leave out a flag the command takes.
import { parseArgs } from 'node:util';
import { CONFIG_FLAG, ENV_VARS, FLAGS, type FlagHelp } from '../config/index.js';
import { isVwcError } from '../errors/index.js';

export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface Flag {
  /** The value's placeholder; none for a switch. */
  readonly arg?: string;
  readonly help: string;
  readonly multiple?: boolean;
  readonly short?: string;
  readonly env?: string | undefined;
}

interface Command {
  /** What follows `virt-webconsole ` in the usage line. */
  readonly synopsis: string;
  /** The command and its operands as the command list shows them. */
  readonly listed: string;
  readonly summary: string;
  /** Said under the usage line in the full usage. */
  readonly about: string;
  readonly flags: Readonly<Record<string, Flag>>;
  /** Least and most operands. */
  readonly operands: readonly [number, number];
}

const HELP_FLAG: Flag = { short: 'h', help: 'print this help and exit' };

const envOf = (settingPath: string): string | undefined =>
  Object.entries(ENV_VARS).find(([, setting]) => setting === settingPath)?.[0];

const flag = (help: FlagHelp, extra: Omit<Flag, 'arg' | 'help'> = {}): Flag => ({
  arg: help.arg,
  help: help.help,
  ...extra,
});

/** serve's flags; check-config takes the same, as it must accept any command line serve does. */
const SETTING_FLAGS: Readonly<Record<string, Flag>> = {
  config: flag(CONFIG_FLAG),
  ...Object.fromEntries(
    Object.entries(FLAGS).map(([name, spec]) => [
      name,
      flag(spec, { multiple: spec.multiple, env: envOf(spec.path) }),
    ]),
  ),
};

const SETTINGS_ABOUT =
  'Each setting comes from, in rising order: its built-in default, the config file, its VWC_*\n' +
  'environment variable (in brackets below), its flag. Every setting: docs/config.md.';

export const COMMANDS = {
  serve: {
    synopsis: 'serve [options]',
    listed: 'serve',
    summary: 'run the daemon until SIGTERM or SIGINT',
    about: `Runs the daemon until SIGTERM or SIGINT.\n${SETTINGS_ABOUT}`,
    flags: SETTING_FLAGS,
    operands: [0, 0],
  },
  passwd: {
    synopsis: 'passwd <user> [--role viewer|operator] [--users-file FILE] [--config FILE] [--password-stdin]',
    listed: 'passwd <user>',
    summary: "add a user to the users file, or change a user's password",
    about:
      'Adds <user> to the users file or changes their password; a running daemon sees the change\n' +
      'without a restart. On a terminal the password is asked twice with echo off; otherwise pass\n' +
      "--password-stdin and give it as stdin's first line. Setting admin's password deletes\n" +
      '<stateDir>/initial-admin-password, which then no longer holds it.',
    flags: {
      role: {
        arg: 'viewer|operator',
        help: "the user's role (default: an existing user keeps theirs, a new one is a viewer)",
      },
      'users-file': flag(FLAGS['users-file'], { env: envOf(FLAGS['users-file'].path) }),
      config: flag(CONFIG_FLAG),
      'password-stdin': { help: 'read the password from the first line of stdin' },
    },
    operands: [1, 1],
  },
  'check-config': {
    synopsis: 'check-config [options]',
    listed: 'check-config',
    summary: 'check the config and users file as serve would, and start nothing',
    about:
      'Loads and checks the configuration exactly as serve would, with the same flags, and the\n' +
      'users file when it exists; prints "config OK" and any warnings, starts nothing.\n' +
      'Exits 0 when serve would accept it, 2 when not.\n' +
      SETTINGS_ABOUT,
    flags: SETTING_FLAGS,
    operands: [0, 0],
  },
  'ssh-fingerprint': {
    synopsis: 'ssh-fingerprint [--config FILE] [--state-dir DIR]',
    listed: 'ssh-fingerprint',
    summary: "print the SSH host key's fingerprint and public key",
    about:
      "Prints the SSH host key's fingerprint (as `ssh-keygen -l` and OpenSSH's first-connection\n" +
      'prompt show it) and its public key, for a known_hosts line. The key is\n' +
      '<stateDir>/ssh_host_ed25519_key, made by serve on its first start with ssh.listen set.',
    flags: {
      config: flag(CONFIG_FLAG),
      'state-dir': flag(FLAGS['state-dir'], { env: envOf(FLAGS['state-dir'].path) }),
    },
    operands: [0, 0],
  },
  fleet: {
    synopsis: 'fleet keygen|nginx-config <dir>|<config> [--listen ADDR] [--entry HOST:PORT…]',
    listed: 'fleet keygen|nginx-config',
    summary: "make a fleet's key pair, or print an entry's nginx site",
    about:
      'keygen <dir>: writes a new Ed25519 key pair for fleet tickets: <dir>/fleet-entry.key (0600, for\n' +
      'every entry: fleet.entry.privateKeyFile) and <dir>/fleet-entry.pub (for every host:\n' +
      'fleet.host.entryPublicKeyFiles). Existing files are never overwritten.\n' +
      'nginx-config <config>: prints the nginx site for the entry whose config file is <config>: / to\n' +
      'the entry, /h/<host>/ to each host whose browserUrl is such a path (docs/fleet.md). With\n' +
      '--entry, / goes to this entry and the others given, skipping one that does not answer.',
    flags: {
      listen: { arg: 'ADDR', help: "nginx-config: the site's listen parameters (default 80)" },
      entry: {
        arg: 'HOST:PORT',
        help: "nginx-config: another entry's address (or unix:/path), for the same upstream",
        multiple: true,
      },
    },
    operands: [2, 2],
  },
  help: {
    synopsis: 'help [command]',
    listed: 'help [command]',
    summary: "print the commands, or a command's full usage",
    about: 'Prints the list of commands, or the full usage of one (the same as `<command> --help`).',
    flags: {},
    operands: [0, 1],
  },
  version: {
    synopsis: 'version',
    listed: 'version',
    summary: 'print the version (also --version, -V)',
    about: 'Prints the version of this virt-webconsole.',
    flags: {},
    operands: [0, 0],
  },
} as const satisfies Record<string, Command>;

export type CommandName = keyof typeof COMMANDS;

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** A mistake in the command line: exit 2 with the short usage of `command` (null: the program's). */
export class UsageError extends Error {
  constructor(
    readonly command: CommandName | null,
    message: string,
  ) {
    super(message);
  }
}

const optionsOf = (command: Command): Readonly<Record<string, Flag>> => ({
  ...command.flags,
  help: HELP_FLAG,
});

export interface ParsedCommand {
  readonly help: boolean;
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;
  readonly operands: readonly string[];
}

/** Parses a command's arguments strictly; throws UsageError. */
export function parseCommand(name: CommandName, argv: readonly string[]): ParsedCommand {
  const command: Command = COMMANDS[name];
  const options = Object.fromEntries(
    Object.entries(optionsOf(command)).map(([flagName, f]) => [
      flagName,
      {
        type: f.arg === undefined ? ('boolean' as const) : ('string' as const),
        multiple: f.multiple ?? false,
        ...(f.short === undefined ? {} : { short: f.short }),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    // Node's hint about `--` helps with positionals starting with a dash, which no command has.
    const message = (error as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(name, message.charAt(0).toLowerCase() + message.slice(1));
  }
  const help = parsed.values.help === true;
  const operands = parsed.positionals;
  const [least, most] = command.operands;
  if (!help && operands.length > most) {
    throw new UsageError(name, `unexpected argument ${JSON.stringify(operands[most])}`);
  }
  if (!help && operands.length < least) {
    // Named as the synopsis names it (`<user>`).
    throw new UsageError(name, `missing ${command.synopsis.split(' ')[1] ?? 'argument'}`);
  }
  return { help, values: parsed.values, operands };
}

/** Help lines stay within a terminal of this width; longer descriptions wrap. */
const WIDTH = 100;

function optionLines(flags: Readonly<Record<string, Flag>>): string[] {
  const rows = Object.entries(flags).map(([name, f]) => [
    `${f.short === undefined ? '' : `-${f.short}, `}--${name}${f.arg === undefined ? '' : ` ${f.arg}`}`,
    `${f.help}${f.multiple === true ? '; repeatable' : ''}${f.env === undefined ? '' : ` [${f.env}]`}`,
  ]);
  const width = Math.max(...rows.map(([left]) => left!.length));
  const indent = ' '.repeat(width + 4);
  return rows.map(
    ([left, right]) =>
      `  ${left!.padEnd(width)}  ${wrap(right!.split(' '), WIDTH - indent.length).join(`\n${indent}`)}`,
  );
}

/** Joins words into lines of at most `width` characters (a longer word gets a line of its own). */
function wrap(words: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  return [...lines, line];
}

/** `usage: virt-webconsole passwd <user> [--role …] …`, wrapped under the command's name. */
function usageLine(name: CommandName): string {
  const [command = '', ...rest] = COMMANDS[name].synopsis.match(/\[[^\]]*\]|\S+/g) ?? [];
  const head = `usage: virt-webconsole ${command} `;
  return head + wrap(rest, WIDTH - head.length).join(`\n${' '.repeat(head.length)}`);
}

/** What `--help` prints: the program's command list, or one command's every flag. */
export function fullUsage(name: CommandName | null): string {
  if (name === null) {
    const commands: Command[] = Object.values(COMMANDS);
    const width = Math.max(...commands.map((c) => c.listed.length));
    return [
      'usage: virt-webconsole <command> [options]',
      '',
      "Browser consoles (noVNC, xterm.js) for this host's libvirt/QEMU VMs, on one port.",
      '',
      'commands:',
      ...commands.map((c) => `  ${c.listed.padEnd(width)}  ${c.summary}`),
      '',
      'options:',
      ...optionLines({ help: HELP_FLAG, version: { short: 'V', help: 'print the version and exit' } }),
      '',
      'Run `virt-webconsole <command> --help` for the options of a command.',
      'Exit status: 0 done, 1 failed while running, 2 wrong command line or configuration.',
      '',
    ].join('\n');
  }
  const command: Command = COMMANDS[name];
  return [usageLine(name), '', command.about, '', 'options:', ...optionLines(optionsOf(command)), ''].join(
    '\n',
  );
}

/** What a mistake prints under its message: the usage line and where the rest is. */
export function shortUsage(name: CommandName | null): string {
  if (name === null) {
    return (
      `usage: virt-webconsole ${Object.keys(COMMANDS).join('|')} [options]\n` +
      'run `virt-webconsole --help` for the full usage\n'
    );
  }
  return `${usageLine(name)}\nrun \`virt-webconsole ${name} --help\` for the full usage\n`;
}

/**
 * Says why a command failed on stderr and returns its exit code: 2 for a wrong command line or
 * configuration, which the person running it must fix (a command-line mistake also gets the
 * short usage), 1 for a failure while running.
 */
export function fail(io: CommandIo, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`virt-webconsole: ${message}\n`);
  if (error instanceof UsageError) {
    io.stderr.write(shortUsage(error.command));
    return 2;
  }
  return isVwcError(error, 'VWC_ERR_CONFIG') || isVwcError(error, 'VWC_ERR_BAD_REQUEST') ? 2 : 1;
}
