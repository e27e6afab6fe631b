// Debian's OpenSSH client (and sftp) driven from the tests: a child process whose stdout and
// stderr are collected, stdin written to, and output waited for by polling what came.
import { spawn, type ChildProcess } from 'node:child_process';

export interface SshLogin {
  readonly port: number;
  readonly user: string;
  /** Given through sshpass (the keyboard-interactive or password prompt). */
  readonly password?: string;
  /** A private key file; then passwords are not tried. */
  readonly key?: string;
  /** Source address of the connection (the lockout is counted per address). */
  readonly bindAddress?: string;
}

const COMMON = [
  '-o',
  'StrictHostKeyChecking=no',
  '-o',
  'UserKnownHostsFile=/dev/null',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ConnectTimeout=20',
];

function authOptions(login: SshLogin): string[] {
  const bind = login.bindAddress ? ['-o', `BindAddress=${login.bindAddress}`] : [];
  if (login.key) {
    return [
      ...bind,
      ...['-i', login.key, '-o', 'IdentitiesOnly=yes', '-o', 'BatchMode=yes'],
      ...['-o', 'PasswordAuthentication=no', '-o', 'KbdInteractiveAuthentication=no'],
    ];
  }
  return [...bind, '-o', 'PubkeyAuthentication=no', '-o', 'NumberOfPasswordPrompts=1'];
}

export class OpenSsh {
  stdout = Buffer.alloc(0);
  stderr = '';
  readonly exit: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(program: string, args: readonly string[]) {
    this.child = spawn(program, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout = Buffer.concat([this.stdout, chunk]);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.child.stdin!.on('error', () => undefined);
    this.exit = new Promise((resolve) => {
      this.child.once('exit', (code) => {
        resolve(code);
      });
    });
  }

  /** `ssh [-tt] … user@127.0.0.1 [command…]` (with sshpass when a password is given). */
  static ssh(
    login: SshLogin,
    command: readonly string[],
    options: { tty?: boolean; extra?: readonly string[] } = {},
  ): OpenSsh {
    const args = [
      ...COMMON,
      ...authOptions(login),
      ...['-p', String(login.port), '-e', 'none', options.tty ? '-tt' : '-T'],
      ...(options.extra ?? []),
      `${login.user}@127.0.0.1`,
      ...command,
    ];
    return login.password !== undefined
      ? new OpenSsh('sshpass', ['-p', login.password, 'ssh', ...args])
      : new OpenSsh('ssh', args);
  }

  /** `sftp -P port user@127.0.0.1` with a password. */
  static sftp(login: SshLogin & { password: string }): OpenSsh {
    return new OpenSsh('sshpass', [
      ...['-p', login.password, 'sftp'],
      ...COMMON,
      ...authOptions(login),
      ...['-P', String(login.port), `${login.user}@127.0.0.1`],
    ]);
  }

  get text(): string {
    return this.stdout.toString('latin1');
  }

  write(data: string): void {
    this.child.stdin!.write(data);
  }

  kill(): void {
    this.child.kill('SIGTERM');
  }

  /** Waits until stdout (or stderr) holds `pattern`, polling; fails with what came. */
  async waitFor(
    pattern: string | RegExp,
    stream: 'stdout' | 'stderr' = 'stdout',
    timeoutMs = 30_000,
  ): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const found = (): boolean => {
      const text = stream === 'stdout' ? this.text : this.stderr;
      return typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
    };
    while (!found()) {
      if (Date.now() > deadline || this.child.exitCode !== null) {
        if (found()) return;
        throw new Error(
          `ssh ${stream}: ${String(pattern)} not seen (exit ${this.child.exitCode});\nstdout: ${JSON.stringify(this.text.slice(-600))}\nstderr: ${this.stderr.slice(-600)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * Ends the client (SIGTERM) and waits for it. (An EOF on stdin does not end a console
   * session: `echo cmd | ssh host web1` must still show the command's output.)
   */
  async close(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    const code = await this.exit;
    clearTimeout(timer);
    return code;
  }
}

/** Polls `check` until it holds. */
export async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
