// SSH bench: serial consoles over SSH (src/ssh) against the same console over a WebSocket, in
// one run, one daemon process (bench/ssh-daemon.ts: the real ConsoleHub and SSH server) in front
// of bench/serial-source.py (a UNIX socket standing in for a guest's serial port).
//
//   npm run bench:ssh -- [--quick] [--seconds 3] [--rounds 3] [--sessions 100]
//
// 1. Keystroke echo: one typist at a time sends a key and waits for its echo (the source echoes),
//    back to back, through a WebSocket (`ws`), through ssh2's client and through Debian's
//    OpenSSH client (`ssh -T`, a process; its stdin and stdout are the keyboard and screen).
//    Rounds interleave the three; p50/p99 over every sample.
// 2. Fan-out: N ssh2 client connections (one SSH connection and session each) watch a source
//    printing 64 KiB/s in 1 KiB writes stamped with CLOCK_MONOTONIC; each session counts its
//    bytes, the gaps the daemon reports on stderr ("bytes skipped"), and each stamp's age.
// Prints markdown tables (the test suite runs --quick and checks the tables, never timings).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import ssh2 from 'ssh2';
import type { ClientChannel } from 'ssh2';
import {
  delay,
  openClient,
  percentile,
  readStamps,
  stop,
  treeStats,
  type,
  typeThrough,
  waitForLine,
} from './serial-run.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    sessions: { type: 'string' },
  },
});
const QUICK = args.quick;
const SECONDS = Number(args.seconds ?? (QUICK ? '0.7' : '3'));
const ROUNDS = Number(args.rounds ?? (QUICK ? '1' : '3'));
const SESSIONS = Number(args.sessions ?? (QUICK ? '20' : '100'));
const FANOUT_RATE = 64 * 1024;
const FANOUT_SECONDS = QUICK ? 2 : 10;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

// -- processes

interface Daemon {
  readonly wsPort: number;
  readonly sshPort: number;
  readonly pid: number;
}

/** A source in `mode` and the daemon in front of it, for the length of `body`. */
async function withDaemon<T>(mode: 'echo' | 'stamped', body: (daemon: Daemon) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-ssh-'));
  const sourcePath = path.join(dir, 'serial.sock');
  const source = spawn(
    'python3',
    [path.join(HERE, 'serial-source.py'), sourcePath, mode, String(FANOUT_RATE), '1024'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let daemon: ChildProcess | null = null;
  try {
    await waitForLine(source, /ready/, 'source');
    daemon = spawn(process.execPath, ['--import', 'tsx', path.join(HERE, 'ssh-daemon.ts'), sourcePath], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const m = await waitForLine(daemon, /ready (\d+) (\d+)/, 'ssh-daemon');
    await delay(300);
    return await body({ wsPort: Number(m[1]), sshPort: Number(m[2]), pid: daemon.pid! });
  } finally {
    if (daemon) await stop(daemon);
    await stop(source);
    rmSync(dir, { recursive: true, force: true });
  }
}

// -- ssh2 clients

interface Session {
  readonly conn: ssh2.Client;
  readonly stream: ClientChannel;
}

function openSession(port: number, command: string): Promise<Session> {
  return new Promise((resolve, reject) => {
    const conn = new ssh2.Client();
    conn.once('error', reject);
    conn.once('ready', () => {
      conn.exec(command, (error, stream) => {
        if (error) reject(error);
        else resolve({ conn, stream });
      });
    });
    conn.connect({ host: '127.0.0.1', port, username: 'bench', password: 'bench', readyTimeout: 60_000 });
  });
}

/** Resolves once the session's stderr shows the daemon's hello notice. */
function attached(stderr: NodeJS.ReadableStream): Promise<void> {
  return new Promise((resolve) => {
    let text = '';
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (text.includes('you are bench')) {
        stderr.off('data', onData);
        resolve();
      }
    };
    stderr.on('data', onData);
  });
}

async function echoWebSocket(daemon: Daemon): Promise<number[]> {
  const client = await openClient(`ws://127.0.0.1:${daemon.wsPort}/bench0?role=operator`, []);
  try {
    return await type(client, SECONDS * 1000, () => undefined);
  } finally {
    client.ws.close();
    await delay(100);
  }
}

async function echoSsh2(daemon: Daemon): Promise<number[]> {
  const { conn, stream } = await openSession(daemon.sshPort, 'bench0 --no-history');
  await attached(stream.stderr);
  let listener: ((data: Buffer) => void) | null = null;
  stream.on('data', (data: Buffer) => listener?.(data));
  try {
    return await typeThrough(
      (key) => stream.write(key),
      (l) => (listener = l),
      SECONDS * 1000,
    );
  } finally {
    conn.end();
    await delay(100);
  }
}

async function echoOpenSsh(daemon: Daemon): Promise<number[]> {
  const child = spawn(
    'sshpass',
    [
      ...['-p', 'bench', 'ssh', '-T', '-e', 'none', '-p', String(daemon.sshPort)],
      ...['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR'],
      ...['-o', 'PubkeyAuthentication=no', 'bench@127.0.0.1', 'bench0', '--no-history'],
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  try {
    await attached(child.stderr);
    let listener: ((data: Buffer) => void) | null = null;
    child.stdout.on('data', (data: Buffer) => listener?.(data));
    return await typeThrough(
      (key) => child.stdin.write(key),
      (l) => (listener = l),
      SECONDS * 1000,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    await delay(100);
  }
}

// -- fan-out

interface Watcher {
  bytes: number;
  gaps: number;
  readonly latencies: number[];
  readonly session: Session;
}

async function fanout(daemon: Daemon): Promise<string> {
  const watchers: Watcher[] = [];
  for (let i = 0; i < SESSIONS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, SESSIONS - i) }, async () => {
        const session = await openSession(daemon.sshPort, 'bench0 --no-history');
        const watcher: Watcher = { bytes: 0, gaps: 0, latencies: [], session };
        let carry: Buffer = Buffer.alloc(0);
        let measuring = false;
        session.stream.on('data', (data: Buffer) => {
          if (!measuring) return;
          watcher.bytes += data.length;
          carry = readStamps(carry.length ? Buffer.concat([carry, data]) : data, watcher.latencies);
        });
        session.stream.stderr.on('data', (data: Buffer) => {
          if (measuring) watcher.gaps += (data.toString().match(/bytes skipped/g) ?? []).length;
        });
        await attached(session.stream.stderr);
        (watcher as { start?: () => void }).start = () => {
          measuring = true;
        };
        return watcher;
      }),
    );
    watchers.push(...batch);
    log(`fan-out: ${watchers.length} ssh sessions attached`);
  }
  await delay(QUICK ? 300 : 1000);
  for (const w of watchers) (w as { start?: () => void }).start?.();
  const cpu0 = treeStats(daemon.pid).cpu;
  const t0 = performance.now();
  await delay(FANOUT_SECONDS * 1000);
  const seconds = (performance.now() - t0) / 1000;
  const cpu = treeStats(daemon.pid).cpu - cpu0;
  for (const w of watchers) w.session.conn.end();
  const latencies = watchers.flatMap((w) => w.latencies).sort((a, b) => a - b);
  const perSession = watchers.map((w) => w.bytes / seconds / 1024).sort((a, b) => a - b);
  const gaps = watchers.reduce((a, w) => a + w.gaps, 0);
  return [
    `## Fan-out: ${SESSIONS} ssh sessions (one SSH connection each) on one port, source ${FANOUT_RATE / 1024} KiB/s, ${FANOUT_SECONDS} s`,
    '',
    '| sessions | KiB/s per session: min / median | gaps | latency p50 / p99 ms | daemon CPU (cores) |',
    '| --- | ---: | ---: | ---: | ---: |',
    `| ${SESSIONS} | ${perSession[0]!.toFixed(1)} / ${percentile(perSession, 50).toFixed(1)} | ${gaps} | ${percentile(latencies, 50).toFixed(2)} / ${percentile(latencies, 99).toFixed(2)} | ${(cpu / seconds).toFixed(2)} |`,
    '',
  ].join('\n');
}

// -- report

function echoTable(samples: Map<string, number[]>): string {
  const ws = [...(samples.get('WebSocket (ws)') ?? [])].sort((a, b) => a - b);
  const wsP99 = percentile(ws, 99);
  const rows = [...samples].map(([client, list]) => {
    const sorted = [...list].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50) * 1000;
    const p99 = percentile(sorted, 99) * 1000;
    return `| ${client} | ${sorted.length} | ${p50.toFixed(0)} | ${p99.toFixed(0)} | ${(percentile(sorted, 99) / wsP99).toFixed(2)}× |`;
  });
  return [
    `## Keystroke echo: one typist, back-to-back round trips, ${SECONDS} s per client per round, ${ROUNDS} round(s)`,
    '',
    '| client | round trips | p50 µs | p99 µs | p99 × WebSocket |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const samples = new Map<string, number[]>([
    ['WebSocket (ws)', []],
    ['ssh (ssh2 client)', []],
    ['ssh (OpenSSH client)', []],
  ]);
  await withDaemon('echo', async (daemon) => {
    for (let round = 0; round < ROUNDS; round += 1) {
      log(`echo round ${round + 1}/${ROUNDS}`);
      samples.get('WebSocket (ws)')!.push(...(await echoWebSocket(daemon)));
      samples.get('ssh (ssh2 client)')!.push(...(await echoSsh2(daemon)));
      samples.get('ssh (OpenSSH client)')!.push(...(await echoOpenSsh(daemon)));
    }
  });
  const fan = await withDaemon('stamped', fanout);
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  process.stdout.write(
    [
      `# SSH bench (${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} CPUs, load ${load}${QUICK ? ', --quick' : ''})`,
      '',
      echoTable(samples),
      fan,
    ].join('\n'),
  );
}

await main();
