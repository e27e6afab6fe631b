// Runs the real daemon (`node dist/src/cli.js serve`, built by `npm run build`) for e2e and
// integration tests: a temporary config and users file, a free loopback port, and a stop()
// that sends SIGTERM and waits for the exit code.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { REPO_ROOT } from '../../harness/libvirt/guest.js';
import { freePort } from '../../harness/ports.js';

export { freePort };

export interface TestUser {
  readonly name: string;
  readonly password: string;
  readonly role: 'viewer' | 'operator';
}

export interface DaemonOptions {
  readonly users: readonly TestUser[];
  /** Extra config keys merged over the defaults below. */
  readonly config?: Record<string, unknown>;
  /** The program (and its first arguments) to run instead of `node dist/src/cli.js`, e.g. an installed copy. */
  readonly command?: readonly string[];
  /** Listen on this UNIX socket instead of a loopback port (`url` is then `unix:<path>`). */
  readonly socketPath?: string;
  /** This loopback port instead of a free one (a restart where the browser expects it). */
  readonly port?: number;
}

export interface RunningDaemon {
  /** `http://127.0.0.1:<port>`, or `unix:<path>` with `socketPath`. */
  readonly url: string;
  /** 0 with `socketPath`. */
  readonly port: number;
  readonly pid: number;
  /** The temporary folder holding config.json and users. */
  readonly dir: string;
  /** Everything the daemon printed (pino JSON lines and other output). */
  output(): string;
  /** SIGTERM, then the exit code (null if it had to be killed). */
  stop(): Promise<number | null>;
}

export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const cli = path.join(REPO_ROOT, 'dist/src/cli.js');
  const command = options.command ?? [process.execPath, cli];
  if (!options.command && !existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-daemon-'));
  const usersFile = path.join(dir, 'users');
  // Cost 4: the lowest bcrypt allows; these users exist for seconds.
  writeFileSync(
    usersFile,
    options.users.map((u) => `${u.name}:${bcrypt.hashSync(u.password, 4)}:${u.role}`).join('\n') + '\n',
    { mode: 0o600 },
  );
  const port = options.socketPath ? 0 : (options.port ?? (await freePort()));
  const config = {
    listen: options.socketPath ? `unix:${options.socketPath}` : `127.0.0.1:${port}`,
    usersFile,
    // Never the host's /var/lib/virt-webconsole: what the daemon makes itself stays in the test's folder.
    stateDir: path.join(dir, 'state'),
    webDir: path.join(REPO_ROOT, 'dist/web'),
    logLevel: 'info',
    ...options.config,
  };
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(config, null, 2));

  let output = '';
  const [program, ...firstArgs] = command;
  const child: ChildProcess = spawn(program!, [...firstArgs, 'serve', '--config', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (output += b.toString()));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });

  const url = options.socketPath ? `unix:${options.socketPath}` : `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`daemon exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await healthz(options.socketPath, url)) === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`daemon did not answer /healthz in 30 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return {
    url,
    port,
    pid: child.pid!,
    dir,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
}

/** GET /healthz over the UNIX socket or TCP; the status code. */
function healthz(socketPath: string | undefined, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = socketPath ? http.get({ socketPath, path: '/healthz' }) : http.get(`${url}/healthz`);
    request.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    request.on('error', reject);
  });
}
