// Serial benchmark: virt-webconsole's serial mux and websockify side by side, relaying the same
// local source (bench/serial-source.py, a UNIX socket standing in for a guest's serial port),
// with a C floor (bench/floor/fanout.c) in the drain and fan-out sections.
// Loopback only; about six minutes with the defaults, under a minute with --quick.
//
//   npm run bench:serial -- [--quick] [--seconds 4] [--rounds 5] [--sections flood,paced,chatty,drain,echo,fanout]
//
// Writes bench/results/serial.md (--quick only prints). Relay CPU and memory are read from /proc
// for the relay's whole process tree (websockify forks one process per connection): CPU as
// utime+stime, memory as PSS (shared pages counted once). The parts are in serial-run.ts.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  delay,
  openClient,
  openClients,
  openFastViewer,
  percentile,
  treeStats,
  type,
  withRelay,
  type Client,
  type Relay,
  type Viewer,
} from './serial-run.js';
import {
  echoTable,
  fanoutTable,
  floodTable,
  logCostTable,
  logCosts,
  rateTable,
  type EchoRow,
  type FanoutRow,
  type Row,
} from './serial-report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    clients: { type: 'string' },
    'websockify-max': { type: 'string', default: '100' },
    'chatty-rate': { type: 'string', default: '5000' },
    sections: { type: 'string', default: 'flood,paced,chatty,drain,echo,fanout' },
  },
});
const QUICK = args.quick;
const SECONDS = Number(args.seconds ?? (QUICK ? '0.5' : '4'));
const ROUNDS = Number(args.rounds ?? (QUICK ? '1' : '5'));
const CLIENTS = (args.clients ?? (QUICK ? '1,10' : '1,100,1000')).split(',').map(Number);
const MANY = Math.max(...CLIENTS);
const WEBSOCKIFY_MAX = Number(args['websockify-max']);
const CHATTY_RATE = Number(args['chatty-rate']);
const SECTIONS = new Set(args.sections.split(','));
const FANOUT_RATE = 64 * 1024;

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const skipWebsockify = (relay: Relay, count: number): boolean =>
  relay === 'websockify' && count > WEBSOCKIFY_MAX;

/** Clients attached, 1 s (quick: 0.3 s) warm-up, then SECONDS measured: bytes, messages, gaps, CPU. */
async function measure(
  pid: number,
  clients: readonly (Client | Viewer)[],
): Promise<{
  seconds: number;
  cpu: number;
  pssKiB: number;
  processes: number;
  delivered: number[];
  messages: number;
  gaps: number;
  skipped: number;
}> {
  await delay(QUICK ? 300 : 1000);
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
  const sum = (f: (c: Client | Viewer, i: number) => number): number =>
    clients.reduce((a, c, i) => a + f(c, i), 0);
  return {
    seconds,
    cpu: after.cpu - cpu0,
    pssKiB: after.pssKiB,
    processes: after.processes,
    delivered: clients.map((c, i) => c.bytes - before[i]!.bytes),
    messages: sum((c, i) => c.messages - before[i]!.messages),
    gaps: sum((c, i) => c.gaps - before[i]!.gaps),
    skipped: sum((c, i) => c.skipped - before[i]!.skipped),
  };
}

async function scenario(
  relay: Relay,
  mode: 'flood' | 'chatty' | 'paced',
  count: number,
  withStalled: boolean,
  rate = CHATTY_RATE,
): Promise<Row> {
  return withRelay(relay, { mode, rate }, async (started) => {
    const clients: Client[] = [];
    try {
      const pid = started.child.pid!;
      const idle = treeStats(pid);
      const stalled = withStalled
        ? await openClient(started.url(0, false), started.protocols, { stalled: true })
        : null;
      if (stalled) clients.push(stalled);
      const readers = await openClients(count, () => openClient(started.url(0, false), started.protocols));
      clients.push(...readers);
      const m = await measure(pid, readers);
      const total = m.delivered.reduce((a, b) => a + b, 0);
      return {
        relay,
        clients: count,
        stalled: withStalled,
        mibPerSec: total / m.seconds / 2 ** 20,
        minClientMibPerSec: Math.min(...m.delivered) / m.seconds / 2 ** 20,
        cpuCores: m.cpu / m.seconds,
        pssPerClientKiB: (m.pssKiB - idle.pssKiB) / (count + (stalled ? 1 : 0)),
        gaps: m.gaps,
        skippedMiB: m.skipped / 2 ** 20,
        messagesPerSec: m.messages / m.seconds,
        cpuMicrosPerKiB: total > 0 ? (m.cpu * 1e6) / (total / 1024) : NaN,
        processes: m.processes,
        note: stalled ? `stalled client got ${(stalled.bytes / 2 ** 20).toFixed(1)} MiB` : '',
      };
    } finally {
      for (const c of clients) c.ws.terminate();
    }
  });
}

/** A source writing 1-16 bytes at a time as fast as it is read: how fast each relay drains it. */
async function drain(relay: Relay): Promise<Row & { writesPerSec: number }> {
  return withRelay(relay, { mode: 'drain' }, async (started, source) => {
    // The C floor speaks only to the raw client (see serial-run.ts); the others get `ws`.
    const client: Client | Viewer =
      relay === 'C floor'
        ? await openFastViewer(started.url(0, false), [])
        : await openClient(started.url(0, false), started.protocols);
    try {
      await delay(QUICK ? 300 : 1000);
      const pid = started.child.pid!;
      const c0 = await source.count();
      const cpu0 = treeStats(pid).cpu;
      const bytes0 = client.bytes;
      const t0 = performance.now();
      await delay(SECONDS * 1000);
      const c1 = await source.count();
      const seconds = (performance.now() - t0) / 1000;
      const cpu = treeStats(pid).cpu - cpu0;
      const delivered = client.bytes - bytes0;
      return {
        relay,
        clients: 1,
        stalled: false,
        mibPerSec: (c1.bytes - c0.bytes) / seconds / 2 ** 20,
        minClientMibPerSec: delivered / seconds / 2 ** 20,
        cpuCores: cpu / seconds,
        pssPerClientKiB: NaN,
        gaps: client.gaps,
        skippedMiB: 0,
        messagesPerSec: client.messages / seconds,
        cpuMicrosPerKiB: (cpu * 1e6) / (delivered / 1024),
        processes: 1,
        note: '',
        writesPerSec: (c1.writes - c0.writes) / seconds,
      };
    } finally {
      if ('ws' in client) client.ws.terminate();
      else client.close();
    }
  });
}

/**
 * Keystroke echo: `typists` clients each on a console of its own (vwc: a VM each; websockify: a
 * connection each), back-to-back round trips; `viewers` more clients watch typist 0's console
 * (vwc only) and time the same echoes.
 */
async function echo(relay: Relay, typists: number, viewers: number): Promise<EchoRow> {
  return withRelay(relay, { mode: 'echo', vms: typists }, async (started) => {
    const clients = await openClients(typists, (i) => openClient(started.url(i, true), started.protocols));
    const watchers = await openClients(viewers, () => openClient(started.url(0, false), started.protocols));
    try {
      await delay(QUICK ? 200 : 500);
      let lastSent = 0;
      const seen: number[] = [];
      for (const w of watchers) w.onBinary = (_data, at) => seen.push(at - lastSent);
      const pid = started.child.pid!;
      const cpu0 = treeStats(pid).cpu;
      const samples = (
        await Promise.all(
          clients.map((c, i) =>
            type(c, SECONDS * 1000, (at) => {
              if (i === 0) lastSent = at;
            }),
          ),
        )
      ).flat();
      const cpu = treeStats(pid).cpu - cpu0;
      samples.sort((a, b) => a - b);
      seen.sort((a, b) => a - b);
      return {
        relay,
        typists,
        viewers,
        roundTrips: samples.length,
        p50: percentile(samples, 50),
        p99: percentile(samples, 99),
        viewerP50: percentile(seen, 50),
        viewerP99: percentile(seen, 99),
        cpuMicrosPerRoundTrip: (cpu * 1e6) / samples.length,
      };
    } finally {
      for (const c of [...clients, ...watchers]) c.ws.terminate();
    }
  });
}

/** Viewers of one console whose guest prints `FANOUT_RATE` B/s in `size`-byte writes, stamped. */
async function fanout(relay: Relay, count: number, size: number): Promise<FanoutRow> {
  return withRelay(relay, { mode: 'stamped', rate: FANOUT_RATE, size }, async (started) => {
    const latencies: number[] = [];
    const clients = await openClients(count, () => openFastViewer(started.url(0, false), latencies));
    try {
      await delay(QUICK ? 300 : 1000);
      latencies.length = 0;
      const own = process.cpuUsage();
      const m = await measure(started.child.pid!, clients);
      const ownCpu = process.cpuUsage(own);
      latencies.sort((a, b) => a - b);
      return {
        relay,
        clients: count,
        size,
        minClientKiBPerSec: Math.min(...m.delivered) / m.seconds / 1024,
        gaps: m.gaps,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1] ?? NaN,
        corePercent: (100 * m.cpu) / m.seconds,
        clientCorePercent: (ownCpu.user + ownCpu.system) / 1e4 / (m.seconds + (QUICK ? 0.3 : 1)),
        messagesPerSec: m.messages / m.seconds,
      };
    } finally {
      for (const c of clients) c.close();
    }
  });
}

/** Row of medians over rounds (each field its own median). */
function medianRow<T extends object>(rows: T[]): T {
  const out: Record<string, unknown> = { ...(rows[0]! as Record<string, unknown>) };
  for (const key of Object.keys(out)) {
    if (typeof out[key] !== 'number') continue;
    const values = rows.map((r) => (r as Record<string, number>)[key]!).sort((a, b) => a - b);
    out[key] = values[Math.floor(values.length / 2)];
  }
  return out as T;
}

async function main(): Promise<void> {
  const sections: string[] = [];
  if (SECTIONS.has('echo')) {
    const runs: [number, number][] = [
      [1, 0],
      [MANY >= 100 ? 100 : 10, 0],
      [1, MANY >= 100 ? 99 : 9],
    ];
    const rows: EchoRow[] = [];
    for (const [typists, viewers] of runs) {
      const relays: Relay[] = viewers > 0 ? ['vwc'] : ['vwc', 'websockify'];
      const byRelay = new Map<Relay, EchoRow[]>();
      for (let round = 0; round < ROUNDS; round += 1) {
        for (const relay of relays) {
          log(`echo round ${round + 1}: ${relay}, ${typists} typing, ${viewers} watching`);
          byRelay.set(relay, [...(byRelay.get(relay) ?? []), await echo(relay, typists, viewers)]);
        }
      }
      for (const relay of relays) rows.push(medianRow(byRelay.get(relay)!));
    }
    sections.push(`## Keystroke echo: back-to-back round trips, ${SECONDS} s per round, median of ${ROUNDS} rounds

A key goes out, the source echoes it, the next key goes when the echo is back. *typing*: clients
each on a console of their own (vwc: a VM each; websockify: a connection each), all typing at
once; *watching*: viewers of typist 0's console (vwc only: websockify cannot share a console),
timed from the key leaving to the echo reaching them.

${echoTable(rows)}
`);
  }
  if (SECTIONS.has('drain')) {
    const rows: (Row & { writesPerSec: number })[] = [];
    for (const relay of ['vwc', 'websockify', 'C floor'] as const) {
      const rounds: (Row & { writesPerSec: number })[] = [];
      for (let round = 0; round < Math.min(ROUNDS, 3); round += 1) {
        log(`drain round ${round + 1}: ${relay}`);
        rounds.push(await drain(relay));
      }
      rows.push(medianRow(rounds));
    }
    sections.push(`## Chatty source drained: 1-16 byte writes as fast as the relay reads them, one client

The source writes as fast as its socket takes the bytes: the rate is how fast the relay reads
(a relay that stops reading slows the guest down). Median of ${Math.min(ROUNDS, 3)} rounds.

${rateTable(rows)}
`);
  }
  const chatty: Row[] = [];
  const fanoutRows: FanoutRow[] = [];
  if (SECTIONS.has('chatty')) {
    for (const relay of ['vwc', 'vwc-log', 'vwc-2ms', 'vwc-nocoalesce', 'websockify'] as const) {
      log(`chatty: ${relay}`);
      chatty.push(await scenario(relay, 'chatty', 1, false));
    }
    sections.push(`## Chatty source: 1-16 byte writes, ${CHATTY_RATE} per second, one client

${rateTable(chatty)}
`);
  }
  if (SECTIONS.has('fanout')) {
    const rows = fanoutRows;
    const runs: [number, number][] = [...CLIENTS.map((n): [number, number] => [n, 1024]), [MANY, 128]];
    for (const [count, size] of runs) {
      // vwc-log: the same with the serial log on disk (the daemon's default).
      for (const relay of ['vwc', 'vwc-log', 'websockify', 'C floor'] as const) {
        if (skipWebsockify(relay, count) || (relay === 'websockify' && size !== 1024)) continue;
        log(`fanout: ${relay}, ${count} viewers, ${size}-byte writes`);
        rows.push(await fanout(relay, count, size));
      }
    }
    sections.push(`## Fan-out latency: a guest printing 64 KiB/s, watched by 1 to ${MANY} viewers

The source stamps every write with its clock (CLOCK_MONOTONIC); every viewer reads the stamps,
so *latency* is from the guest's write to the viewer's WebSocket message, over every write and
every viewer. ${SECONDS} s measured.

${fanoutTable(rows)}
`);
  }
  const costs = logCosts(chatty, fanoutRows);
  if (costs.length > 0) {
    sections.push(`## Serial log on vs off: what writing every port's log to disk costs

\`vwc-log\` is \`vwc\` with the serial log on (the daemon's default: records gathered in memory,
one writev per flushMs, off the event loop); the rows above, as ratios. The issue's budget for
chatty fan-out CPU with logging on is 1.1× of logging off.

${logCostTable(costs)}
`);
  }
  if (SECTIONS.has('flood')) {
    const flood: Row[] = [];
    for (const count of CLIENTS) {
      for (const withStalled of [false, true]) {
        for (const relay of ['vwc', 'websockify'] as const) {
          if (skipWebsockify(relay, count)) continue;
          log(`flood: ${relay}, ${count} clients${withStalled ? ' + 1 stalled' : ''}`);
          flood.push(await scenario(relay, 'flood', count, withStalled));
        }
      }
    }
    sections.push(`## Flood: one source writing as fast as it can, fanned out

${floodTable(flood)}

- *delivered* sums the bytes of the clients that read (the stalled one excluded).
- *relay CPU* is the relay's process tree over the window (2 cores = the whole machine).
- *PSS per client*: relay memory growth from idle to loaded, divided by the clients.
- *gaps*: with one shared source the mux cannot slow the guest down, so a client that reads
  slower than the source writes is skipped ahead (resync) with a gap notice; websockify has no
  shared source, each client's own upstream is throttled by TCP instead.
${WEBSOCKIFY_MAX < MANY ? `- websockify was run up to ${WEBSOCKIFY_MAX} clients: it forks one process per client (see *processes*); ${MANY} forks were left out to keep the shared machine usable.\n` : ''}`);
  }
  if (SECTIONS.has('paced')) {
    const paced: Row[] = [];
    const pacedRuns: [number, boolean, number][] = CLIENTS.flatMap((n): [number, boolean, number][] => {
      const rate = n <= 1 ? 32 * 2 ** 20 : n <= 100 ? 2 * 2 ** 20 : 2 ** 18;
      return n <= 1
        ? [[n, false, rate]]
        : [
            [n, false, rate],
            [n, true, rate],
          ];
    });
    for (const [count, withStalled, rate] of pacedRuns) {
      for (const relay of ['vwc', 'websockify'] as const) {
        if (skipWebsockify(relay, count)) continue;
        log(`paced ${rate} B/s: ${relay}, ${count} clients${withStalled ? ' + 1 stalled' : ''}`);
        const row = await scenario(relay, 'paced', count, withStalled, rate);
        paced.push({ ...row, note: `${(rate / 2 ** 20).toFixed(2)} MiB/s per client. ${row.note}` });
      }
    }
    sections.push(`## Paced source: a rate every client can keep up with

${floodTable(paced)}

Here nothing may be lost: *gaps* must be 0 for the clients that read, with or without a stalled
client among them.
`);
  }
  const cpus = os.cpus();
  const report = `# Serial benchmark (bench/serial.ts)

Run: ${new Date().toISOString()} on ${os.hostname()}: ${cpus.length} × ${cpus[0]?.model ?? '?'}, Node ${process.version},
websockify ${execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'websockify'], { encoding: 'utf8' })}. Loopback only${QUICK ? '; --quick (short, small: a smoke run, not figures)' : ''}.
Each row: a fresh source, a fresh relay, clients attached, a warm-up, then the window measured.
Load average (1 min) at start: ${os.loadavg()[0]!.toFixed(2)}; figures swing when other work shares the two cores.

Relays: \`vwc\` is the real ConsoleHub/SerialMux with its defaults (coalesceMs 5, clientQueueBytes
256 KiB, slowClientPolicy resync) reading the source once and fanning out; \`vwc-2ms\` and
\`vwc-nocoalesce\` the same with coalesceMs 2 and 0; \`websockify\` is Debian's websockify
(\`--unix-target\`), which opens one upstream connection per client (and forks a process per
client), so every client gets its own copy of the source. \`C floor\` (drain and fan-out only) is
\`bench/floor/fanout.c\`: one C process reading the source once and sending every read at once to
every viewer as one frame (one writev each, no coalescing, history or queue), the least any
relay can cost for "one read, N sends" on this machine. The clients (Node \`ws\`, one process,
the bench itself; raw-frame readers for the fan-out viewers and for the C floor) count bytes,
messages and gaps.

${sections.join('\n')}`;
  if (!QUICK) writeFileSync(path.join(HERE, 'results', 'serial.md'), report);
  process.stdout.write(report);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
