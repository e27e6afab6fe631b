// The daemon's configuration, after defaults, the config file, VWC_* environment variables and
// command-line flags have been merged and validated. Frozen: nothing changes it at run time.
import type { Role } from '../bridge/types.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Where the server listens: a TCP address or a UNIX socket path (behind a reverse proxy). */
export type ListenAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | {
      readonly kind: 'unix';
      readonly path: string;
      /** Group given the socket (a name or a number), so a reverse proxy's user may connect. */
      readonly group: string | null;
      /** Permission bits of the socket file (default 0o660: owner and group). */
      readonly mode: number;
    };

export type DiscoveryMode = 'libvirt' | 'socket-folder' | 'both';
export type SlowClientPolicy = 'resync' | 'disconnect';
export type VncInputLock = 'exclusive' | 'shared';

export interface UserPolicy {
  /** Glob patterns (`*`, `?`) of the domain names this user may see; absent = every domain. */
  readonly domains?: readonly string[];
}

/** The SSH front door (src/ssh): serial consoles for `ssh -p 2222 alice@host web1`. */
export interface SshConfig {
  /** Where the SSH server listens; null (the default) = no SSH server. */
  readonly listen: { readonly host: string; readonly port: number } | null;
  /** Each user's authorized_keys file: a path with `%u` standing for the user name. */
  readonly authorizedKeys: string;
  /** A session whose user typed nothing for this long is closed (0 = never). */
  readonly idleTimeoutSeconds: number;
  /** Open SSH console sessions per user; more are refused. */
  readonly maxSessionsPerUser: number;
  /** History replayed on attach, at most (0 = none; `--no-history` after the name skips it). */
  readonly historyBytes: number;
}

/** `GET /metrics` (src/metrics): who may scrape, and how many domains get labels of their own. */
export interface MetricsConfig {
  /** Serve /metrics at all (default true). */
  readonly enabled: boolean;
  /** Require `Authorization: Bearer <token>` (default null: none). */
  readonly token: string | null;
  /** Only loopback TCP peers may scrape (default true; also with a token when set). */
  readonly loopbackOnly: boolean;
  /** Domains with per-domain series; the rest are summed under domain="_other" (0 = none). */
  readonly maxDomainLabels: number;
}

/** Serial logs on disk, in `<stateDir>/serial-logs` (src/bridge/serial/log). */
export interface SerialLogConfig {
  readonly enabled: boolean;
  /** Gathered output is written this often: the most a crash (kill -9) loses. */
  readonly flushMs: number;
  readonly maxBytesPerPort: number;
  readonly maxTotalBytes: number;
  /** Segments older than this are deleted; 0 keeps them until the sizes say otherwise. */
  readonly maxAgeDays: number;
}

/** VNC session recordings, in `<stateDir>/vnc-recordings` (src/bridge/vnc/recording). */
export interface VncRecordingConfig {
  /** Operators may start recordings, and `domains` are recorded (default true). */
  readonly enabled: boolean;
  /** Glob patterns of domains recorded whenever they run (default none). */
  readonly domains: readonly string[];
  /** A recording past this goes on in a new file. */
  readonly maxBytesPerRecording: number;
  /** Every recording together; the oldest go first. */
  readonly maxTotalBytes: number;
  /** Recordings older than this are deleted; 0 keeps them until the sizes say otherwise. */
  readonly maxAgeDays: number;
  /** Who may list, play back and download recordings (domain ACL applies too): operators only by default. */
  readonly readableBy: Role;
}

/** List-page thumbnails (src/control/thumbnails): how often, how many at once, how wide. */
export interface ThumbnailsConfig {
  /** A VM's screen is captured at most once per interval, however many browsers ask (default 10). */
  readonly intervalSeconds: number;
  /** Captures running at once; more wait in a queue of at most one per VM (default 2). */
  readonly maxConcurrent: number;
  /** Width of the PNG in pixels; the height keeps the screen's proportions (default 320). */
  readonly width: number;
}

/** Login sessions of the login form (src/http/auth/sessions.ts): a cookie names one. */
export interface SessionsConfig {
  /** A session unused for this long ends. */
  readonly idleMinutes: number;
  /** A session ends this long after its login, used or not. */
  readonly absoluteHours: number;
  /** Sessions per user; a new login past it ends that user's oldest. */
  readonly maxPerUser: number;
}

/** Host side of a fleet (src/fleet, docs/fleet.md): accepts the entry's tickets, serves its list to entries. */
export interface FleetHostConfig {
  /** This host's name in the fleet; tickets name it and are refused on any other host. */
  readonly name: string;
  /** The entries' Ed25519 public keys (PEM); a ticket signed by any of them is accepted (key rotation). */
  readonly entryPublicKeyFiles: readonly string[];
  /** The Bearer token entries present on GET /api/fleet/*; one line, at least 16 characters. */
  readonly entryTokenFile: string;
}

/** One host as an entry sees it. */
export interface FleetEntryHostConfig {
  readonly name: string;
  /** How the entry reaches the host's API: http(s)://host[:port], no path. */
  readonly url: string;
  /** How a browser reaches the host: a path on the entry's site (`/h/h1`, via nginx) or an http(s) URL. */
  readonly browserUrl: string;
  /** The host's fleet token (its entryTokenFile). */
  readonly tokenFile: string;
  /** CA certificate (PEM) the host's TLS certificate is checked against; null = the system's. */
  readonly caFile: string | null;
}

/** Entry side of a fleet: logs users in, aggregates the hosts' lists, signs console tickets. */
export interface FleetEntryConfig {
  /** The Ed25519 private key (PEM) tickets are signed with; every entry of a fleet has the same. */
  readonly privateKeyFile: string;
  readonly hosts: readonly FleetEntryHostConfig[];
  /** Lifetime of a fleet ticket (at most 30 s). */
  readonly ticketTtlSeconds: number;
}

export interface FleetConfig {
  readonly host: FleetHostConfig | null;
  readonly entry: FleetEntryConfig | null;
}

export interface Config {
  readonly listen: ListenAddress;
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** Where the daemon keeps what it makes itself (the first start's admin password). */
  readonly stateDir: string;
  /** htpasswd-format file: `user:$2y$…bcrypt…[:role]`. */
  readonly usersFile: string;
  /** Per-user domain ACL; users not listed see every domain. */
  readonly users: Readonly<Record<string, UserPolicy>>;
  /** Role of a users-file line that names none. */
  readonly defaultRole: Role;
  readonly libvirt: { readonly uri: string };
  readonly discovery: {
    readonly mode: DiscoveryMode;
    readonly socketFolders: readonly string[];
    /** Glob patterns of the domain names to serve; empty = every domain on the host. */
    readonly include: readonly string[];
    /** Full re-read of every domain, as a safety net under the event stream. */
    readonly reconcileSeconds: number;
  };
  readonly serial: {
    readonly headBytes: number;
    readonly tailBytes: number;
    readonly clientQueueBytes: number;
    readonly slowClientPolicy: SlowClientPolicy;
    readonly coalesceMs: number;
  };
  readonly vnc: {
    readonly maxViewersPerVm: number;
    /**
     * Whose keyboard and mouse reach a VM (docs/vnc.md "Control lock"): `exclusive`, one
     * operator at a time, who takes control; `shared`, every operator's at once.
     */
    readonly inputLock: VncInputLock;
    /** Per-domain exceptions: glob pattern → mode; the first pattern that matches wins. */
    readonly inputLockDomains: Readonly<Record<string, VncInputLock>>;
  };
  readonly ssh: SshConfig;
  /** Extra Origins (scheme://host[:port]) a WebSocket upgrade may come from besides the Host. */
  readonly allowedOrigins: readonly string[];
  /** Addresses or CIDRs whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  readonly trustedProxies: readonly string[];
  readonly ticketTtlSeconds: number;
  readonly loginRateLimit: { readonly maxFailures: number; readonly windowSeconds: number };
  readonly sessions: SessionsConfig;
  /** Built browser pages (list.html, console.html, assets). */
  readonly webDir: string;
  readonly logLevel: LogLevel;
  readonly metrics: MetricsConfig;
  readonly serialLog: SerialLogConfig;
  readonly vncRecording: VncRecordingConfig;
  readonly thumbnails: ThumbnailsConfig;
  /** Fleet roles (docs/fleet.md); both null on a standalone host. */
  readonly fleet: FleetConfig;
  /** The file that was read, or null when none existed at the default path. */
  readonly configFile: string | null;
}
