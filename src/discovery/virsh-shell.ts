// virsh kept running as an interactive shell, fed one command at a time on stdin. A `virsh`
// process per command costs about 53 ms of CPU (start-up, connecting to libvirtd; measured on the
// 2-core test machine) against about 4 ms in a running shell: for thumbnails of 200 VMs every
// 10 s that is a whole core against a tenth of one.
//
// The protocol: each command is written as one line, followed by `echo <marker>`; stderr is
// merged into stdout by the shell that starts virsh (so an `error:` line lands between its
// command's echo and the marker, in order), and the answer is the text between the echoed
// command line and the marker's prompt. virsh parses its input itself: every argument is
// single-quoted, and one that cannot be (a `'`, a newline, a NUL) goes to a plain `virsh`
// process instead, so no domain name can ever become a second command.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createVirshRunner, VirshError, type VirshRunner, type VirshRunnerOptions } from './virsh.js';

export interface VirshShellOptions extends VirshRunnerOptions {
  /** Shells run side by side (each runs one command at a time). Default 1. */
  readonly shells?: number;
}

const PROMPT = 'virsh # ';
const ERROR_LINE = /^error: (.*)$/gm;

interface Pending {
  readonly args: readonly string[];
  readonly line: string;
  readonly marker: string;
  readonly timeoutMs: number;
  readonly resolve: (stdout: string) => void;
  readonly reject: (error: VirshError) => void;
}

/** Single quotes as virsh's own parser reads them (no escapes inside); null when impossible. */
export function virshQuote(arg: string): string | null {
  return /['\n\r\0]/.test(arg) ? null : `'${arg}'`;
}

class VirshShell {
  private child: ChildProcessWithoutNullStreams | null = null;
  private readonly queue: Pending[] = [];
  private current: Pending | null = null;
  private output = '';
  private timer: NodeJS.Timeout | null = null;
  private counter = 0;
  private cancelled = false;

  constructor(
    private readonly binary: string,
    private readonly uri: string,
  ) {}

  get load(): number {
    return this.queue.length + (this.current ? 1 : 0);
  }

  run(args: readonly string[], line: string, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      this.counter += 1;
      const marker = `__vwc_done_${process.pid}_${this.counter}__`;
      this.queue.push({ args, line, marker, timeoutMs, resolve, reject });
      this.next();
    });
  }

  cancel(): void {
    this.cancelled = true;
    this.stop((args) => cancelledError(args));
  }

  private next(): void {
    if (this.current || this.queue.length === 0) return;
    const command = this.queue.shift()!;
    if (this.cancelled) {
      command.reject(cancelledError(command.args));
      this.next();
      return;
    }
    this.current = command;
    this.output = '';
    const child = this.start();
    // A shell that does not answer in time is killed; queued commands go to a new one.
    this.timer = setTimeout(() => {
      this.stop(
        (args) =>
          new VirshError(
            'VWC_ERR_VIRSH_TIMEOUT',
            `virsh ${args.join(' ')}: no answer in ${command.timeoutMs} ms`,
            args,
            '',
          ),
      );
    }, command.timeoutMs);
    child.stdin.write(`${command.line}\necho ${command.marker}\n`);
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    // sh only joins stderr to stdout; virsh's arguments are sh's positional parameters, never parsed.
    const child = spawn('/bin/sh', ['-c', 'exec "$0" -q -c "$1" 2>&1', this.binary, this.uri], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      this.received(text);
    });
    child.stdin.on('error', () => undefined); // the exit below reports it
    child.on('error', (error) => {
      if (this.child === child)
        this.stop((args) => new VirshError('VWC_ERR_VIRSH_MISSING', error.message, args, ''));
    });
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      const why = `virsh shell ended (${signal ?? `exit ${String(code)}`}): ${this.output.trim().slice(-500)}`;
      this.stop((args) => new VirshError('VWC_ERR_VIRSH_FAILED', why, args, this.output));
    });
    return child;
  }

  private received(text: string): void {
    const command = this.current;
    if (!command) return;
    this.output += text;
    const end = this.output.indexOf(`${PROMPT}echo ${command.marker}\n`);
    if (end < 0) return;
    // "virsh # <command line>\n<answer>virsh # echo <marker>\n<marker>\n…"
    const start = this.output.indexOf(`${command.line}\n`);
    const answer = this.output.slice(start < 0 ? 0 : start + command.line.length + 1, end);
    if (!this.output.includes(command.marker, end + PROMPT.length + 5 + command.marker.length)) return;
    this.finish();
    const errors = [...answer.matchAll(ERROR_LINE)].map((match) => match[1]);
    if (errors.length > 0) {
      const stderr = errors.map((message) => `error: ${message}`).join('\n');
      command.reject(
        new VirshError(
          'VWC_ERR_VIRSH_FAILED',
          `virsh ${command.args.join(' ')}: ${stderr}`,
          command.args,
          stderr,
        ),
      );
    } else {
      command.resolve(answer);
    }
    this.next();
  }

  private finish(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.current = null;
    this.output = '';
  }

  /** Ends the process; the command under way fails with `why`, queued ones run in a new one. */
  private stop(why: (args: readonly string[]) => VirshError): void {
    const child = this.child;
    this.child = null;
    child?.kill('SIGKILL');
    const command = this.current;
    this.finish();
    command?.reject(why(command.args));
    if (this.cancelled) {
      for (const queued of this.queue.splice(0)) queued.reject(why(queued.args));
    } else {
      this.next();
    }
  }
}

function cancelledError(args: readonly string[]): VirshError {
  return new VirshError('VWC_ERR_VIRSH_CANCELLED', `virsh ${args.join(' ')}: cancelled`, args, '');
}

/**
 * A VirshRunner whose `run` goes through running virsh shells (spawn and checkAvailable as the
 * plain runner). Commands run one at a time per shell, so give as many shells as callers run
 * commands at once.
 */
export function createVirshShellRunner(options: VirshShellOptions): VirshRunner {
  const plain = createVirshRunner(options);
  const binary = options.binary ?? 'virsh';
  const defaultTimeoutMs = options.timeoutMs ?? 15_000;
  const shells = Array.from(
    { length: Math.max(1, options.shells ?? 1) },
    () => new VirshShell(binary, options.uri),
  );
  return {
    uri: options.uri,
    run: (args, run) => {
      const quoted = args.map(virshQuote);
      if (quoted.some((arg) => arg === null)) return plain.run(args, run);
      const shell = shells.reduce((best, shell) => (shell.load < best.load ? shell : best));
      return shell.run(args, quoted.join(' '), run?.timeoutMs ?? defaultTimeoutMs);
    },
    spawn: (args) => plain.spawn(args),
    checkAvailable: () => plain.checkAvailable(),
    cancelAll: () => {
      plain.cancelAll();
      for (const shell of shells) shell.cancel();
    },
  };
}
