// The one way the daemon runs virsh: execFile (never a shell, so a domain name is only ever an
// argument), the connection URI first, a timeout, an output limit, and typed errors that carry
// stderr. Behind the VirshRunner interface so unit tests inject a fake.
import { execFile, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { VwcError, type ErrorCode } from '../errors/index.js';

/** A failed virsh command: code VWC_ERR_VIRSH_*, with the command's stderr. */
export class VirshError extends VwcError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly args: readonly string[],
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'VirshError';
  }
}

export interface VirshRunOptions {
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
}

/** Events of a long-running virsh (e.g. `event --loop`): its stdout lines, then one exit. */
export interface VirshProcessEvents {
  line: [line: string];
  /** A line on stderr (the process may go on running after it). */
  stderr: [line: string];
  /** The process ended; `detail` is the tail of its stderr, or how it ended. */
  exit: [detail: string];
}

export interface VirshProcess extends EventEmitter<VirshProcessEvents> {
  kill(): void;
}

export interface VirshRunner {
  /** The connection URI every command uses (`-c`). */
  readonly uri: string;
  /** Runs `virsh -c URI …args` and resolves with stdout. */
  run(args: readonly string[], options?: VirshRunOptions): Promise<string>;
  /** Starts a long-running `virsh -c URI …args`. */
  spawn(args: readonly string[]): VirshProcess;
  /** Resolves when the binary exists and runs; VWC_ERR_VIRSH_MISSING otherwise. */
  checkAvailable(): Promise<void>;
  /**
   * Kills the commands running now and refuses later ones (VWC_ERR_VIRSH_CANCELLED): for
   * shutdown, which must not wait out a timeout per call when libvirtd hangs. Final.
   */
  cancelAll(): void;
}

export interface VirshRunnerOptions {
  readonly uri: string;
  /** Default `virsh` (looked up in PATH). */
  readonly binary?: string;
  readonly timeoutMs?: number;
  readonly maxOutputBytes?: number;
}

const STDERR_TAIL = 2000;

function tail(text: string): string {
  const trimmed = text.trim();
  return trimmed.length > STDERR_TAIL ? trimmed.slice(-STDERR_TAIL) : trimmed;
}

interface ExecFailure {
  readonly code?: unknown;
  readonly killed?: boolean;
  readonly signal?: string | null;
}

function toVirshError(
  error: ExecFailure,
  binary: string,
  args: readonly string[],
  stderr: string,
  timeoutMs: number,
): VirshError {
  const command = `virsh ${args.join(' ')}`;
  if (error.code === 'ENOENT') {
    return new VirshError('VWC_ERR_VIRSH_MISSING', `virsh binary not found (${binary})`, args, '', {
      cause: error,
    });
  }
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
    return new VirshError(
      'VWC_ERR_VIRSH_OUTPUT_LIMIT',
      `${command}: output limit exceeded`,
      args,
      tail(stderr),
    );
  }
  if (error.killed === true && error.signal === 'SIGTERM') {
    return new VirshError(
      'VWC_ERR_VIRSH_TIMEOUT',
      `${command}: no answer in ${timeoutMs} ms`,
      args,
      tail(stderr),
    );
  }
  const why = tail(stderr) || `exit ${String(error.code)}`;
  return new VirshError('VWC_ERR_VIRSH_FAILED', `${command}: ${why}`, args, tail(stderr));
}

export function createVirshRunner(options: VirshRunnerOptions): VirshRunner {
  const binary = options.binary ?? 'virsh';
  const defaults = {
    timeoutMs: options.timeoutMs ?? 15_000,
    maxOutputBytes: options.maxOutputBytes ?? 16 << 20,
  };

  const cancel = new AbortController();
  const cancelled = (argv: readonly string[]): VirshError =>
    new VirshError('VWC_ERR_VIRSH_CANCELLED', `virsh ${argv.join(' ')}: cancelled`, argv, '');

  function exec(argv: readonly string[], run: VirshRunOptions = {}): Promise<string> {
    const timeoutMs = run.timeoutMs ?? defaults.timeoutMs;
    if (cancel.signal.aborted) return Promise.reject(cancelled(argv));
    return new Promise((resolve, reject) => {
      execFile(
        binary,
        argv,
        {
          timeout: timeoutMs,
          maxBuffer: run.maxOutputBytes ?? defaults.maxOutputBytes,
          encoding: 'utf8',
          signal: cancel.signal,
        },
        (error, stdout, stderr) => {
          if (error && cancel.signal.aborted) reject(cancelled(argv));
          else if (error) reject(toVirshError(error, binary, argv, stderr, timeoutMs));
          else resolve(stdout);
        },
      );
    });
  }

  return {
    uri: options.uri,
    run: (args, run) => exec(['-c', options.uri, ...args], run),
    spawn: (args) => spawnVirsh(binary, ['-c', options.uri, ...args]),
    checkAvailable: async () => {
      await exec(['--version']);
    },
    cancelAll: () => {
      cancel.abort();
    },
  };
}

class SpawnedVirsh extends EventEmitter<VirshProcessEvents> implements VirshProcess {
  private stopped = false;
  constructor(private readonly onKill: () => void) {
    super();
  }
  kill(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.onKill();
  }
}

function spawnVirsh(binary: string, argv: readonly string[]): VirshProcess {
  const child = spawn(binary, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new SpawnedVirsh(() => child.kill('SIGTERM'));
  let stderr = '';
  let ended = false;
  const end = (detail: string): void => {
    if (ended) return;
    ended = true;
    proc.emit('exit', detail);
  };
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr = `${stderr}${line}\n`.slice(-STDERR_TAIL);
    proc.emit('stderr', line);
  });
  createInterface({ input: child.stdout }).on('line', (line) => proc.emit('line', line));
  child.on('error', (error: NodeJS.ErrnoException) => {
    end(error.code === 'ENOENT' ? `virsh binary not found (${binary})` : error.message);
  });
  child.on('close', (code, signal) => {
    end(
      tail(stderr) || (signal === null ? `virsh exited with ${String(code)}` : `virsh killed by ${signal}`),
    );
  });
  return proc;
}
