// VNC relay bench, side by side in one run: our bridge, a plain ws+net relay (the baseline the
// issue measured) and websockify (Debian package, --unix-target), all relaying the same fake
// VNC servers on UNIX sockets, loopback only.
// Run: `npm run bench:vnc -- [--quick] [--pinned] [--tls] [--mib 1024] [--rounds 9] [--sections flood,echo,stall]`.
// - flood: 1 GiB in 64 KiB writes → MiB/s, relay CPU seconds per GiB (/proc utime+stime of the
//   relay's process tree, reaped children included: websockify forks per connection) and the
//   whole machine's busy CPU seconds per GiB (kernel work charged to other threads included).
//   Two more relays run the flood only: the floor, a minimal relay in C (bench/floor/relay.c,
//   built with cc) that copies through a buffer, and the same with splice(2). Every relay is
//   compared round by round with websockify and with the C floor (copy);
// - echo: 1-byte round trips with 1, 10 and 100 concurrent clients → p50/p99, repeated and
//   interleaved across relays, medians; relay CPU microseconds per round trip;
// - stalled reader: a client that stops reading → relay RSS and bytes the server got to write.
// --pinned: every relay runs on CPU 0 and the load generators (this process, the fake servers)
// on CPU 1, so each relay gets one core of its own and the measurement no longer depends on
// where the scheduler happens to put three busy processes on two cores.
// --tls: browsers connect over TLS (wss:, a throwaway self-signed certificate) to our relay,
// the plain relay and websockify (--cert/--key --ssl-only); the C floor speaks no TLS and is
// left out; flood and echo only.
// --quick: a smoke run (64 MiB, 2 rounds, 1 echo repeat of 100 round trips, 2 s stall): it
// proves the bench runs, its figures are not results.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { descendants, pin, treeCpu, treeRss } from './proc.js';
import { freePort } from '../harness/ports.js';
import { selfSignedCert } from '../harness/tls.js';
import {
  MiB,
  bundle,
  floodRounds,
  fmt,
  forkBundled,
  forkTs,
  loadAverage,
  median,
  nextMessage,
  owned,
  roundRatio,
  until,
  websockify,
  type FloodResult,
  type FloodRun,
  type Relay as AnyRelay,
} from './relays.js';
import { FrameReader, clientFrame, connectFastReader, connectRawWs, type Dial } from './vnc-wsclient.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    pinned: { type: 'boolean', default: false },
    tls: { type: 'boolean', default: false },
    mib: { type: 'string' },
    rounds: { type: 'string' },
    sections: { type: 'string' },
  },
});
const QUICK = args.quick;
const TLS = args.tls;
const FLOOD = Number(args.mib ?? (QUICK ? 64 : 1024)) * MiB;
const SECTIONS = new Set((args.sections ?? (TLS ? 'flood,echo' : 'flood,echo,stall')).split(','));
const PINNED = args.pinned;
const ROUNDS = Number(args.rounds ?? (QUICK ? 2 : 9));
/** Timed round trips per echo client, and how many times each client count is measured. */
const ECHO_ROUNDS = QUICK ? 100 : 500;
const ECHO_REPEATS = QUICK ? 1 : 5;
const ECHO_CLIENTS = QUICK ? ([1, 10, 20] as const) : ([1, 10, 100] as const);
const ECHO_MOST: number = ECHO_CLIENTS[ECHO_CLIENTS.length - 1]!;
const STALL_MS = QUICK ? 2_000 : 10_000;
const STALL_RSS_CAP = 512 * MiB;
const KINDS = ['flood', 'echo', 'endless'] as const;
type Kind = (typeof KINDS)[number];

type Relay = AnyRelay<Kind>;

const folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-vnc-'));
const certs = TLS ? selfSignedCert(folder) : null;
const DIAL: Dial = certs ? { ca: readFileSync(certs.cert) } : {};
process.on('exit', () => {
  rmSync(folder, { recursive: true, force: true });
});

async function nodeRelay(mode: 'ours' | 'plain', script: string): Promise<Relay> {
  const child = forkBundled(script, [mode, folder, ...(certs ? [certs.cert, certs.key] : [])]);
  const { port } = await nextMessage<{ port: number }>(child, 'port');
  return {
    name: mode === 'ours' ? 'virt-webconsole' : 'plain ws+net',
    pids: () => [child.pid!],
    endpoint: (kind) => ({ port, path: `/ws/vnc/${kind}?role=operator` }),
    stop: () => child.kill(),
  };
}

/** The C floor relay (bench/floor/relay.c): a process per connection, like websockify. */
async function floorRelay(mode: 'copy' | 'splice', binary: string, port: number): Promise<Relay> {
  const child = owned(
    spawn(binary, [mode, path.join(folder, 'flood.sock'), String(port)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    }),
  );
  await new Promise((resolve) => child.stdout.once('data', resolve));
  return {
    name: mode === 'copy' ? 'C floor (copy)' : 'C floor (splice)',
    floodOnly: true,
    pids: () => [child.pid!],
    endpoint: () => ({ port, path: '/' }),
    stop: () => child.kill(),
  };
}

// -- measurements -----------------------------------------------------------------------------

/** The RFB handshake a client sends (version, security None, ClientInit), as one frame. */
const HANDSHAKE = clientFrame(Buffer.from('RFB 003.008\x0a\x01\x01', 'latin1'));
/** A KeyEvent message cut into 1-byte frames: the filter forwards each byte as it comes. */
const KEY_BYTES = [4, 1, 0, 0, 0, 0, 0, 0x61].map((byte) => clientFrame(Buffer.of(byte)));
/** Echo clients share one read buffer: each read is counted synchronously, never kept. */
const ECHO_READS = Buffer.allocUnsafe(64 * 1024);

/**
 * One echo client: connects and handshakes, waits for `start` (every client ready), then
 * times ECHO_ROUNDS round trips of one byte each. Callback-driven, no allocation per round, so
 * that the load generator costs as little CPU as it can: it shares the machine with the relay.
 */
async function echoClient(
  relay: Relay,
  samples: number[],
  ready: () => void,
  start: Promise<void>,
): Promise<void> {
  const { port, path: urlPath } = relay.endpoint('echo');
  let received = 0;
  let expected = 12 + 14; // the server's greeting, then our handshake echoed
  let reached: () => void = () => undefined;
  const reader = new FrameReader((payload) => {
    received += payload.length;
    if (received >= expected) reached();
  });
  const handshaken = new Promise<void>((resolve) => (reached = resolve));
  const socket = await connectFastReader(port, urlPath, reader, ECHO_READS, DIAL);
  socket.write(HANDSHAKE);
  await handshaken;
  ready();
  await start;
  await new Promise<void>((resolve) => {
    let round = 0;
    let sentAt = 0n;
    const send = (): void => {
      expected += 1;
      sentAt = process.hrtime.bigint();
      socket.write(KEY_BYTES[round % KEY_BYTES.length]!);
    };
    reached = () => {
      if (round >= 10) samples.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
      round += 1;
      if (round === ECHO_ROUNDS + 10) resolve();
      else send();
    };
    send();
  });
  socket.destroy();
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface EchoResult {
  readonly p50: number;
  readonly p99: number;
  /** Relay CPU (its process tree) per round trip, microseconds. */
  readonly cpuPerRoundTripUs: number;
}

async function echo(relay: Relay, clients: number): Promise<EchoResult> {
  const roots = relay.pids();
  const baselineChildren = roots.flatMap(descendants).length;
  const samples: number[] = [];
  // Steady state: every client connected before any round trip is timed.
  let waiting = clients;
  let go: () => void = () => undefined;
  const start = new Promise<void>((resolve) => (go = resolve));
  let cpuAtStart = 0;
  const ready = (): void => {
    waiting -= 1;
    if (waiting > 0) return;
    cpuAtStart = treeCpu(roots);
    go();
  };
  await Promise.all(Array.from({ length: clients }, () => echoClient(relay, samples, ready, start)));
  // Wait for websockify's per-connection processes to exit and be reaped: their CPU lands in
  // the parent's total, and 100 exiting processes must not run into the next measurement.
  await until(() => roots.flatMap(descendants).length <= baselineChildren, 10_000);
  await new Promise((r) => setTimeout(r, 100));
  const cpu = treeCpu(roots) - cpuAtStart;
  samples.sort((a, b) => a - b);
  return {
    p50: percentile(samples, 50),
    p99: percentile(samples, 99),
    cpuPerRoundTripUs: (cpu / (clients * (ECHO_ROUNDS + 10))) * 1e6,
  };
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
  const { socket, leftover } = await connectRawWs(port, urlPath, DIAL);
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

const upstream = forkTs('vnc-upstream.ts', [folder, String(FLOOD)]);
await nextMessage(upstream, 'ready');
const relayScript = await bundle('vnc-relay.ts');
const relays: Relay[] = [
  await nodeRelay('ours', relayScript),
  await nodeRelay('plain', relayScript),
  await websockify(
    Object.fromEntries(KINDS.map((kind) => [kind, path.join(folder, `${kind}.sock`)])) as Record<
      Kind,
      string
    >,
    certs,
  ),
];
if (!TLS) {
  const floorBinary = path.join(folder, 'floor-relay');
  execFileSync('cc', ['-O2', '-o', floorBinary, path.join(here, 'floor/relay.c')]);
  relays.push(await floorRelay('copy', floorBinary, await freePort()));
  relays.push(await floorRelay('splice', floorBinary, await freePort()));
}
/** The relays that speak both ways (echo, stalled reader): all but the C floor. */
const fullRelays = relays.filter((relay) => relay.floodOnly !== true);
if (PINNED) {
  for (const relay of relays) for (const pid of relay.pids()) pin(pid, '0');
  pin(upstream.pid!, '1');
  pin(process.pid, '1');
}
const loadStart = loadAverage();
console.log(`# VNC relay bench — ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${loadStart}`);
console.log(
  `flood ${FLOOD / MiB} MiB in 64 KiB writes, ${ROUNDS} rounds interleaved; echo ${ECHO_ROUNDS} round trips ` +
    `per client, ${ECHO_REPEATS} repeats interleaved; ` +
    (PINNED ? 'pinned: relays on CPU 0, load generators on CPU 1' : 'not pinned (shared cores)') +
    (TLS ? '; over TLS' : '') +
    (QUICK ? '; --quick: a smoke run, not results' : '') +
    '\n',
);

const floodRun = (relay: Relay): FloodRun => ({
  floodBytes: FLOOD,
  expectBytes: FLOOD + 12, // the greeting, then the flood
  ...relay.endpoint('flood'),
  dial: DIAL,
});
const floods = SECTIONS.has('flood')
  ? await floodRounds(relays, ROUNDS, floodRun)
  : new Map<string, FloodResult[]>();
// Each relay is also compared with websockify and with the C floor round by round.
const ratio = (baselineName: string, results: FloodResult[], pick: (r: FloodResult) => number): string =>
  roundRatio(floods, baselineName, results, pick);
if (SECTIONS.has('flood')) {
  console.log(
    '| relay | MiB/s (median) | relay CPU s/GiB (median) | machine CPU s/GiB (median) | × websockify MiB/s | × websockify CPU s/GiB | × C floor MiB/s | × C floor CPU s/GiB | MiB/s per round | relay CPU s/GiB per round |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
}
for (const [name, results] of SECTIONS.has('flood') ? floods : []) {
  const mibps = results.map((r) => r.mibps);
  const cpu = results.map((r) => r.cpuPerGiB);
  const machine = results.map((r) => r.machinePerGiB);
  console.log(
    `| ${name} | ${fmt(median(mibps), 0)} | ${fmt(median(cpu))} | ${fmt(median(machine))} | ` +
      `${ratio('websockify', results, (r) => r.mibps)} | ${ratio('websockify', results, (r) => r.cpuPerGiB)} | ` +
      `${ratio('C floor (copy)', results, (r) => r.mibps)} | ${ratio('C floor (copy)', results, (r) => r.cpuPerGiB)} | ` +
      `${mibps.map((v) => fmt(v, 0)).join(' / ')} | ${cpu.map((v) => fmt(v)).join(' / ')} |`,
  );
}
if (SECTIONS.has('flood'))
  console.log(
    '\n× columns: median over rounds of (this relay ÷ websockify, or ÷ the C floor copy relay, in the same round).',
  );

const echoes = new Map<string, Map<number, EchoResult[]>>(fullRelays.map((r) => [r.name, new Map()]));
if (SECTIONS.has('echo')) {
  // Warm-up: 10 clients' worth of round trips, not counted (JIT; websockify's first forks).
  for (const relay of fullRelays) await echo(relay, 10);
  for (let repeat = 0; repeat < ECHO_REPEATS; repeat++) {
    for (const clients of ECHO_CLIENTS) {
      for (const relay of fullRelays) {
        const byCount = echoes.get(relay.name)!;
        byCount.set(clients, [...(byCount.get(clients) ?? []), await echo(relay, clients)]);
      }
    }
  }
}
if (SECTIONS.has('echo')) {
  console.log(
    `\n| relay | ${ECHO_CLIENTS.map((n) => `${n} client${n > 1 ? 's' : ''} p50 / p99 ms`).join(' | ')} | ${ECHO_MOST} clients p99 per repeat | relay CPU µs per round trip (${ECHO_MOST} clients) |`,
  );
  console.log('|---|---|---|---|---|---|');
}
for (const [name, byCount] of SECTIONS.has('echo') ? echoes : []) {
  const cells = ECHO_CLIENTS.map((clients) => {
    const results = byCount.get(clients)!;
    return `${fmt(median(results.map((r) => r.p50)), 3)} / ${fmt(median(results.map((r) => r.p99)), 3)}`;
  });
  const hundred = byCount.get(ECHO_MOST)!;
  console.log(
    `| ${name} | ${cells.join(' | ')} | ${hundred.map((r) => fmt(r.p99, 1)).join(' / ')} | ` +
      `${fmt(median(hundred.map((r) => r.cpuPerRoundTripUs)), 1)} |`,
  );
}

if (SECTIONS.has('stall')) {
  console.log(
    '\n| relay | RSS before MiB | RSS max MiB (stalled reader) | server wrote after 2 s MiB | server wrote MiB | seconds |',
  );
  console.log('|---|---|---|---|---|---|');
}
for (const relay of SECTIONS.has('stall') ? fullRelays : []) {
  const s = await stalled(relay, upstream);
  console.log(
    `| ${relay.name} | ${fmt(s.rssBeforeMiB!, 1)} | ${fmt(s.rssMaxMiB!, 1)} | ${fmt(s.serverWrittenAt2sMiB!, 1)} | ${fmt(s.serverWrittenMiB!, 1)} | ${fmt(s.seconds!, 1)} |`,
  );
}
console.log(`\nload average at start ${loadStart}, at end ${loadAverage()}`);
for (const relay of relays) relay.stop();
upstream.kill();
process.exit(0);
