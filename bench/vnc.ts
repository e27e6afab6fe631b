// VNC relay bench, side by side in one run: our bridge, a plain ws+net relay (the baseline the
// issue measured) and websockify (Debian package, --unix-target), all relaying the same fake
// VNC servers on UNIX sockets, loopback only.
// Run: `npx tsx bench/vnc.ts [floodMiB=1024] [sections=flood,echo,stall]`.
// - flood: 1 GiB in 64 KiB writes → MiB/s and relay CPU seconds per GiB (/proc utime+stime of
//   the relay's process tree, reaped children included: websockify forks per connection);
// - echo: 1-byte round trips with 1, 10 and 100 concurrent clients → p50/p99;
// - stalled reader: a client that stops reading → relay RSS and bytes the server got to write.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { FrameReader, clientFrame, connectFastReader, connectRawWs } from './vnc-wsclient.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const MiB = 1024 * 1024;
const FLOOD = Number(process.argv[2] ?? 1024) * MiB;
const SECTIONS = new Set((process.argv[3] ?? 'flood,echo,stall').split(','));
const ROUNDS = 9;
const ECHO_ROUNDS = 200;
const STALL_MS = 10_000;
const STALL_RSS_CAP = 512 * MiB;
const TICKS = 100; // USER_HZ on Linux
const PAGE = 4096;
const KINDS = ['flood', 'echo', 'endless'] as const;
type Kind = (typeof KINDS)[number];

interface Relay {
  readonly name: string;
  pids(): number[];
  endpoint(kind: Kind): { port: number; path: string };
  stop(): void;
}

const folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-vnc-'));
const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill();
  rmSync(folder, { recursive: true, force: true });
});

function forkTs(file: string, args: string[]): ChildProcess {
  const child = fork(path.join(here, file), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  children.push(child);
  return child;
}

function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
  return new Promise((resolve) => {
    const on = (message: Record<string, unknown>): void => {
      if (key in message) {
        child.off('message', on);
        resolve(message as T);
      }
    };
    child.on('message', on);
  });
}

// -- /proc ------------------------------------------------------------------------------------

function statFields(pid: number): string[] | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

function descendants(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ')) {
        if (child.trim()) out.push(Number(child), ...descendants(Number(child)));
      }
    } catch {
      // task gone
    }
  }
  return out;
}

/** CPU seconds of the roots, their live descendants and every reaped child. */
function treeCpu(roots: number[]): number {
  let ticks = 0;
  for (const root of roots) {
    const f = statFields(root);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    for (const pid of descendants(root)) {
      const d = statFields(pid);
      if (d) ticks += Number(d[11]) + Number(d[12]) + Number(d[13]) + Number(d[14]);
    }
  }
  return ticks / TICKS;
}

function treeRss(roots: number[]): number {
  let pages = 0;
  for (const pid of roots.flatMap((r) => [r, ...descendants(r)])) pages += Number(statFields(pid)?.[21] ?? 0);
  return pages * PAGE;
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

// -- relays -----------------------------------------------------------------------------------

/**
 * The relay runs as plain JavaScript, as the daemon does from dist/ (no tsx loader thread in
 * the measured process): bundled next to node_modules so its packages resolve.
 */
async function bundleRelay(): Promise<string> {
  const outfile = path.join(here, '../node_modules/.cache/vwc-bench/vnc-relay.mjs');
  await build({
    entryPoints: [path.join(here, 'vnc-relay.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}

async function nodeRelay(mode: 'ours' | 'plain', script: string): Promise<Relay> {
  const child = fork(script, [mode, folder], { stdio: 'inherit' });
  children.push(child);
  const { port } = await nextMessage<{ port: number }>(child, 'port');
  return {
    name: mode === 'ours' ? 'virt-webconsole' : 'plain ws+net',
    pids: () => [child.pid!],
    endpoint: (kind) => ({ port, path: `/ws/vnc/${kind}?role=operator` }),
    stop: () => child.kill(),
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) =>
    server.close(() => {
      r();
    }),
  );
  return port;
}

async function websockify(): Promise<Relay> {
  const ports = {} as Record<Kind, number>;
  const procs: ChildProcess[] = [];
  for (const kind of KINDS) {
    ports[kind] = await freePort();
    const child = spawn(
      'websockify',
      [`127.0.0.1:${ports[kind]}`, `--unix-target=${path.join(folder, `${kind}.sock`)}`],
      { stdio: 'ignore' },
    );
    children.push(child);
    procs.push(child);
  }
  for (const kind of KINDS) {
    await until(() => {
      try {
        return readFileSync('/proc/net/tcp', 'utf8').includes(
          `:${ports[kind].toString(16).toUpperCase()} 00000000:0000 0A`,
        );
      } catch {
        return false;
      }
    }, 10_000);
  }
  return {
    name: 'websockify',
    pids: () => procs.map((p) => p.pid!),
    endpoint: (kind) => ({ port: ports[kind], path: '/' }),
    stop: () => {
      for (const p of procs) p.kill();
    },
  };
}

// -- measurements -----------------------------------------------------------------------------

async function flood(relay: Relay): Promise<{ mibps: number; cpuPerGiB: number }> {
  const roots = relay.pids();
  const baselineChildren = roots.flatMap(descendants).length;
  const before = treeCpu(roots);
  const { port, path: urlPath } = relay.endpoint('flood');
  const start = process.hrtime.bigint();
  const target = FLOOD + 12;
  let done: (() => void) | null = null;
  let fail: ((error: Error) => void) | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const reader = new FrameReader(() => {
    if (reader.payloadBytes >= target) done?.();
  });
  const socket = await connectFastReader(port, urlPath, reader);
  socket.on('close', () => {
    fail?.(new Error(`${relay.name}: closed at ${reader.payloadBytes} of ${target} bytes`));
  });
  const deadline = setTimeout(() => fail?.(new Error(`${relay.name}: flood took over 120 s`)), 120_000);
  await finished.finally(() => {
    clearTimeout(deadline);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  socket.destroy();
  await until(() => roots.flatMap(descendants).length <= baselineChildren, 5000);
  await new Promise((r) => setTimeout(r, 200)); // let the last /proc tick land
  const cpu = treeCpu(roots) - before;
  return { mibps: FLOOD / MiB / seconds, cpuPerGiB: cpu / (FLOOD / 1024 ** 3) };
}

/** One echo client: connects and handshakes, waits for `start` (every client ready), measures. */
async function echoClient(
  relay: Relay,
  samples: number[],
  ready: () => void,
  start: Promise<void>,
): Promise<void> {
  const { port, path: urlPath } = relay.endpoint('echo');
  const { socket, leftover } = await connectRawWs(port, urlPath);
  let received = 0;
  let wake: (() => void) | null = null;
  const reader = new FrameReader((payload) => {
    received += payload.length;
    wake?.();
  });
  const waitFor = (count: number): Promise<void> =>
    received >= count
      ? Promise.resolve()
      : new Promise((resolve) => {
          wake = () => {
            if (received >= count) {
              wake = null;
              resolve();
            }
          };
        });
  reader.feed(leftover);
  socket.on('data', (chunk: Buffer) => {
    reader.feed(chunk);
  });
  socket.resume();
  // Handshake (version, security None, ClientInit) so the filter passes what follows; the
  // echo server returns it after its own 12-byte greeting.
  socket.write(clientFrame(Buffer.from('RFB 003.008\n\x01\x01', 'latin1')));
  await waitFor(12 + 14);
  ready();
  await start;
  // KeyEvent messages, one byte per round trip: the filter forwards each byte as it comes.
  const key = Buffer.of(4, 1, 0, 0, 0, 0, 0, 0x61);
  for (let round = 0; round < ECHO_ROUNDS + 10; round++) {
    const byte = key.subarray(round % 8, (round % 8) + 1);
    const t0 = process.hrtime.bigint();
    socket.write(clientFrame(byte));
    await waitFor(26 + round + 1);
    if (round >= 10) samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  socket.destroy();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function echo(relay: Relay, clients: number): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  // Steady state: every client connected before any round trip is timed.
  let waiting = clients;
  let go: () => void = () => undefined;
  const start = new Promise<void>((resolve) => (go = resolve));
  const ready = (): void => {
    waiting -= 1;
    if (waiting === 0) go();
  };
  await Promise.all(Array.from({ length: clients }, () => echoClient(relay, samples, ready, start)));
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

async function upstreamWritten(upstream: ChildProcess): Promise<number> {
  const reply = nextMessage<{ written: Record<Kind, number> }>(upstream, 'written');
  upstream.send('stats');
  return (await reply).written.endless;
}

async function stalled(relay: Relay, upstream: ChildProcess): Promise<Record<string, number>> {
  const roots = relay.pids();
  const rssBefore = treeRss(roots);
  const writtenBefore = await upstreamWritten(upstream);
  const { port, path: urlPath } = relay.endpoint('endless');
  const { socket, leftover } = await connectRawWs(port, urlPath);
  const reader = new FrameReader();
  reader.feed(leftover);
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      reader.feed(chunk);
      if (reader.payloadBytes >= MiB) {
        socket.pause(); // the browser stops reading
        resolve();
      }
    });
    socket.resume();
  });
  let maxRss = 0;
  let writtenAt2s = 0;
  const start = Date.now();
  while (Date.now() - start < STALL_MS) {
    await new Promise((r) => setTimeout(r, 250));
    maxRss = Math.max(maxRss, treeRss(roots));
    if (writtenAt2s === 0 && Date.now() - start >= 2000)
      writtenAt2s = (await upstreamWritten(upstream)) - writtenBefore;
    if (maxRss > STALL_RSS_CAP) break;
  }
  const written = (await upstreamWritten(upstream)) - writtenBefore;
  const seconds = (Date.now() - start) / 1000;
  socket.destroy();
  return {
    rssBeforeMiB: rssBefore / MiB,
    rssMaxMiB: maxRss / MiB,
    growthMiB: (maxRss - rssBefore) / MiB,
    serverWrittenAt2sMiB: writtenAt2s / MiB,
    serverWrittenMiB: written / MiB,
    seconds,
  };
}

// -- run ----------------------------------------------------------------------------------------

const fmt = (n: number, digits = 2): string => n.toFixed(digits);
const load = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

const upstream = forkTs('vnc-upstream.ts', [folder, String(FLOOD)]);
await nextMessage(upstream, 'ready');
const relayScript = await bundleRelay();
const relays = [
  await nodeRelay('ours', relayScript),
  await nodeRelay('plain', relayScript),
  await websockify(),
];
const loadStart = load();
console.log(`# VNC relay bench — ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${loadStart}`);
console.log(
  `flood ${FLOOD / MiB} MiB in 64 KiB writes, ${ROUNDS} rounds interleaved; echo ${ECHO_ROUNDS} round trips per client\n`,
);

// Warm-up (JIT, lazy module loads, first fork), not counted.
if (SECTIONS.has('flood')) for (const relay of relays) await flood(relay);
const floods = new Map<string, { mibps: number; cpuPerGiB: number }[]>();
for (let round = 0; round < (SECTIONS.has('flood') ? ROUNDS : 0); round++) {
  for (const relay of relays) {
    const result = await flood(relay);
    floods.set(relay.name, [...(floods.get(relay.name) ?? []), result]);
  }
}
const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
console.log('| relay | MiB/s (median) | CPU s/GiB (median) | MiB/s per round | CPU s/GiB per round |');
console.log('|---|---|---|---|---|');
for (const [name, results] of floods) {
  const mibps = results.map((r) => r.mibps);
  const cpu = results.map((r) => r.cpuPerGiB);
  console.log(
    `| ${name} | ${fmt(median(mibps), 0)} | ${fmt(median(cpu))} | ${mibps.map((v) => fmt(v, 0)).join(' / ')} | ${cpu.map((v) => fmt(v)).join(' / ')} |`,
  );
}

console.log('\n| relay | 1 client p50 / p99 ms | 10 clients p50 / p99 ms | 100 clients p50 / p99 ms |');
console.log('|---|---|---|---|');
for (const relay of SECTIONS.has('echo') ? relays : []) {
  // Warm-up: 10 clients' worth of round trips, not counted (JIT; websockify's first forks).
  await echo(relay, 10);
  const cells: string[] = [];
  for (const clients of [1, 10, 100]) {
    const { p50, p99 } = await echo(relay, clients);
    cells.push(`${fmt(p50, 3)} / ${fmt(p99, 3)}`);
  }
  console.log(`| ${relay.name} | ${cells.join(' | ')} |`);
}

console.log(
  '\n| relay | RSS before MiB | RSS max MiB (stalled reader) | server wrote after 2 s MiB | server wrote MiB | seconds |',
);
console.log('|---|---|---|---|---|---|');
for (const relay of SECTIONS.has('stall') ? relays : []) {
  const s = await stalled(relay, upstream);
  console.log(
    `| ${relay.name} | ${fmt(s.rssBeforeMiB!, 1)} | ${fmt(s.rssMaxMiB!, 1)} | ${fmt(s.serverWrittenAt2sMiB!, 1)} | ${fmt(s.serverWrittenMiB!, 1)} | ${fmt(s.seconds!, 1)} |`,
  );
}
console.log(`\nload average at start ${loadStart}, at end ${load()}`);
for (const relay of relays) relay.stop();
upstream.kill();
process.exit(0);
