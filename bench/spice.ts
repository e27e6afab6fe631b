// SPICE relay bench: `npm run bench:spice -- [--quick] [--mib 1024] [--rounds 9]`; prints a
// markdown table (figures and how they were taken: bench/results/spice.md).
// A SPICE display-channel flood, server → browser, side by side in one run through
// - the daemon (bench/spice-daemon.ts: `virt-webconsole serve` with Basic auth, the upgrade
//   routing, the console hub's SPICE bridge; only discovery is a fixed registry), on its
//   /ws/spice/<domain> path: the bridge reads the channel's link message, applies the channel
//   policy and the session rules, then relays with the relay core VNC uses (src/bridge/relay);
// - websockify (Debian package, `websockify PORT --unix-target=PATH`, a process per connection),
// both in front of the same fake SPICE server on a UNIX socket (bench/spice-upstream.ts). The
// server is a fake because the point is the relay's cost: it speaks the link handshake the
// bridge needs to accept a display channel, then writes the flood as 64 KiB display messages.
// Figures: MiB/s, relay CPU seconds per GiB (/proc utime + stime of the relay's process tree,
// reaped children included), machine CPU seconds per GiB, and round-by-round ratios to
// websockify; one warm-up round, then rounds interleaved across the relays; medians.
// --quick: a smoke run (64 MiB, 2 rounds): it proves the bench runs, its figures are not results.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { freePort } from '../harness/ports.js';
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
  roundRatio,
  websockify,
  type FloodResult,
  type Relay,
} from './relays.js';
import { SERVER_PREAMBLE_BYTES, displayHello } from './spice-wire.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    mib: { type: 'string' },
    rounds: { type: 'string' },
  },
});
const QUICK = args.quick;
const FLOOD = Number(args.mib ?? (QUICK ? 64 : 1024)) * MiB;
const ROUNDS = Number(args.rounds ?? (QUICK ? 2 : 9));

const folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-spice-'));
process.on('exit', () => {
  rmSync(folder, { recursive: true, force: true });
});
const socketPath = path.join(folder, 'spice.sock');

/** The daemon, configured as a user would, with one operator `bench`. */
async function daemon(): Promise<Relay> {
  const port = await freePort();
  const usersFile = path.join(folder, 'users');
  writeFileSync(usersFile, `bench:${bcrypt.hashSync('bench', 4)}:operator\n`, { mode: 0o600 });
  const configFile = path.join(folder, 'config.json');
  writeFileSync(
    configFile,
    JSON.stringify({
      listen: `127.0.0.1:${port}`,
      usersFile,
      stateDir: path.join(folder, 'state'),
      logLevel: 'warn',
    }),
  );
  const child = forkBundled(await bundle('spice-daemon.ts'), [configFile, socketPath]);
  await Promise.race([
    nextMessage(child, 'ready'),
    new Promise((_resolve, reject) =>
      child.once('exit', (code) => {
        reject(new Error(`the daemon exited (${code}) before listening`));
      }),
    ),
  ]);
  return {
    name: 'virt-webconsole',
    pids: () => [child.pid!],
    endpoint: () => ({ port, path: '/ws/spice/bench' }),
    stop: () => child.kill(),
  };
}

const upstream = forkTs('spice-upstream.ts', [socketPath, String(FLOOD)]);
await nextMessage(upstream, 'ready');
const relays: Relay[] = [await daemon(), await websockify({ display: socketPath })];
const HELLO = displayHello();
const AUTH = { authorization: `Basic ${Buffer.from('bench:bench').toString('base64')}` };

const loadStart = loadAverage();
const heading = `# SPICE relay bench — ${new Date().toISOString()}, ${os.cpus().length} CPUs, load ${loadStart}`;
const floods: Map<string, FloodResult[]> = await floodRounds(relays, ROUNDS, (relay) => ({
  floodBytes: FLOOD,
  expectBytes: SERVER_PREAMBLE_BYTES + FLOOD,
  ...relay.endpoint('display'),
  hello: HELLO,
  dial: relay.name === 'websockify' ? {} : { headers: AUTH },
}));
const ratio = (results: FloodResult[], pick: (r: FloodResult) => number): string =>
  roundRatio(floods, 'websockify', results, pick);
const lines = [
  heading,
  '',
  `display-channel flood, server → browser: ${FLOOD / MiB} MiB of 64 KiB display messages from a FAKE SPICE ` +
    'server (bench/spice-upstream.ts: the link handshake, then the flood; the point is the relay cost), ' +
    `${ROUNDS} rounds interleaved after one warm-up round, not pinned (shared cores)` +
    (QUICK ? '; --quick: a smoke run, not results' : ''),
  '',
  '| relay | MiB/s (median) | relay CPU s/GiB (median) | machine CPU s/GiB (median) | × websockify MiB/s | × websockify CPU s/GiB | MiB/s per round | relay CPU s/GiB per round |',
  '|---|---|---|---|---|---|---|---|',
  ...[...floods].map(([name, results]) => {
    const mibps = results.map((r) => r.mibps);
    const cpu = results.map((r) => r.cpuPerGiB);
    return (
      `| ${name} | ${fmt(median(mibps), 0)} | ${fmt(median(cpu))} | ${fmt(median(results.map((r) => r.machinePerGiB)))} | ` +
      `${ratio(results, (r) => r.mibps)} | ${ratio(results, (r) => r.cpuPerGiB)} | ` +
      `${mibps.map((v) => fmt(v, 0)).join(' / ')} | ${cpu.map((v) => fmt(v)).join(' / ')} |`
    );
  }),
  '',
  '× columns: median over rounds of (this relay ÷ websockify in the same round).',
  '',
  `load average at start ${loadStart}, at end ${loadAverage()}`,
  '',
];
process.stdout.write(lines.join('\n'));
for (const relay of relays) relay.stop();
upstream.kill();
process.exit(0);
