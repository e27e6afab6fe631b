// Loads the configuration: defaults < config file < VWC_* environment < command-line flags.
// This is the only module that reads process.env (and only as a default argument).
import { accessSync, constants as fsConstants, existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type {
  Config,
  DiscoveryMode,
  ListenAddress,
  LogLevel,
  MetricsConfig,
  SerialLogConfig,
  VncRecordingConfig,
  ThumbnailsConfig,
  SlowClientPolicy,
  VncInputLock,
  SshConfig,
  UserPolicy,
} from './types.js';
// The serial defaults live with the multiplexer that they tune; the config only validates them.
import type { Role } from '../bridge/types.js';
import { DEFAULT_SERIAL_OPTIONS as SERIAL } from '../bridge/serial/options.js';
import { parseFleet } from './fleet.js';
import { packageRoot } from './package.js';
import { configError, int, isRecord, oneOf, rejectUnknownKeys, str, strList } from './validate.js';

export const DEFAULT_CONFIG_FILE = '/etc/virt-webconsole/config.json';
export const DEFAULT_USERS_FILE = '/etc/virt-webconsole/users';
export const DEFAULT_STATE_DIR = '/var/lib/virt-webconsole';
export const DEFAULT_SSH_PORT = 2222;
export const DEFAULT_AUTHORIZED_KEYS = '/etc/virt-webconsole/authorized_keys/%u';

/** Environment variable → dotted setting path. */
export const ENV_VARS: Readonly<Record<string, string>> = {
  VWC_LISTEN: 'listen.address',
  VWC_SOCKET_GROUP: 'listen.socketGroup',
  VWC_SOCKET_MODE: 'listen.socketMode',
  VWC_STATE_DIR: 'stateDir',
  VWC_TLS_CERT: 'tls.cert',
  VWC_TLS_KEY: 'tls.key',
  VWC_USERS_FILE: 'usersFile',
  VWC_DEFAULT_ROLE: 'defaultRole',
  VWC_LIBVIRT_URI: 'libvirt.uri',
  VWC_DISCOVERY_MODE: 'discovery.mode',
  VWC_SOCKET_FOLDERS: 'discovery.socketFolders',
  VWC_DISCOVERY_INCLUDE: 'discovery.include',
  VWC_ALLOWED_ORIGINS: 'allowedOrigins',
  VWC_TRUSTED_PROXIES: 'trustedProxies',
  VWC_TICKET_TTL_SECONDS: 'ticketTtlSeconds',
  VWC_SSH_LISTEN: 'ssh.listen',
  VWC_WEB_DIR: 'webDir',
  VWC_LOG_LEVEL: 'logLevel',
};

/** What `--help` says about a flag: its value's placeholder and one line on what it sets. */
export interface FlagHelp {
  readonly arg: string;
  readonly help: string;
}

/** `--config`, which names the file rather than a setting. */
export const CONFIG_FLAG: FlagHelp = {
  arg: 'FILE',
  help: `JSON config file (default $VWC_CONFIG, else ${DEFAULT_CONFIG_FILE} when it exists)`,
};

/**
 * Command-line flag → dotted setting path (`multiple` flags are repeatable lists). `serve --help`
 * is generated from this table, so a flag added here is documented there too.
 */
export const FLAGS = {
  listen: {
    path: 'listen.address',
    multiple: false,
    arg: 'ADDR',
    help: 'HOST:PORT, [V6]:PORT, a port (loopback) or unix:/PATH (default 127.0.0.1:8080)',
  },
  'socket-group': {
    path: 'listen.socketGroup',
    multiple: false,
    arg: 'GROUP',
    help: 'group given to the UNIX socket, e.g. www-data so nginx may connect',
  },
  'socket-mode': {
    path: 'listen.socketMode',
    multiple: false,
    arg: 'MODE',
    help: "the UNIX socket's permission bits, octal (default 0660)",
  },
  'state-dir': {
    path: 'stateDir',
    multiple: false,
    arg: 'DIR',
    help: `where the first start saves the admin password (default ${DEFAULT_STATE_DIR})`,
  },
  'tls-cert': {
    path: 'tls.cert',
    multiple: false,
    arg: 'FILE',
    help: 'TLS certificate, PEM (with --tls-key)',
  },
  'tls-key': {
    path: 'tls.key',
    multiple: false,
    arg: 'FILE',
    help: 'TLS private key, PEM (with --tls-cert)',
  },
  'users-file': {
    path: 'usersFile',
    multiple: false,
    arg: 'FILE',
    help: `htpasswd users file, bcrypt only (default ${DEFAULT_USERS_FILE})`,
  },
  'libvirt-uri': {
    path: 'libvirt.uri',
    multiple: false,
    arg: 'URI',
    help: 'libvirt connection (default qemu:///system)',
  },
  discovery: {
    path: 'discovery.mode',
    multiple: false,
    arg: 'MODE',
    help: 'where VMs are found: libvirt, socket-folder or both (default libvirt)',
  },
  'socket-folder': {
    path: 'discovery.socketFolders',
    multiple: true,
    arg: 'DIR',
    help: 'folder of QEMU sockets (NAME.vnc, NAME.serialN) of VMs run without libvirt',
  },
  include: {
    path: 'discovery.include',
    multiple: true,
    arg: 'GLOB',
    help: 'serve only the domains whose name matches (default: all)',
  },
  'allowed-origin': {
    path: 'allowedOrigins',
    multiple: true,
    arg: 'ORIGIN',
    help: 'another scheme://host[:port] WebSockets and POSTs may come from',
  },
  'trusted-proxy': {
    path: 'trustedProxies',
    multiple: true,
    arg: 'ADDR',
    help: 'IP, CIDR or unix (a UNIX-socket peer) whose X-Forwarded-For is believed',
  },
  'ssh-listen': {
    path: 'ssh.listen',
    multiple: false,
    arg: 'ADDR',
    help: `serve serial consoles over SSH on HOST:PORT, HOST (port ${DEFAULT_SSH_PORT}) or a port (loopback); default off`,
  },
  'web-dir': {
    path: 'webDir',
    multiple: false,
    arg: 'DIR',
    help: "built pages and assets (default: the package's dist/web)",
  },
  'log-level': {
    path: 'logLevel',
    multiple: false,
    arg: 'LEVEL',
    help: 'fatal, error, warn, info, debug, trace or silent (default info)',
  },
} as const satisfies Record<string, FlagHelp & { path: string; multiple: boolean }>;

export const FLAG_NAMES = ['config', ...Object.keys(FLAGS)] as const;

export interface LoadOptions {
  /** Arguments after `serve`. */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const { flagValues, configPath } = parseFlags(options.argv ?? []);
  const explicitFile = configPath ?? env.VWC_CONFIG;
  const file = explicitFile ?? DEFAULT_CONFIG_FILE;
  let raw: Record<string, unknown> = {};
  let configFile: string | null = null;
  if (explicitFile !== undefined || existsSync(file)) {
    raw = readConfigFile(file);
    configFile = file;
  }
  // `"listen": "host:port"` is short for `"listen": { "address": "host:port" }`.
  if (typeof raw.listen === 'string') raw.listen = { address: raw.listen };
  for (const [name, settingPath] of Object.entries(ENV_VARS)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, settingPath, value);
  }
  for (const [settingPath, value] of flagValues) setPath(raw, settingPath, value);
  return deepFreeze(validate(raw, configFile));
}

function parseFlags(argv: readonly string[]): {
  flagValues: [string, string | string[]][];
  configPath: string | undefined;
} {
  const options: Record<string, { type: 'string'; multiple: boolean }> = {
    config: { type: 'string', multiple: false },
  };
  for (const [name, spec] of Object.entries(FLAGS))
    options[name] = { type: 'string', multiple: spec.multiple };
  let values: Record<string, string | string[] | boolean | (string | boolean)[] | undefined>;
  try {
    ({ values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw configError('command line', `${(error as Error).message}; flags are --${FLAG_NAMES.join(', --')}`);
  }
  const flagValues: [string, string | string[]][] = [];
  for (const [name, spec] of Object.entries(FLAGS)) {
    const value = values[name];
    if (typeof value === 'string' || Array.isArray(value))
      flagValues.push([spec.path, value as string | string[]]);
  }
  const configPath = values.config;
  return { flagValues, configPath: typeof configPath === 'string' ? configPath : undefined };
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw configError(
      file,
      `cannot read the config file (${(error as Error).message}); create it or pass --config`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw configError(file, `not valid JSON: ${(error as Error).message}`);
  }
  if (!isRecord(parsed)) throw configError(file, 'the config file must hold one JSON object');
  return parsed;
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const parts = dotted.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    const next = node[part];
    if (!isRecord(next)) node[part] = {};
    node = node[part] as Record<string, unknown>;
  }
  node[parts[parts.length - 1]!] = value;
}

const TOP_KEYS = [
  'listen',
  'tls',
  'stateDir',
  'usersFile',
  'users',
  'defaultRole',
  'libvirt',
  'discovery',
  'serial',
  'vnc',
  'ssh',
  'allowedOrigins',
  'trustedProxies',
  'ticketTtlSeconds',
  'loginRateLimit',
  'sessions',
  'webDir',
  'logLevel',
  'metrics',
  'serialLog',
  'vncRecording',
  'thumbnails',
  'fleet',
] as const;

const INPUT_LOCKS: readonly VncInputLock[] = ['exclusive', 'shared'];

/** `{ "lab-*": "shared" }`: glob pattern → input lock mode, in the file's order. */
function parseInputLockDomains(value: unknown): Record<string, VncInputLock> {
  if (!isRecord(value)) {
    throw configError(
      'vnc.inputLockDomains',
      `expected an object of domain glob → "exclusive" | "shared", got ${JSON.stringify(value)}`,
    );
  }
  const out: Record<string, VncInputLock> = {};
  for (const [pattern, mode] of Object.entries(value)) {
    out[pattern] = oneOf<VncInputLock>(`vnc.inputLockDomains["${pattern}"]`, mode, INPUT_LOCKS);
  }
  return out;
}

function section(
  raw: Record<string, unknown>,
  key: string,
  known: readonly string[],
): Record<string, unknown> {
  const value = raw[key] ?? {};
  if (!isRecord(value)) throw configError(key, `expected an object with ${known.join(', ')}`);
  rejectUnknownKeys(key, value, known);
  return value;
}

function validate(raw: Record<string, unknown>, configFile: string | null): Config {
  rejectUnknownKeys(configFile ?? 'config', raw, TOP_KEYS);
  const libvirt = section(raw, 'libvirt', ['uri']);
  const discovery = section(raw, 'discovery', ['mode', 'socketFolders', 'reconcileSeconds', 'include']);
  const serial = section(raw, 'serial', [
    'headBytes',
    'tailBytes',
    'clientQueueBytes',
    'slowClientPolicy',
    'coalesceMs',
  ]);
  const vnc = section(raw, 'vnc', ['maxViewersPerVm', 'inputLock', 'inputLockDomains']);
  const rate = section(raw, 'loginRateLimit', ['maxFailures', 'windowSeconds']);
  const sessions = section(raw, 'sessions', ['idleMinutes', 'absoluteHours', 'maxPerUser']);
  const mode = oneOf<DiscoveryMode>('discovery.mode', discovery.mode ?? 'libvirt', [
    'libvirt',
    'socket-folder',
    'both',
  ]);
  const socketFolders = strList('discovery.socketFolders', discovery.socketFolders ?? []).map((f) =>
    path.resolve(f),
  );
  if (mode !== 'libvirt' && socketFolders.length === 0) {
    throw configError('discovery.socketFolders', `discovery mode "${mode}" needs at least one socket folder`);
  }
  return {
    listen: parseListenSection(raw),
    tls: parseTls(raw.tls),
    stateDir: path.resolve(str('stateDir', raw.stateDir ?? DEFAULT_STATE_DIR)),
    usersFile: path.resolve(str('usersFile', raw.usersFile ?? DEFAULT_USERS_FILE)),
    users: parseUsers(raw.users ?? {}),
    defaultRole: oneOf('defaultRole', raw.defaultRole ?? 'viewer', ['viewer', 'operator']),
    libvirt: { uri: str('libvirt.uri', libvirt.uri ?? 'qemu:///system') },
    discovery: {
      mode,
      socketFolders,
      include: strList('discovery.include', discovery.include ?? []),
      reconcileSeconds: int('discovery.reconcileSeconds', discovery.reconcileSeconds ?? 60, 1, 86_400),
    },
    serial: {
      headBytes: int('serial.headBytes', serial.headBytes ?? SERIAL.headBytes, 0, 64 * 1024 * 1024),
      tailBytes: int('serial.tailBytes', serial.tailBytes ?? SERIAL.tailBytes, 1024, 1024 * 1024 * 1024),
      clientQueueBytes: int(
        'serial.clientQueueBytes',
        serial.clientQueueBytes ?? SERIAL.clientQueueBytes,
        1024,
        256 * 1024 * 1024,
      ),
      slowClientPolicy: oneOf<SlowClientPolicy>(
        'serial.slowClientPolicy',
        serial.slowClientPolicy ?? SERIAL.slowClientPolicy,
        ['resync', 'disconnect'],
      ),
      coalesceMs: int('serial.coalesceMs', serial.coalesceMs ?? SERIAL.coalesceMs, 0, 1000),
    },
    vnc: {
      maxViewersPerVm: int('vnc.maxViewersPerVm', vnc.maxViewersPerVm ?? 16, 1, 1000),
      inputLock: oneOf<VncInputLock>('vnc.inputLock', vnc.inputLock ?? 'exclusive', INPUT_LOCKS),
      inputLockDomains: parseInputLockDomains(vnc.inputLockDomains ?? {}),
    },
    ssh: parseSsh(raw),
    allowedOrigins: strList('allowedOrigins', raw.allowedOrigins ?? []).map(parseOrigin),
    trustedProxies: strList('trustedProxies', raw.trustedProxies ?? []).map(checkProxy),
    ticketTtlSeconds: int('ticketTtlSeconds', raw.ticketTtlSeconds ?? 30, 1, 3600),
    loginRateLimit: {
      maxFailures: int('loginRateLimit.maxFailures', rate.maxFailures ?? 5, 1, 1000),
      windowSeconds: int('loginRateLimit.windowSeconds', rate.windowSeconds ?? 300, 1, 86_400),
    },
    sessions: {
      idleMinutes: int('sessions.idleMinutes', sessions.idleMinutes ?? 30, 1, 7 * 24 * 60),
      absoluteHours: int('sessions.absoluteHours', sessions.absoluteHours ?? 12, 1, 30 * 24),
      maxPerUser: int('sessions.maxPerUser', sessions.maxPerUser ?? 16, 1, 1000),
    },
    webDir: path.resolve(str('webDir', raw.webDir ?? path.join(packageRoot(), 'dist', 'web'))),
    logLevel: oneOf<LogLevel>('logLevel', raw.logLevel ?? 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    metrics: parseMetrics(raw),
    serialLog: parseSerialLog(raw),
    vncRecording: parseVncRecording(raw),
    thumbnails: parseThumbnails(raw),
    fleet: parseFleet(raw.fleet),
    configFile,
  };
}

function parseMetrics(raw: Record<string, unknown>): MetricsConfig {
  const metrics = section(raw, 'metrics', ['enabled', 'token', 'loopbackOnly', 'maxDomainLabels']);
  const bool = (key: string, value: unknown): boolean => {
    if (typeof value !== 'boolean')
      throw configError(`metrics.${key}`, `expected true or false, got ${JSON.stringify(value)}`);
    return value;
  };
  const token =
    metrics.token === undefined || metrics.token === null ? null : str('metrics.token', metrics.token);
  if (token !== null && !/^[\x21-\x7e]{16,}$/.test(token)) {
    throw configError(
      'metrics.token',
      'expected at least 16 printable characters without spaces (e.g. `openssl rand -hex 24`)',
    );
  }
  const loopbackOnly = bool('loopbackOnly', metrics.loopbackOnly ?? true);
  if (token === null && !loopbackOnly) {
    throw configError(
      'metrics',
      'loopbackOnly false needs a token: set metrics.token, or keep loopbackOnly true',
    );
  }
  return {
    enabled: bool('enabled', metrics.enabled ?? true),
    token,
    loopbackOnly,
    maxDomainLabels: int('metrics.maxDomainLabels', metrics.maxDomainLabels ?? 50, 0, 10_000),
  };
}

/**
 * The settings serialLog and vncRecording share: `enabled`, a size per unit (port, recording)
 * and in total (at least the unit's, both at least 1 MiB), and an age in days (0: none).
 */
function retention(
  name: string,
  value: Record<string, unknown>,
  perKey: string,
  defaults: { readonly perMiB: number; readonly totalMiB: number },
): { enabled: boolean; per: number; total: number; maxAgeDays: number } {
  if (value.enabled !== undefined && typeof value.enabled !== 'boolean')
    throw configError(`${name}.enabled`, `expected true or false, got ${JSON.stringify(value.enabled)}`);
  const MiB = 1024 * 1024;
  const per = int(`${name}.${perKey}`, value[perKey] ?? defaults.perMiB * MiB, MiB, 1024 * 1024 * MiB);
  const total = int(
    `${name}.maxTotalBytes`,
    value.maxTotalBytes ?? defaults.totalMiB * MiB,
    MiB,
    1024 * 1024 * MiB,
  );
  if (total < per) throw configError(`${name}.maxTotalBytes`, `must be at least ${name}.${perKey}`);
  return {
    enabled: value.enabled ?? true,
    per,
    total,
    maxAgeDays: int(`${name}.maxAgeDays`, value.maxAgeDays ?? 30, 0, 36_500),
  };
}

function parseSerialLog(raw: Record<string, unknown>): SerialLogConfig {
  const log = section(raw, 'serialLog', [
    'enabled',
    'flushMs',
    'maxBytesPerPort',
    'maxTotalBytes',
    'maxAgeDays',
  ]);
  const kept = retention('serialLog', log, 'maxBytesPerPort', { perMiB: 64, totalMiB: 1024 });
  return {
    enabled: kept.enabled,
    flushMs: int('serialLog.flushMs', log.flushMs ?? 200, 10, 1000),
    maxBytesPerPort: kept.per,
    maxTotalBytes: kept.total,
    maxAgeDays: kept.maxAgeDays,
  };
}

function parseVncRecording(raw: Record<string, unknown>): VncRecordingConfig {
  const rec = section(raw, 'vncRecording', [
    'enabled',
    'domains',
    'maxBytesPerRecording',
    'maxTotalBytes',
    'maxAgeDays',
    'readableBy',
  ]);
  const kept = retention('vncRecording', rec, 'maxBytesPerRecording', { perMiB: 256, totalMiB: 4096 });
  return {
    enabled: kept.enabled,
    domains: strList('vncRecording.domains', rec.domains ?? []),
    maxBytesPerRecording: kept.per,
    maxTotalBytes: kept.total,
    maxAgeDays: kept.maxAgeDays,
    readableBy: oneOf<Role>('vncRecording.readableBy', rec.readableBy ?? 'operator', ['operator', 'viewer']),
  };
}

function parseThumbnails(raw: Record<string, unknown>): ThumbnailsConfig {
  const t = section(raw, 'thumbnails', ['intervalSeconds', 'maxConcurrent', 'width']);
  return {
    // Under 2 s a list of many VMs would keep libvirt busy with screenshots nobody can follow.
    intervalSeconds: int('thumbnails.intervalSeconds', t.intervalSeconds ?? 10, 2, 3600),
    maxConcurrent: int('thumbnails.maxConcurrent', t.maxConcurrent ?? 2, 1, 64),
    width: int('thumbnails.width', t.width ?? 320, 64, 1920),
  };
}

function parseSsh(raw: Record<string, unknown>): SshConfig {
  const ssh = section(raw, 'ssh', [
    'listen',
    'authorizedKeys',
    'idleTimeoutSeconds',
    'maxSessionsPerUser',
    'historyBytes',
  ]);
  const authorizedKeys = str('ssh.authorizedKeys', ssh.authorizedKeys ?? DEFAULT_AUTHORIZED_KEYS);
  // One file for everybody would let any listed key log in as any user.
  if (!authorizedKeys.includes('%u')) {
    throw configError(
      'ssh.authorizedKeys',
      `the path must hold %u (the user name), e.g. ${DEFAULT_AUTHORIZED_KEYS}, got ${JSON.stringify(authorizedKeys)}`,
    );
  }
  return {
    listen: ssh.listen === undefined || ssh.listen === null ? null : parseSshListen(ssh.listen),
    authorizedKeys: path.resolve(authorizedKeys),
    idleTimeoutSeconds: int('ssh.idleTimeoutSeconds', ssh.idleTimeoutSeconds ?? 3600, 0, 7 * 86_400),
    maxSessionsPerUser: int('ssh.maxSessionsPerUser', ssh.maxSessionsPerUser ?? 8, 1, 10_000),
    historyBytes: int('ssh.historyBytes', ssh.historyBytes ?? 64 * 1024, 0, 64 * 1024 * 1024),
  };
}

/** `host:port`, `[v6]:port`, a bare port (loopback), or a host alone (port 2222). */
export function parseSshListen(value: unknown): { host: string; port: number } {
  const text = str('ssh.listen', value);
  const hostOnly = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+))$/.exec(text);
  if (hostOnly && !/^\d+$/.test(text)) return { host: hostOnly[1] || hostOnly[2]!, port: DEFAULT_SSH_PORT };
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535 || text.startsWith('unix:')) {
    throw configError(
      'ssh.listen',
      `expected host:port (0.0.0.0:${DEFAULT_SSH_PORT}, [::]:${DEFAULT_SSH_PORT}), a host, or a port, got ${JSON.stringify(text)}`,
    );
  }
  return { host: match[1] || match[2] || '127.0.0.1', port };
}

function parseListenSection(raw: Record<string, unknown>): ListenAddress {
  const listen = section(raw, 'listen', ['address', 'socketGroup', 'socketMode']);
  const address = parseListen(listen.address ?? '127.0.0.1:8080');
  const { socketGroup, socketMode } = listen;
  if (address.kind === 'tcp') {
    if (socketGroup !== undefined || socketMode !== undefined) {
      throw configError('listen', 'socketGroup and socketMode apply to a UNIX socket (unix:/path) only');
    }
    return address;
  }
  return {
    ...address,
    group: socketGroup === undefined ? null : str('listen.socketGroup', socketGroup),
    mode: socketMode === undefined ? address.mode : parseMode('listen.socketMode', socketMode),
  };
}

/** Octal permission bits written as a string ("0660", "660"), as chmod takes them. */
function parseMode(where: string, value: unknown): number {
  if (typeof value !== 'string' || !/^0?[0-7]{3}$/.test(value)) {
    throw configError(
      where,
      `expected octal permission bits as a string, e.g. "0660", got ${JSON.stringify(value)}`,
    );
  }
  return parseInt(value, 8);
}

export function parseListen(value: unknown): ListenAddress {
  const text = str('listen', value);
  if (text.startsWith('unix:')) {
    const socketPath = text.slice('unix:'.length);
    if (!path.isAbsolute(socketPath)) {
      throw configError(
        'listen',
        `a UNIX socket needs an absolute path, as in unix:/run/virt-webconsole.sock`,
      );
    }
    return { kind: 'unix', path: socketPath, group: null, mode: 0o660 };
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d+)$/.exec(text) ?? /^()()(\d+)$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65_535) {
    throw configError(
      'listen',
      `expected host:port (127.0.0.1:8080, [::1]:8080), a port, or unix:/path, got ${JSON.stringify(text)}`,
    );
  }
  return { kind: 'tcp', host: match[1] || match[2] || '127.0.0.1', port };
}

function parseTls(value: unknown): Config['tls'] {
  if (value === undefined || value === null) return null;
  if (!isRecord(value))
    throw configError('tls', 'expected { "cert": "/path/cert.pem", "key": "/path/key.pem" }');
  rejectUnknownKeys('tls', value, ['cert', 'key']);
  if (value.cert === undefined && value.key === undefined) return null;
  if (value.cert === undefined || value.key === undefined) {
    throw configError(
      'tls',
      'give both tls.cert and tls.key (--tls-cert and --tls-key), or neither for plain HTTP',
    );
  }
  const cert = path.resolve(str('tls.cert', value.cert));
  const key = path.resolve(str('tls.key', value.key));
  for (const [where, file] of [
    ['tls.cert', cert],
    ['tls.key', key],
  ] as const) {
    try {
      accessSync(file, fsConstants.R_OK);
    } catch {
      throw configError(where, `cannot read ${file}; check the path and that the daemon's user may read it`);
    }
  }
  return { cert, key };
}

function parseUsers(value: unknown): Readonly<Record<string, UserPolicy>> {
  if (!isRecord(value)) throw configError('users', 'expected { "alice": { "domains": ["web-*"] } }');
  const users: Record<string, UserPolicy> = {};
  for (const [name, policy] of Object.entries(value)) {
    const where = `users.${name}`;
    if (!isRecord(policy)) throw configError(where, 'expected { "domains": ["pattern", …] }');
    rejectUnknownKeys(where, policy, ['domains']);
    users[name] =
      policy.domains === undefined ? {} : { domains: strList(`${where}.domains`, policy.domains) };
  }
  return users;
}

function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw configError(
      'allowedOrigins',
      `${JSON.stringify(value)} is not an origin; write it as https://host[:port]`,
    );
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    (url.pathname !== '/' && url.pathname !== '')
  ) {
    throw configError(
      'allowedOrigins',
      `${JSON.stringify(value)}: write an origin as https://host[:port], no path`,
    );
  }
  return url.origin;
}

function checkProxy(value: string): string {
  // `unix`: trust the peer of a UNIX-socket listener (the reverse proxy in front of it).
  if (value === 'unix') return value;
  const [address, bits, extra] = value.split('/');
  const family = net.isIP(address ?? '');
  const maxBits = family === 6 ? 128 : 32;
  const bitsOk = bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= maxBits);
  if (family === 0 || !bitsOk || extra !== undefined) {
    throw configError(
      'trustedProxies',
      `${JSON.stringify(value)}: expected an IP address, a CIDR (10.0.0.0/8, ::1) or unix`,
    );
  }
  return value;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
