// The moving parts of bench/serial.ts: the source (bench/serial-source.py), the relays
// (bench/serial-daemon.ts with the real ConsoleHub, or Debian's websockify) and the clients
// (Node `ws`, in the bench's own process), with what each scenario measures.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { freePort } from '../harness/ports.js';
import { descendants, treeCpu, treePssKiB } from './proc.js';
import { FrameReader, connectFastReader } from './vnc-wsclient.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');

export type Relay = 'vwc' | 'vwc-log' | 'vwc-2ms' | 'vwc-nocoalesce' | 'websockify' | 'C floor';
export type SourceMode = 'flood' | 'chatty' | 'paced' | 'stamped' | 'drain' | 'echo';

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** CPU seconds (user + system, reaped children included) and PSS KiB of a process tree. */
export function treeStats(root: number): { cpu: number; pssKiB: number; processes: number } {
  return { cpu: treeCpu([root]), pssKiB: treePssKiB([root]), processes: 1 + descendants(root).length };
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// -- processes

export function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => {
      reject(new Error(`${what}: not ready in 30 s; output ${buffer}`));
    }, 30_000);
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const m = pattern.exec(buffer);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(m);
      }
    };
    child.stdout?.on('data', onData);
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

export async function stop(child: ChildProcess): Promise<void> {
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

export interface Source {
  readonly path: string;
  readonly child: ChildProcess;
  /** `drain` only: writes and bytes put out so far, over every connection. */
  count(): Promise<{ writes: number; bytes: number }>;
}

export interface Started {
  /** URL of console `vm` (bench<i>); `operator` asks for a role that may type. */
  url(vm: number, operator: boolean): string;
  readonly protocols: string[];
  readonly child: ChildProcess;
}

let floorBinary: string | null = null;

/** bench/floor/fanout.c, built with `cc` once per bench run. */
function fanoutFloor(): string {
  if (floorBinary) return floorBinary;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-floor-'));
  const binary = path.join(dir, 'fanout');
  execFileSync('cc', ['-O2', '-o', binary, path.join(HERE, 'floor/fanout.c')]);
  process.once('exit', () => {
    rmSync(dir, { recursive: true, force: true });
  });
  floorBinary = binary;
  return binary;
}

async function startRelay(relay: Relay, sourcePath: string, vms: number): Promise<Started> {
  if (relay === 'C floor') {
    // It answers any upgrade with a fixed Sec-WebSocket-Accept: only the raw clients
    // (openFastViewer, whose key is fixed) can talk to it, not `ws`.
    const child = spawn(fanoutFloor(), [sourcePath, String(await freePort())], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const m = await waitForLine(child, /ready (\d+)/, 'fan-out floor');
    return { url: () => `ws://127.0.0.1:${m[1]}/`, protocols: [], child };
  }
  if (relay === 'websockify') {
    const port = await freePort();
    const child = spawn('websockify', [`127.0.0.1:${port}`, `--unix-target=${sourcePath}`], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitForPort(port);
    return { url: () => `ws://127.0.0.1:${port}/`, protocols: ['binary'], child };
  }
  const coalesce = relay === 'vwc' || relay === 'vwc-log' ? '5' : relay === 'vwc-2ms' ? '2' : '0';
  const child = spawn(
    process.execPath,
    [
      // Extra node flags for the measured daemon, e.g. VWC_BENCH_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof'.
      ...(process.env.VWC_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      '--import',
      'tsx',
      path.join(HERE, 'serial-daemon.ts'),
      sourcePath,
      coalesce,
      String(vms),
      relay === 'vwc-log' ? 'log' : '',
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const m = await waitForLine(child, /ready (\d+)/, 'serial-daemon');
  return {
    url: (vm, operator) => `ws://127.0.0.1:${m[1]}/bench${vm}${operator ? '?role=operator' : ''}`,
    protocols: [],
    child,
  };
}

/** Runs `body` with a fresh source and a fresh relay in front of it; stops both after. */
export async function withRelay<T>(
  relay: Relay,
  source: { mode: SourceMode; rate?: number; size?: number; vms?: number },
  body: (started: Started, source: Source) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-'));
  const sourcePath = path.join(dir, 'serial.sock');
  const child = spawn(
    'python3',
    [
      path.join(HERE, 'serial-source.py'),
      sourcePath,
      source.mode,
      String(source.rate ?? 5000),
      String(source.size ?? 1024),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sourceHandle: Source = {
    path: sourcePath,
    child,
    count: async () => {
      const line = waitForLine(child, /count (\d+) (\d+)\n/, 'source count');
      child.kill('SIGUSR1');
      const m = await line;
      // The next count must not match this line again.
      return { writes: Number(m[1]), bytes: Number(m[2]) };
    },
  };
  let started: Started | null = null;
  try {
    await waitForLine(child, /ready/, 'source');
    started = await startRelay(relay, sourcePath, source.vms ?? 1);
    await delay(300);
    return await body(started, sourceHandle);
  } finally {
    if (started) await stop(started.child);
    await stop(child);
    rmSync(dir, { recursive: true, force: true });
  }
}

// -- clients

export interface Client {
  readonly ws: WebSocket;
  bytes: number;
  messages: number;
  gaps: number;
  skipped: number;
  /** Binary messages and when they came (performance.now), for echo timing. */
  onBinary: ((data: Buffer, at: number) => void) | null;
}

const STAMP = Buffer.from('@T');

/**
 * A client that counts what it gets. With `latencies`, it reads the source's `@T<ns>;` stamps
 * and records how long each took to arrive, in ms (CLOCK_MONOTONIC in both processes).
 */
export function openClient(
  url: string,
  protocols: string[],
  options: { stalled?: boolean; latencies?: number[] } = {},
): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const client: Client = { ws, bytes: 0, messages: 0, gaps: 0, skipped: 0, onBinary: null };
    const { latencies } = options;
    /** The end of the previous message, where a stamp may have been cut. */
    let carry: Buffer = Buffer.alloc(0);
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      client.messages += 1;
      if (isBinary) {
        client.bytes += buf.length;
        client.onBinary?.(buf, performance.now());
        if (latencies) carry = readStamps(carry.length ? Buffer.concat([carry, buf]) : buf, latencies);
        return;
      }
      const m = JSON.parse(buf.toString()) as { type: string; from?: number; to?: number };
      if (m.type === 'gap') {
        client.gaps += 1;
        client.skipped += (m.to ?? 0) - (m.from ?? 0);
        carry = Buffer.alloc(0);
      }
    });
    ws.once('open', () => {
      if (options.stalled) ws.pause();
      resolve(client);
    });
    ws.once('error', reject);
  });
}

/** Records the age of every whole stamp in `data`; returns the tail that may hold a cut one. */
export function readStamps(data: Buffer, latencies: number[]): Buffer {
  const now = process.hrtime.bigint();
  let at = data.indexOf(STAMP);
  while (at >= 0) {
    const end = data.indexOf(0x3b, at + 2);
    if (end < 0) return Buffer.from(data.subarray(at));
    latencies.push(Number(now - BigInt(data.toString('latin1', at + 2, end))) / 1e6);
    at = data.indexOf(STAMP, end);
  }
  return data.length > 0 && data[data.length - 1] === 0x40 ? Buffer.from('@') : Buffer.alloc(0);
}

/** A viewer that only counts and reads stamps: bytes, messages, gaps; `close` ends it. */
export interface Viewer {
  bytes: number;
  messages: number;
  gaps: number;
  skipped: number;
  close(): void;
}

/** Fast viewers share one read buffer: each read is handled synchronously, never kept. */
const VIEWER_READS = Buffer.allocUnsafe(256 * 1024);

/**
 * A viewer as cheap as Node allows (the fan-out bench's 1,000 viewers share the machine with the
 * relay, and a `ws` client's per-message cost would be timed as relay latency): raw frames from
 * one shared read buffer, stamps read as they come.
 */
export async function openFastViewer(url: string, latencies: number[]): Promise<Viewer> {
  const { port, pathname, search } = new URL(url);
  const viewer: Viewer = { bytes: 0, messages: 0, gaps: 0, skipped: 0, close: () => undefined };
  let carry: Buffer = Buffer.alloc(0);
  let text = '';
  const reader = new FrameReader((payload, opcode, ends) => {
    if (opcode === 2) {
      viewer.bytes += payload.length;
      carry = readStamps(carry.length ? Buffer.concat([carry, payload]) : payload, latencies);
      if (ends) viewer.messages += 1;
      return;
    }
    text += payload.toString();
    if (!ends) return;
    viewer.messages += 1;
    const m = JSON.parse(text) as { type: string; from?: number; to?: number };
    text = '';
    if (m.type === 'gap') {
      viewer.gaps += 1;
      viewer.skipped += (m.to ?? 0) - (m.from ?? 0);
      carry = Buffer.alloc(0);
    }
  });
  const socket = await connectFastReader(Number(port), pathname + search, reader, VIEWER_READS);
  viewer.close = () => socket.destroy();
  return viewer;
}

export async function openClients<C = Client>(count: number, open: (i: number) => Promise<C>): Promise<C[]> {
  const clients: C[] = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Math.min(50, count - i);
    clients.push(...(await Promise.all(Array.from({ length: batch }, (_, j) => open(i + j)))));
  }
  return clients;
}

/**
 * One typist: a key, then wait for its echo, then the next key, back to back for `ms`; the
 * round trips in ms. `sent` is told when each key leaves (for viewers timing the same echo).
 */
export function type(client: Client, ms: number, sent: (at: number) => void): Promise<number[]> {
  return typeThrough(
    (key) => {
      client.ws.send(key, { binary: true });
    },
    (listener) => {
      client.onBinary = listener;
    },
    ms,
    sent,
  );
}

/**
 * `type` over any transport: keys go out through `write`; `onData` installs the listener for
 * what comes back (null at the end), which passes its receive time when it has one.
 */
export async function typeThrough(
  write: (key: Buffer) => void,
  onData: (listener: ((data: Buffer, at?: number) => void) | null) => void,
  ms: number,
  sent: (at: number) => void = () => undefined,
): Promise<number[]> {
  const samples: number[] = [];
  const end = performance.now() + ms;
  let key = 0;
  while (performance.now() < end) {
    const byte = 0x61 + (key++ % 26);
    const t0 = performance.now();
    // One timer per key, cleared on the echo: thousands of pending ones would load the client.
    let timer: NodeJS.Timeout | undefined;
    const echoed = new Promise<number>((resolve) => {
      timer = setTimeout(resolve, 2000, NaN);
      onData((data, at) => {
        if (data.includes(byte)) resolve(at ?? performance.now());
      });
    });
    sent(t0);
    write(Buffer.of(byte));
    const at = await echoed;
    clearTimeout(timer);
    if (Number.isNaN(at)) throw new Error('no echo in 2 s');
    samples.push(at - t0);
  }
  onData(null);
  return samples;
}
