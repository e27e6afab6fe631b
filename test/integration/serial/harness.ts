// Integration harness for the serial consoles: a small HTTP server whose WebSocket route hands
// sockets to the real ConsoleHub (no auth: that is the HTTP layer's job), a registry fed from
// TestDomains, and a WebSocket console client that records bytes and control messages.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import WebSocket, { WebSocketServer } from 'ws';
import {
  createConsoleHub,
  type ConsoleHubHandle,
  type SerialLogStore,
  type SerialOptions,
} from '../../../src/bridge/index.js';
import type { ServerMessage } from '../../../src/bridge/serial/index.js';
import type { Role } from '../../../src/bridge/types.js';
import type { DomainState, SerialSource, Vm, VmRegistry } from '../../../src/discovery/types.js';
import type { SerialKind, TestDomain } from '../../../harness/libvirt/domains.js';
import { virsh } from '../../../harness/libvirt/virsh.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { FakeRegistry, makeVm, silentLogger, stubVnc } from '../../unit/serial/fakes.js';

export class SerialServer {
  readonly registry = new FakeRegistry();
  readonly hub: ConsoleHubHandle;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  /**
   * The server listens on a UNIX socket: its kernel buffers are a few hundred KiB, where
   * loopback TCP would absorb megabytes before a client that does not read is noticed.
   */
  private readonly dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-serial-'));
  private readonly socketPath = path.join(this.dir, 'http.sock');

  private constructor(
    options: Partial<SerialOptions>,
    registry?: VmRegistry,
    serialLogStore?: SerialLogStore,
  ) {
    this.hub = createConsoleHub({
      registry: registry ?? this.registry,
      logger: silentLogger,
      serial: options,
      vnc: stubVnc(),
      ...(serialLogStore ? { serialLogStore } : {}),
    });
    this.server = http.createServer();
    this.wss = new WebSocketServer({
      server: this.server,
      maxPayload: 1024 * 1024,
    });
    this.wss.on('connection', (ws, req) => {
      const url = new URL(req.url ?? '/', 'http://x');
      const [, , vm = '', index = '0'] = url.pathname.split('/').slice(1);
      const from = url.searchParams.get('from');
      const last = url.searchParams.get('last');
      this.hub.attachSerial(
        ws,
        req.socket,
        decodeURIComponent(vm),
        Number(index),
        {
          user: url.searchParams.get('user') ?? 'tester',
          role: (url.searchParams.get('role') ?? 'operator') as Role,
          clientAddress: req.socket.remoteAddress ?? '',
        },
        {
          ...(from === null ? {} : { from: Number(from) }),
          ...(last === null ? {} : { last: Number(last) }),
        },
      );
    });
  }

  /** With `registry` (e.g. real discovery) the hub follows it instead of the fake one. */
  static async start(
    options: Partial<SerialOptions> = {},
    registry?: VmRegistry,
    serialLogStore?: SerialLogStore,
  ): Promise<SerialServer> {
    const s = new SerialServer(options, registry, serialLogStore);
    s.hub.start();
    await new Promise<void>((resolve) => s.server.listen(s.socketPath, resolve));
    return s;
  }

  url(vm: string, index: number, query: Record<string, string | number> = {}): string {
    const q = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)]));
    return `ws+unix://${this.socketPath}:/ws/serial/${encodeURIComponent(vm)}/${index}?${q.toString()}`;
  }

  /** Tells the hub what discovery would: the domain's state, id and serial sources now. */
  async publish(domain: TestDomain, kinds: readonly SerialKind[], state: DomainState): Promise<Vm> {
    const running = state === 'running';
    const id = running ? Number((await virsh('domid', domain.name)).trim()) : null;
    const sources = await Promise.all(
      kinds.map(async (kind, i): Promise<SerialSource> => {
        if (kind === 'unix') return { kind: 'unix', path: domain.serialPaths[i]!, mode: 'bind' };
        if (kind === 'tcp' || kind === 'telnet') {
          const protocol = kind === 'telnet' ? 'telnet' : 'raw';
          return { kind: 'tcp', host: '127.0.0.1', port: domain.tcpPorts[i]!, mode: 'bind', protocol };
        }
        return { kind: 'pty', path: running ? await domain.ptyPath(i) : null };
      }),
    );
    const vm = makeVm(domain.name, state, id, sources);
    this.registry.set(vm);
    return vm;
  }

  async close(): Promise<void> {
    await this.hub.stop('test over');
    this.wss.close();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}

type Probe<T> = T | undefined | null | false;

/**
 * Waits until `check` (sync or async) yields a value (not undefined/null/false), polling; throws
 * `what` at the deadline. Async checks are awaited: a pending promise is not an answer.
 */
export async function until<T>(
  what: string | (() => string),
  check: () => Probe<T> | Promise<Probe<T>>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Presses Enter until the shell on `tty` answers with a prompt (the guest may still be booting). */
export async function prompt(client: ConsoleClient, tty: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const since = client.text.length;
    client.type('\r');
    try {
      await client.waitFor(promptFor(tty), 2_000, since);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
}

/** A browser-like serial client: counts offsets the way the page does, optionally answers ESC[6n. */
export class ConsoleClient {
  readonly messages: ServerMessage[] = [];
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  offset = 0;
  closed: { code: number; reason: string } | null = null;
  answered = 0;
  private tail = Buffer.alloc(0);
  /** Offset where history replay ends and live output begins (hello.history.end). */
  private liveFrom = Number.MAX_SAFE_INTEGER;

  private constructor(
    readonly ws: WebSocket,
    /** Answer `ESC[6n` (cursor position query) like xterm.js does. */
    private readonly answerQueries: boolean,
  ) {
    ws.on('message', (data, isBinary) => {
      const buf = data as Buffer;
      if (isBinary) {
        const at = this.offset;
        this.chunks.push(buf);
        this.bytes += buf.length;
        this.offset += buf.length;
        // Like a terminal that replays history without answering old queries: only live ones.
        // A query may be split across messages: look at the end of the previous one too.
        const seen = Buffer.concat([this.tail, buf]);
        this.tail = Buffer.from(seen.subarray(Math.max(0, seen.length - 3)));
        if (this.answerQueries && at >= this.liveFrom && seen.includes('\x1b[6n')) {
          this.answered += 1;
          ws.send(Buffer.from(`\x1b[24;${this.cursorColumn()}R`));
        }
        return;
      }
      const message = JSON.parse(buf.toString()) as ServerMessage;
      this.messages.push(message);
      if (message.type === 'hello') {
        this.offset = message.offset;
        this.liveFrom = message.history.end;
      }
      if (message.type === 'gap') this.offset = message.to;
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
  }

  static open(url: string, answerQueries = false, headers?: Record<string, string>): Promise<ConsoleClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, ...(headers ? { headers } : {}) });
      const client = new ConsoleClient(ws, answerQueries);
      ws.once('open', () => {
        resolve(client);
      });
      ws.once('error', reject);
    });
  }

  /** The column the cursor is in, as a terminal would report it (escape sequences take none). */
  private cursorColumn(): number {
    const text = this.text;
    const line = text.slice(Math.max(text.lastIndexOf('\r'), text.lastIndexOf('\n')) + 1);
    // eslint-disable-next-line no-control-regex -- stripping terminal escape sequences
    return line.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length + 1;
  }

  /** Everything received as latin1 text (markers included). */
  get text(): string {
    if (this.chunks.length > 1) this.chunks.splice(0, this.chunks.length, Buffer.concat(this.chunks));
    return (this.chunks[0] ?? Buffer.alloc(0)).toString('latin1');
  }

  get receivedBytes(): number {
    return this.bytes;
  }

  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }

  /** Who holds the write lock as this client was last told: the newest `lock` message, else the hello. */
  lockHolder(): string | undefined {
    const told = this.messages.filter((m) => m.type === 'lock' || m.type === 'hello').at(-1);
    return told?.type === 'lock' ? told.holder?.user : told?.type === 'hello' ? told.lock?.user : undefined;
  }

  type(text: string): void {
    this.ws.send(Buffer.from(text, 'latin1'));
  }

  control(type: 'take-lock' | 'release-lock'): void {
    this.ws.send(JSON.stringify({ type }));
  }

  waitFor(pattern: string | RegExp, timeoutMs = 30_000, since = 0): Promise<string> {
    return until(
      () => `${String(pattern)} in console; got ${JSON.stringify(this.text.slice(-300))}`,
      () => {
        const text = this.text.slice(since);
        if (typeof pattern === 'string') return text.includes(pattern) ? pattern : undefined;
        return pattern.exec(text)?.[0];
      },
      timeoutMs,
    );
  }

  close(): void {
    this.ws.close();
  }
}
