// A real server on port 0 with a fake registry and a fake hub, for the HTTP layer's tests.
// The fake hub echoes serial input (when the role may type) and records every attach.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable, type Duplex } from 'node:stream';
import pino from 'pino';
import { WebSocket as WebSocketClient, type ClientOptions, type WebSocket } from 'ws';
import { OutputChunk } from '../src/bridge/serial/output.js';
import type {
  Availability,
  ClientTransport,
  SerialClientHandle,
  ConsoleHub,
  ConsoleSession,
  HistoryRead,
  SerialAttachOptions,
} from '../src/bridge/types.js';
import type { DaemonParts } from '../src/app/index.js';
import type { Vm } from '../src/discovery/types.js';
import { FakeRegistry } from './registry.js';
import { VwcError } from '../src/errors/index.js';
import {
  createWebServer,
  setUser,
  UserStore,
  type WebServer,
  type WebServerDeps,
} from '../src/http/index.js';
import type { HttpConfig, PasswordChecker } from '../src/http/index.js';

export function fakeVm(name: string, overrides: Partial<Vm> = {}): Vm {
  return {
    name,
    uuid: null,
    id: 1,
    title: null,
    description: null,
    state: 'running',
    reason: null,
    source: 'libvirt',
    persistent: true,
    vnc: {
      target: { transport: 'unix', path: '/nonexistent/vnc.sock' },
      websocketPort: null,
      passwordSet: false,
    },
    graphics: [
      { type: 'vnc', supported: true },
      { type: 'spice', supported: false },
    ],
    serials: [
      {
        index: 0,
        element: 'serial',
        port: 0,
        targetType: 'isa-serial',
        alias: 'serial0',
        source: { kind: 'pty', path: '/dev/pts/99' },
        logFile: null,
      },
    ],
    ...overrides,
  };
}

/** The serial tests' registry stand-in: `set(vm)` adds or changes, `remove(name)` removes. */
export { FakeRegistry };

export interface Attach {
  readonly kind: 'serial' | 'vnc' | 'spice';
  readonly vm: string;
  readonly index: number | null;
  readonly session: ConsoleSession;
  readonly options: SerialAttachOptions;
}

export class FakeHub implements ConsoleHub {
  readonly attaches: Attach[] = [];
  stopped: string | null = null;
  constructor(private readonly registry: FakeRegistry) {}
  start(): void {
    /* nothing to follow */
  }
  private available(found: boolean): Availability {
    return found ? { ok: true } : { ok: false, error: new VwcError('VWC_ERR_NOT_FOUND', 'no such console') };
  }
  serialAvailable(vmName: string, index: number): Availability {
    return this.available(this.registry.get(vmName)?.serials.some((s) => s.index === index) ?? false);
  }
  vncAvailable(vmName: string): Availability {
    return this.available((this.registry.get(vmName)?.vnc ?? null) !== null);
  }
  attachSerial(
    ws: WebSocket,
    _socket: Duplex,
    vmName: string,
    index: number,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): void {
    this.attaches.push({ kind: 'serial', vm: vmName, index, session, options });
    ws.send(JSON.stringify({ type: 'hello', user: session.user, role: session.role, vm: vmName, index }));
    ws.on('message', (data, isBinary) => {
      // Like the real mux: a viewer's input is dropped.
      if (isBinary && session.role === 'operator') ws.send(data, { binary: true });
    });
  }
  /** Like attachSerial, for a transport (an SSH channel): hello, then operators' input echoed. */
  attachSerialClient(
    vmName: string,
    index: number,
    transport: ClientTransport,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): SerialClientHandle {
    const availability = this.serialAvailable(vmName, index);
    if (!availability.ok) throw availability.error;
    this.attaches.push({ kind: 'serial', vm: vmName, index, session, options });
    transport.sendText(
      JSON.stringify({ type: 'hello', user: session.user, role: session.role }),
      () => undefined,
    );
    return {
      id: `c${this.attaches.length}`,
      input: (data) => {
        if (session.role === 'operator') transport.sendBinary(new OutputChunk(data, 0), () => undefined);
      },
      control: () => undefined,
      sendBreak: () => 'the fake hub has no serial source',
      detach: () => undefined,
    };
  }
  readSerialHistory(vmName: string, index: number, from: number, max: number): HistoryRead | undefined {
    if (!this.serialAvailable(vmName, index).ok) return undefined;
    const all = Buffer.from(`history of ${vmName}\r\n`);
    const start = Math.min(from, all.length);
    return { start, end: all.length, data: all.subarray(start, start + max), missing: null };
  }
  spiceAvailable(vmName: string): Availability {
    return this.available((this.registry.get(vmName)?.spice ?? null) !== null);
  }
  attachSpice(_ws: WebSocket, _socket: Duplex, vmName: string, session: ConsoleSession): void {
    this.attaches.push({ kind: 'spice', vm: vmName, index: null, session, options: {} });
  }
  attachVnc(ws: WebSocket, _socket: Duplex, vmName: string, session: ConsoleSession): void {
    this.attaches.push({ kind: 'vnc', vm: vmName, index: null, session, options: {} });
    ws.send(Buffer.from('RFB 003.008\n'));
  }
  vncControlAvailable(vmName: string): Availability {
    return this.vncAvailable(vmName);
  }
  /** Like the real control channel's hello, without any lock state. */
  attachVncControl(ws: WebSocket, vmName: string, session: ConsoleSession): void {
    this.attaches.push({ kind: 'vnc', vm: vmName, index: null, session, options: {} });
    ws.send(JSON.stringify({ type: 'hello', user: session.user, role: session.role }));
  }
  async stop(reason: string): Promise<void> {
    this.stopped = reason;
    await Promise.resolve();
  }
}

/** Captures log lines as parsed JSON objects. */
export class LogSink extends Writable {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString().split('\n')) {
      if (line.trim() === '') continue;
      this.raw.push(line);
      this.lines.push(JSON.parse(line) as Record<string, unknown>);
    }
    done();
  }
}

export interface TestUser {
  readonly name: string;
  readonly password: string;
  readonly role: 'viewer' | 'operator';
}

export const USERS: readonly TestUser[] = [
  { name: 'alice', password: 'alice-pw', role: 'operator' },
  { name: 'victor', password: 'victor-pw', role: 'viewer' },
  { name: 'webby', password: 'webby-pw', role: 'operator' },
];

export interface Harness {
  readonly base: string;
  readonly wsBase: string;
  readonly registry: FakeRegistry;
  readonly hub: FakeHub;
  readonly web: WebServer;
  readonly logs: LogSink;
  readonly dir: string;
  /** Advances the clock the rate limiter and tickets see. */
  advance(ms: number): void;
  close(): Promise<void>;
}

export interface HarnessOptions {
  readonly config?: Partial<HttpConfig>;
  readonly tls?: { cert: string; key: string };
  readonly webFiles?: Record<string, string>;
  /** The bcrypt worker the user store checks passwords with (default: its own). */
  readonly passwordChecker?: PasswordChecker;
  /** WebSocket ping interval (default: the server's, 30 s). */
  readonly pingIntervalMs?: number;
  /** The thumbnail part (default none: the route answers 204). */
  readonly thumbnails?: WebServerDeps['thumbnails'];
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}

export const ALICE = basic('alice', 'alice-pw');
export const VICTOR = basic('victor', 'victor-pw');
export const WEBBY = basic('webby', 'webby-pw');

/** The HTTP settings every test server uses: user webby may only see `web-*`. */
export function testHttpConfig(webDir: string, overrides: Partial<HttpConfig> = {}): HttpConfig {
  return {
    tls: null,
    users: { webby: { domains: ['web-*'] } },
    allowedOrigins: [],
    trustedProxies: [],
    ticketTtlSeconds: 30,
    loginRateLimit: { maxFailures: 5, windowSeconds: 300 },
    sessions: { idleMinutes: 30, absoluteHours: 12, maxPerUser: 16 },
    webDir,
    ...overrides,
  };
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-http-'));
  const usersFile = path.join(dir, 'users');
  for (const u of USERS) setUser(usersFile, u.name, u.password, u.role, 10);
  const webDir = path.join(dir, 'web');
  const files = options.webFiles ?? {
    'list.html': '<!doctype html><title>list</title><script src="/assets/list.page.js"></script>',
    'console.html': '<!doctype html><title>console</title>',
    'list.page.js': 'console.log("list")',
  };
  const { mkdirSync } = await import('node:fs');
  mkdirSync(webDir);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(webDir, name), text);

  const registry = new FakeRegistry();
  const hub = new FakeHub(registry);
  const logs = new LogSink();
  const logger = pino(
    { level: 'debug', redact: { paths: ['*.authorization', '*.ticket'], censor: '[redacted]' } },
    logs,
  );
  let clock = Date.now();
  const config = testHttpConfig(webDir, { ...(options.tls ? { tls: options.tls } : {}), ...options.config });
  const web = createWebServer({
    config,
    logger,
    registry,
    hub,
    users: new UserStore(usersFile, 'viewer', options.passwordChecker),
    listen: { kind: 'tcp', host: '127.0.0.1', port: 0 },
    now: () => clock,
    heartbeatMs: 200,
    ...(options.pingIntervalMs === undefined ? {} : { pingIntervalMs: options.pingIntervalMs }),
    ...(options.thumbnails ? { thumbnails: options.thumbnails } : {}),
  });
  const base = await web.listen();
  return {
    base,
    wsBase: base.replace(/^http/, 'ws'),
    registry,
    hub,
    web,
    logs,
    dir,
    advance(ms) {
      clock += ms;
    },
    async close() {
      await web.shutdown('test over', 500);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type UpgradeResult =
  | {
      readonly kind: 'refused';
      readonly status: number;
      readonly body: string;
      readonly headers: Record<string, unknown>;
    }
  | {
      readonly kind: 'open';
      readonly ws: WebSocketClient;
      readonly first: Promise<{ data: Buffer; binary: boolean }>;
    };

/** Opens a WebSocket; a refused upgrade resolves with its HTTP status and body. */
export function tryUpgrade(
  url: string,
  headers: Record<string, string> = {},
  options: ClientOptions = {},
): Promise<UpgradeResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocketClient(url, url.includes('/ws/vnc/') ? ['binary'] : [], { headers, ...options });
    const first = new Promise<{ data: Buffer; binary: boolean }>((res) => {
      ws.once('message', (data, binary) => {
        res({ data: data as Buffer, binary });
      });
    });
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve({ kind: 'refused', status: res.statusCode ?? 0, body, headers: res.headers });
      });
    });
    ws.once('open', () => {
      resolve({ kind: 'open', ws, first });
    });
    ws.once('error', (error) => {
      if (ws.readyState !== WebSocketClient.CLOSED) reject(error);
    });
  });
}

export async function expectRefused(
  result: Promise<UpgradeResult>,
): Promise<{ status: number; code: string }> {
  const r = await result;
  if (r.kind === 'open') {
    r.ws.terminate();
    throw new Error('upgrade was accepted');
  }
  const parsed = JSON.parse(r.body) as { error: { code: string } };
  return { status: r.status, code: parsed.error.code };
}

export async function expectOpen(
  result: Promise<UpgradeResult>,
): Promise<Extract<UpgradeResult, { kind: 'open' }>> {
  const r = await result;
  if (r.kind === 'refused') throw new Error(`upgrade refused: ${r.status} ${r.body}`);
  return r;
}

export function closeOf(ws: WebSocketClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
}

/** The daemon's parts on fakes: a registry with VM `web-1`, a FakeHub; `stopped` records the order of stops. */
export function fakeDaemonParts(): { parts: DaemonParts; hub: () => FakeHub; stopped: string[] } {
  const registry = new FakeRegistry();
  registry.set(fakeVm('web-1'));
  let hub: FakeHub | null = null;
  const stopped: string[] = [];
  return {
    parts: {
      createDiscovery: () => ({
        registry,
        start: () => undefined,
        stop: () => {
          stopped.push('discovery');
        },
      }),
      createHub: () => {
        const created = new FakeHub(registry);
        const stop = created.stop.bind(created);
        created.stop = async (reason) => {
          stopped.push(`hub: ${reason}`);
          await stop(reason);
        };
        hub = created;
        return created;
      },
    },
    hub: () => {
      if (!hub) throw new Error('the hub was not created yet');
      return hub;
    },
    stopped,
  };
}
