// What the relay benches (bench/vnc.ts, bench/spice.ts) share: the relays under test as
// processes (a bundled Node script, websockify), the flood measurement (MiB/s and CPU seconds
// per GiB from /proc) and the report's arithmetic.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { descendants, machineCpu, treeCpu } from './proc.js';
import { freePort } from '../harness/ports.js';
import { FrameReader, clientFrame, connectFastReader, type Dial } from './vnc-wsclient.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const MiB = 1024 * 1024;

/** A relay under test: its processes (for /proc) and where a browser reaches each fake server. */
export interface Relay<Kind extends string = string> {
  readonly name: string;
  /** Takes part in the flood only (the C floor relays relay server → browser and nothing else). */
  readonly floodOnly?: boolean;
  pids(): number[];
  endpoint(kind: Kind): { port: number; path: string };
  stop(): void;
}

const children: ChildProcess[] = [];
process.on('exit', () => {
  for (const child of children) child.kill();
});

/** Kills `child` when the bench exits, however it exits. */
export function owned<T extends ChildProcess>(child: T): T {
  children.push(child);
  return child;
}

/** A TypeScript helper of the bench (the fake servers) in a child process, under tsx. */
export function forkTs(file: string, args: string[]): ChildProcess {
  return owned(fork(path.join(here, file), args, { execArgv: ['--import', 'tsx'], stdio: 'inherit' }));
}

/** The next IPC message of `child` that has `key`. */
export function nextMessage<T>(child: ChildProcess, key: string): Promise<T> {
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

export async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

/**
 * A measured relay runs as plain JavaScript, as the daemon does from dist/ (no tsx loader
 * thread in the measured process): `entry` bundled next to node_modules so its packages resolve.
 */
export async function bundle(entry: string): Promise<string> {
  const outfile = path.join(here, '../node_modules/.cache/vwc-bench', `${path.basename(entry, '.ts')}.mjs`);
  await build({
    entryPoints: [path.join(here, entry)],
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

/**
 * A bundled script in its own process, without this process's execArgv (the bench runs under
 * tsx, whose loader the relay must not get). VWC_BENCH_NODE_ARGS adds node flags for the
 * measured relays (e.g. '--cpu-prof').
 */
export function forkBundled(script: string, args: string[]): ChildProcess {
  return owned(
    fork(script, args, {
      stdio: 'inherit',
      execArgv: process.env.VWC_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
    }),
  );
}

function listening(port: number): boolean {
  try {
    return readFileSync('/proc/net/tcp', 'utf8').includes(
      `:${port.toString(16).toUpperCase()} 00000000:0000 0A`,
    );
  } catch {
    return false;
  }
}

/**
 * websockify (Debian package) in front of each UNIX socket of `targets`, one process per
 * target (`websockify 127.0.0.1:PORT --unix-target=PATH`); with `certs`, wss: only.
 */
export async function websockify<Kind extends string>(
  targets: Record<Kind, string>,
  certs: { cert: string; key: string } | null = null,
): Promise<Relay<Kind>> {
  const ports = {} as Record<Kind, number>;
  const procs: ChildProcess[] = [];
  for (const kind of Object.keys(targets) as Kind[]) {
    ports[kind] = await freePort();
    const tlsArgs = certs ? [`--cert=${certs.cert}`, `--key=${certs.key}`, '--ssl-only'] : [];
    const args = [...tlsArgs, `127.0.0.1:${ports[kind]}`, `--unix-target=${targets[kind]}`];
    procs.push(owned(spawn('websockify', args, { stdio: 'ignore' })));
  }
  for (const kind of Object.keys(targets) as Kind[]) await until(() => listening(ports[kind]), 10_000);
  return {
    name: 'websockify',
    pids: () => procs.map((p) => p.pid!),
    endpoint: (kind) => ({ port: ports[kind], path: '/' }),
    stop: () => {
      for (const p of procs) p.kill();
    },
  };
}

export interface FloodResult {
  readonly mibps: number;
  /** The relay's process tree. */
  readonly cpuPerGiB: number;
  /** The whole machine: relay, fake server, client and kernel threads. */
  readonly machinePerGiB: number;
}

export interface FloodRun {
  /** The server's flood, the bytes MiB/s and per-GiB figures count. */
  readonly floodBytes: number;
  /** Payload bytes the client waits for: the flood and whatever the server sends before it. */
  readonly expectBytes: number;
  readonly port: number;
  readonly path: string;
  /** Sent as one binary frame once upgraded (a protocol's opening, e.g. SPICE's link message). */
  readonly hello?: Buffer;
  readonly dial?: Dial;
}

/**
 * One flood through `relay`: a client that reads into one reused buffer (so it is not the
 * bottleneck) counts payload bytes until `expectBytes`; the relay's CPU is utime + stime of its
 * process tree (reaped children included), the machine's is /proc/stat's busy time.
 */
export async function flood(relay: Relay, run: FloodRun): Promise<FloodResult> {
  const roots = relay.pids();
  const baselineChildren = roots.flatMap(descendants).length;
  const before = treeCpu(roots);
  const machineBefore = machineCpu();
  const start = process.hrtime.bigint();
  let done: (() => void) | null = null;
  let fail: ((error: Error) => void) | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });
  const reader = new FrameReader(() => {
    if (reader.payloadBytes >= run.expectBytes) done?.();
  });
  const socket = await connectFastReader(run.port, run.path, reader, undefined, run.dial);
  if (run.hello) socket.write(clientFrame(run.hello));
  socket.on('close', () => {
    fail?.(new Error(`${relay.name}: closed at ${reader.payloadBytes} of ${run.expectBytes} bytes`));
  });
  const deadline = setTimeout(() => fail?.(new Error(`${relay.name}: flood took over 120 s`)), 120_000);
  await finished.finally(() => {
    clearTimeout(deadline);
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const machine = machineCpu() - machineBefore;
  socket.destroy();
  await until(() => roots.flatMap(descendants).length <= baselineChildren, 5000);
  await new Promise((r) => setTimeout(r, 200)); // let the last /proc tick land
  const cpu = treeCpu(roots) - before;
  const gib = run.floodBytes / 1024 ** 3;
  return { mibps: run.floodBytes / MiB / seconds, cpuPerGiB: cpu / gib, machinePerGiB: machine / gib };
}

/**
 * Floods every relay: one warm-up round (JIT, lazy module loads, first fork), not counted,
 * then `rounds` rounds, each starting with the next relay so that no relay always runs first
 * (after the fake server's idle pause) or last. Results per relay name, in round order.
 */
export async function floodRounds(
  relays: readonly Relay[],
  rounds: number,
  run: (relay: Relay) => FloodRun,
): Promise<Map<string, FloodResult[]>> {
  for (const relay of relays) await flood(relay, run(relay));
  const results = new Map<string, FloodResult[]>(relays.map((r) => [r.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < relays.length; k++) {
      const relay = relays[(round + k) % relays.length]!;
      results.get(relay.name)!.push(await flood(relay, run(relay)));
    }
  }
  return results;
}

export const fmt = (n: number, digits = 2): string => n.toFixed(digits);
export const loadAverage = (): string =>
  readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
export const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/**
 * The median over rounds of (this relay ÷ the baseline in the same round), '–' without a
 * baseline. The machine's speed drifts between rounds (this VM shares its host), so a
 * round-by-round ratio is steadier than the ratio of two medians taken minutes apart.
 */
export function roundRatio(
  floods: ReadonlyMap<string, FloodResult[]>,
  baselineName: string,
  results: FloodResult[],
  pick: (r: FloodResult) => number,
): string {
  const baseline = floods.get(baselineName);
  if (!baseline) return '–';
  return fmt(median(results.map((r, round) => pick(r) / pick(baseline[round]!))));
}
