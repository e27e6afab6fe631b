// Test doubles for the serial mux: a controllable upstream and client transports that read
// promptly, stall, or record everything; muxes built on them. (VMs and a registry: harness/.)
import { afterEach, beforeEach, vi } from 'vitest';
import type { SerialSource } from '../../../src/discovery/types.js';
import { makeVm, silentLogger } from '../../../harness/registry.js';
import {
  SerialMux,
  serialOptions,
  type ClientTransport,
  type SerialOptions,
} from '../../../src/bridge/serial/index.js';
import type { ConsoleSession } from '../../../src/bridge/types.js';
import type {
  SerialConnector,
  SerialUpstream,
  UpstreamHandlers,
} from '../../../src/bridge/upstream/index.js';
import type { ServerMessage } from '../../../src/bridge/serial/protocol.js';
import type { OutputChunk } from '../../../src/bridge/serial/output.js';

export { FakeRegistry, makeVm, silentLogger, stubVnc } from '../../../harness/registry.js';

export class FakeUpstream implements SerialUpstream {
  readonly description = 'fake';
  readonly written: Buffer[] = [];
  accept = true;
  closed = false;
  paused = false;
  holdBytes = 256;

  constructor(readonly handlers: UpstreamHandlers) {}

  write(data: Buffer): boolean {
    this.written.push(Buffer.from(data));
    return this.accept;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handlers.closed(null);
  }
  emit(text: string | Buffer): void {
    this.handlers.data(typeof text === 'string' ? Buffer.from(text, 'latin1') : text);
  }
  get input(): string {
    return Buffer.concat(this.written).toString('latin1');
  }
}

/** A connector that hands out FakeUpstreams; `latest` is the current one. */
export class FakeConnector {
  readonly upstreams: FakeUpstream[] = [];
  readonly sources: SerialSource[] = [];
  fail = false;

  readonly connect: SerialConnector = (source, handlers) => {
    this.sources.push(source);
    if (this.fail) return Promise.reject(new Error('not there yet'));
    const upstream = new FakeUpstream(handlers);
    this.upstreams.push(upstream);
    return Promise.resolve(upstream);
  };

  get latest(): FakeUpstream {
    const upstream = this.upstreams.at(-1);
    if (!upstream) throw new Error('no upstream connected');
    return upstream;
  }
}

/**
 * A client transport. `mode` `prompt`: every send is written at once; `stalled`: nothing is
 * written until `release()` (a client that does not read).
 */
export class FakeClient implements ClientTransport {
  readonly frames: Buffer[] = [];
  readonly messages: ServerMessage[] = [];
  /** Binary and text in arrival order. */
  readonly log: (Buffer | ServerMessage)[] = [];
  private readonly waiting: (() => void)[] = [];
  closedWith: { code: number; reason: string } | null = null;
  paused = false;

  constructor(public mode: 'prompt' | 'stalled' = 'prompt') {}

  /** Bytes (binary and text) handed to this transport so far. */
  handedBytes = 0;

  sendBinary(chunk: OutputChunk, done: () => void): void {
    // A copy: the chunk's memory is the mux's to reuse once `done` ran.
    const data = Buffer.from(chunk.data);
    this.frames.push(data);
    this.log.push(data);
    this.handed(data.length, done);
  }
  sendText(text: string, done: () => void): void {
    const message = JSON.parse(text) as ServerMessage;
    this.messages.push(message);
    this.log.push(message);
    this.handed(Buffer.byteLength(text), done);
  }
  private handed(bytes: number, done: () => void): void {
    this.handedBytes += bytes;
    if (this.mode === 'prompt') done();
    else this.waiting.push(done);
  }
  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }
  pauseInput(): void {
    this.paused = true;
  }
  resumeInput(): void {
    this.paused = false;
  }

  /** Writes out everything held, and reads promptly from now on. */
  release(): void {
    this.mode = 'prompt';
    for (const done of this.waiting.splice(0)) done();
  }

  get pendingDone(): number {
    return this.waiting.length;
  }

  /** Console bytes received, markers excluded (each marker is the binary frame before its `gap`). */
  consoleBytes(): Buffer {
    const parts: Buffer[] = [];
    for (const entry of this.log) {
      if (Buffer.isBuffer(entry)) parts.push(entry);
      else if (entry.type === 'gap' && entry.marker > 0) parts.pop();
    }
    return Buffer.concat(parts);
  }

  /** The offset a client reaches by counting every binary byte and obeying `gap` (as a browser does). */
  countedOffset(): number {
    let offset = this.of('hello')[0]?.offset ?? 0;
    for (const entry of this.log) {
      if (Buffer.isBuffer(entry)) offset += entry.length;
      else if (entry.type === 'gap') offset = entry.to;
    }
    return offset;
  }

  text(): string {
    return Buffer.concat(this.frames).toString('latin1');
  }

  of<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.messages.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

/** Lets pending promise callbacks (connector results) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await Promise.resolve();
}

export const alice: ConsoleSession = { user: 'alice', role: 'operator', clientAddress: '127.0.0.1' };
export const bob: ConsoleSession = { user: 'bob', role: 'operator', clientAddress: '127.0.0.1' };
export const eve: ConsoleSession = { user: 'eve', role: 'viewer', clientAddress: '127.0.0.1' };

/** A mux for serial port 0 of `vm1` reading through `connector`. */
export function newMux(connector: FakeConnector, options: Partial<SerialOptions> = {}): SerialMux {
  return new SerialMux({
    vmName: 'vm1',
    index: 0,
    options: serialOptions(options),
    connector: connector.connect,
    logger: silentLogger,
  });
}

/** A mux whose VM is running and whose upstream is open; output is not coalesced unless asked. */
export async function runningMux(
  options: Partial<SerialOptions> = {},
): Promise<{ mux: SerialMux; connector: FakeConnector }> {
  const connector = new FakeConnector();
  const mux = newMux(connector, { coalesceMs: 0, ...options });
  mux.update(makeVm('vm1', 'running', 1));
  await settle();
  return { mux, connector };
}

/**
 * In the calling describe block: timeouts, immediates and performance.now are fake (the
 * coalescing window, presence and lock timers).
 */
export function useFakeTimeouts(): void {
  beforeEach(() => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'],
    });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}
