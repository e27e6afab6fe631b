// Serial fan-out benchmark: virt-webconsole's serial mux and websockify side by side, relaying
// the same local source (bench/serial-source.py, a UNIX socket standing in for a guest's serial
// port). Loopback only, bounded in time (about two minutes with the defaults).
//
//   npx tsx bench/serial.ts [--seconds 4] [--clients 1,100,1000] [--websockify-max 100]
//
// Writes bench/results/serial.md. Relay CPU and memory are read from /proc for the relay's
// whole process tree (websockify forks one process per connection): CPU as utime+stime, memory
// as PSS (shared pages counted once).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { descendants, treeCpu, treePssKiB } from './proc.js';
import { freePort } from '../test/helpers/daemon.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
}
const SECONDS = Number(arg('seconds', '4'));
const CLIENTS = arg('clients', '1,100,1000').split(',').map(Number);
const WEBSOCKIFY_MAX = Number(arg('websockify-max', '100'));
const CHATTY_RATE = Number(arg('chatty-rate', '5000'));

type Relay = 'vwc' | 'vwc-2ms' | 'vwc-nocoalesce' | 'websockify';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// -- /proc

/** CPU seconds (user + system, reaped children included) and PSS KiB of a process tree. */
function treeStats(root: number): { cpu: number; pssKiB: number; processes: number } {
  return { cpu: treeCpu([root]), pssKiB: treePssKiB([root]), processes: 1 + descendants(root).length };
}

// -- processes

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      reject(new Error(`${what}: not ready in 30 s; output ${buffer}`));
    }, 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const m = pattern.exec(buffer);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}: ${buffer}`));
    });
  });
}

async function waitForPort(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => {
        resolve(false);
      });
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} never opened`);
    await delay(50);
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

interface Started {
  readonly url: string;
  readonly protocols: string[];
  readonly child: ChildProcess;
}

async function startRelay(relay: Relay, sourcePath: string): Promise<Started> {
  if (relay === 'websockify') {
    const port = await freePort();
    const child = spawn('websockify', [`127.0.0.1:${port}`, `--unix-target=${sourcePath}`], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitForPort(port);
    return { url: `ws://127.0.0.1:${port}/`, protocols: ['binary'], child };
  }
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      path.join(HERE, 'serial-daemon.ts'),
      sourcePath,
      relay === 'vwc' ? '5' : relay === 'vwc-2ms' ? '2' : '0',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const m = await waitForLine(child, /ready (\d+)/, 'serial-daemon');
  return { url: `ws://127.0.0.1:${m[1]}/`, protocols: [], child };
}

// -- clients

interface Client {
  ws: WebSocket;
  bytes: number;
  messages: number;
  gaps: number;
  skipped: number;
}

function openClient(url: string, protocols: string[], stalled: boolean): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const client: Client = { ws, bytes: 0, messages: 0, gaps: 0, skipped: 0 };
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      client.messages += 1;
      if (isBinary) {
        client.bytes += buf.length;
        return;
      }
      const m = JSON.parse(buf.toString()) as { type: string; from?: number; to?: number };
      if (m.type === 'gap') {
        client.gaps += 1;
        client.skipped += (m.to ?? 0) - (m.from ?? 0);
      }
    });
    ws.once('open', () => {
      if (stalled) ws.pause();
      resolve(client);
    });
    ws.once('error', reject);
  });
}

async function openClients(url: string, protocols: string[], count: number): Promise<Client[]> {
  const clients: Client[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Math.min(50, count - i);
    clients.push(
      ...(await Promise.all(Array.from({ length: batch }, () => openClient(url, protocols, false)))),
    );
  }
  return clients;
}

// -- scenarios

interface Row {
  relay: Relay;
  clients: number;
  stalled: boolean;
  mibPerSec: number;
  minClientMibPerSec: number;
  cpuCores: number;
  pssPerClientKiB: number;
  gaps: number;
  skippedMiB: number;
  messagesPerSec: number;
  cpuMicrosPerKiB: number;
  processes: number;
  note: string;
}

async function scenario(
  relay: Relay,
  mode: 'flood' | 'chatty' | 'paced',
  count: number,
  withStalled: boolean,
  rate = CHATTY_RATE,
): Promise<Row> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-'));
  const sourcePath = path.join(dir, 'serial.sock');
  const source = spawn('python3', [path.join(HERE, 'serial-source.py'), sourcePath, mode, String(rate)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const clients: Client[] = [];
  let started: Started | null = null;
  try {
    await waitForLine(source, /ready/, 'source');
    started = await startRelay(relay, sourcePath);
    await delay(300);
    const pid = started.child.pid!;
    const idle = treeStats(pid);
    let stalled: Client | null = null;
    if (withStalled) stalled = await openClient(started.url, started.protocols, true);
    clients.push(...(await openClients(started.url, started.protocols, count)));
    await delay(1000);
    const before = clients.map((c) => ({
      bytes: c.bytes,
      messages: c.messages,
      gaps: c.gaps,
      skipped: c.skipped,
    }));
    const cpu0 = treeStats(pid).cpu;
    const t0 = performance.now();
    await delay(SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const after = treeStats(pid);
    const delivered = clients.map((c, i) => c.bytes - before[i]!.bytes);
    const total = delivered.reduce((a, b) => a + b, 0);
    const messages = clients.reduce((a, c, i) => a + c.messages - before[i]!.messages, 0);
    const cpu = after.cpu - cpu0;
    return {
      relay,
      clients: count,
      stalled: withStalled,
      mibPerSec: total / seconds / 2 ** 20,
      minClientMibPerSec: Math.min(...delivered) / seconds / 2 ** 20,
      cpuCores: cpu / seconds,
      pssPerClientKiB: (after.pssKiB - idle.pssKiB) / (count + (stalled ? 1 : 0)),
      gaps: clients.reduce((a, c, i) => a + c.gaps - before[i]!.gaps, 0),
      skippedMiB: clients.reduce((a, c, i) => a + c.skipped - before[i]!.skipped, 0) / 2 ** 20,
      messagesPerSec: messages / seconds,
      cpuMicrosPerKiB: total > 0 ? (cpu * 1e6) / (total / 1024) : NaN,
      processes: after.processes,
      note: stalled ? `stalled client got ${(stalled.bytes / 2 ** 20).toFixed(1)} MiB` : '',
    };
  } finally {
    for (const c of clients) c.ws.terminate();
    if (started) await stop(started.child);
    await stop(source);
    rmSync(dir, { recursive: true, force: true });
  }
}

// -- report

const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

function floodTable(rows: Row[]): string {
  const head =
    '| relay | clients | + stalled | delivered MiB/s (all) | slowest client MiB/s | relay CPU (cores) | relay PSS per client KiB | gaps (bytes skipped MiB) | processes | note |\n' +
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---|\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.relay} | ${r.clients} | ${r.stalled ? 'yes' : 'no'} | ${f1(r.mibPerSec)} | ${f2(r.minClientMibPerSec)} | ${f2(r.cpuCores)} | ${f1(r.pssPerClientKiB)} | ${r.gaps} (${f1(r.skippedMiB)}) | ${r.processes} | ${r.note} |`,
      )
      .join('\n')
  );
}

function chattyTable(rows: Row[]): string {
  const head =
    '| relay | delivered KiB/s | WebSocket messages/s | relay CPU (cores) | relay CPU µs per KiB |\n|---|---:|---:|---:|---:|\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.relay} | ${f1(r.mibPerSec * 1024)} | ${Math.round(r.messagesPerSec)} | ${f2(r.cpuCores)} | ${Math.round(r.cpuMicrosPerKiB)} |`,
      )
      .join('\n')
  );
}

async function main(): Promise<void> {
  const flood: Row[] = [];
  for (const count of CLIENTS) {
    for (const withStalled of [false, true]) {
      for (const relay of ['vwc', 'websockify'] as const) {
        if (relay === 'websockify' && count > WEBSOCKIFY_MAX) continue;
        process.stderr.write(`flood: ${relay}, ${count} clients${withStalled ? ' + 1 stalled' : ''}\n`);
        flood.push(await scenario(relay, 'flood', count, withStalled));
      }
    }
  }
  // A paced source the clients can keep up with: the no-loss check (gaps must be 0).
  const paced: Row[] = [];
  const pacedRuns: [number, boolean, number][] = [
    [1, false, 32 * 2 ** 20],
    [100, false, 2 * 2 ** 20],
    [100, true, 2 * 2 ** 20],
    [1000, false, 2 ** 18],
    [1000, true, 2 ** 18],
  ];
  for (const [count, withStalled, rate] of pacedRuns) {
    for (const relay of ['vwc', 'websockify'] as const) {
      if (relay === 'websockify' && count > WEBSOCKIFY_MAX) continue;
      process.stderr.write(
        `paced ${rate} B/s: ${relay}, ${count} clients${withStalled ? ' + 1 stalled' : ''}\n`,
      );
      const row = await scenario(relay, 'paced', count, withStalled, rate);
      paced.push({ ...row, note: `${f2(rate / 2 ** 20)} MiB/s per client. ${row.note}` });
    }
  }
  const chatty: Row[] = [];
  for (const relay of ['vwc', 'vwc-2ms', 'vwc-nocoalesce', 'websockify'] as const) {
    process.stderr.write(`chatty: ${relay}\n`);
    chatty.push(await scenario(relay, 'chatty', 1, false));
  }
  const cpus = os.cpus();
  const report = `# Serial fan-out benchmark (bench/serial.ts)

Run: ${new Date().toISOString()} on ${os.hostname()}: ${cpus.length} × ${cpus[0]?.model ?? '?'}, Node ${process.version},
websockify ${execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'websockify'], { encoding: 'utf8' })}. Loopback only.
Each row: a fresh source, a fresh relay, clients attached, 1 s warm-up, then ${SECONDS} s measured.
Load average (1 min) at start: ${os.loadavg()[0]!.toFixed(2)}; figures swing when other work shares the two cores.

Relays: \`vwc\` is the real ConsoleHub/SerialMux with its defaults (coalesceMs 5, clientQueueBytes
256 KiB, slowClientPolicy resync) reading the source once and fanning out; \`vwc-2ms\` and
\`vwc-nocoalesce\` the same with coalesceMs 2 and 0; \`websockify\` is Debian's websockify (\`--unix-target\`), which opens one upstream
connection per client (and forks a process per client), so every client gets its own copy of the
source. The clients (Node \`ws\`, one process, the bench itself) count bytes, messages and gaps.

## Flood: one source writing as fast as it can, fanned out

${floodTable(flood)}

- *delivered* sums the bytes of the clients that read (the stalled one excluded).
- *relay CPU* is the relay's process tree over the window (2 cores = the whole machine).
- *PSS per client*: relay memory growth from idle to loaded, divided by the clients.
- *gaps*: with one shared source the mux cannot slow the guest down, so a client that reads
  slower than the source writes is skipped ahead (resync) with a gap notice; websockify has no
  shared source, each client's own upstream is throttled by TCP instead.
${WEBSOCKIFY_MAX < Math.max(...CLIENTS) ? `- websockify was run up to ${WEBSOCKIFY_MAX} clients: it forks one process per client (see *processes*); ${Math.max(...CLIENTS)} forks were left out to keep the shared machine usable.\n` : ''}
## Paced source: a rate every client can keep up with

${floodTable(paced)}

Here nothing may be lost: *gaps* must be 0 for the clients that read, with or without a stalled
client among them.

## Chatty source: 1-16 byte writes, ${CHATTY_RATE} per second, one client

${chattyTable(chatty)}
`;
  writeFileSync(path.join(HERE, 'results', 'serial.md'), report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
