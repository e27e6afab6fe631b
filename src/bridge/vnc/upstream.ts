// One connection to a VM's VNC server, raw RFB or QEMU's websocket listener, detected: a raw
// RFB server greets (`RFB 003.00x\n`) as soon as it accepts; a websocket listener says nothing
// until it gets an HTTP upgrade. So: connect, and if nothing arrives within `detectMs`, speak
// WebSocket to it instead.
//
// Raw reads land in one reused buffer with room for the browser frame header in front
// (read-buffer.ts): large reads, no copies.
import net from 'node:net';
import { WebSocket } from 'ws';
import { VwcError } from '../../errors/index.js';
import type { VncTarget } from '../../discovery/types.js';
import { FRAME_HEADROOM } from '../relay/index.js';
import { ReadBuffer } from './read-buffer.js';

/** Opens a stream socket; `net.connect` in production, injectable for tests. */
export type SocketFactory = (options: net.NetConnectOpts) => net.Socket;

export interface UpstreamEvents {
  /**
   * Server bytes, in order. From a raw upstream `chunk` is a view of its read buffer, which the
   * next read overwrites: write it on before returning, or pause() until it is written.
   * `headroom`: bytes in front of `chunk`, in its memory, free for a frame header (0: none).
   */
  data(chunk: Buffer, headroom: number): void;
  /** The write buffer emptied after write() returned false. */
  drain(): void;
  /** The connection ended (error null: the server closed it). Called once. */
  end(error: VwcError | null): void;
}

export interface Upstream {
  readonly kind: 'raw' | 'websocket';
  /** Writes in order; false when the caller should wait for `drain`. */
  write(chunks: readonly Buffer[]): boolean;
  pause(): void;
  resume(): void;
  close(): void;
}

export interface UpstreamOptions {
  readonly target: VncTarget;
  readonly connect: SocketFactory;
  readonly detectMs: number;
  readonly maxFrameBytes: number;
  /** Bytes queued towards a websocket upstream before write() says wait. */
  readonly highWaterMark: number;
}

function targetOptions(target: VncTarget): net.NetConnectOpts {
  return target.transport === 'unix' ? { path: target.path } : { host: target.host, port: target.port };
}

function describe(target: VncTarget): string {
  return target.transport === 'unix' ? target.path : `${target.host}:${target.port}`;
}

function upstreamError(target: VncTarget, what: string, cause?: unknown): VwcError {
  return new VwcError('VWC_ERR_VNC_UPSTREAM', `VNC server at ${describe(target)}: ${what}`, { cause });
}

/**
 * Connects and detects the upstream kind; `events.data` sees the raw greeting as usual. If the
 * WebSocket upgrade fails before opening (a raw server that was only slow to greet), it falls
 * back to raw without detection.
 */
export function openUpstream(options: UpstreamOptions, events: UpstreamEvents): Upstream {
  let closed = false;

  const openRaw = (detect: boolean): Upstream => {
    let greeted = false;
    let timer: NodeJS.Timeout | undefined;
    const reads = new ReadBuffer();
    const socket = options.connect({
      ...targetOptions(options.target),
      onread: {
        buffer: () => reads.next(),
        callback: (nread: number) => {
          if (!greeted) {
            greeted = true;
            clearTimeout(timer);
          }
          events.data(reads.take(nread), FRAME_HEADROOM);
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    const raw = rawUpstream(socket, options.target, events, () => {
      clearTimeout(timer);
    });
    if (detect) {
      // Silence after connecting means a websocket listener waiting for our HTTP upgrade.
      socket.once('connect', () => {
        timer = setTimeout(() => {
          if (greeted || closed) return;
          raw.detach();
          socket.destroy();
          current = websocketUpstream(options, events, () => {
            if (!closed) current = openRaw(false);
          });
        }, options.detectMs);
      });
    }
    return raw;
  };

  let current = openRaw(true);
  return {
    get kind() {
      return current.kind;
    },
    write: (chunks) => current.write(chunks),
    pause: () => {
      current.pause();
    },
    resume: () => {
      current.resume();
    },
    close: () => {
      closed = true;
      current.close();
    },
  };
}

function rawUpstream(
  socket: net.Socket,
  target: VncTarget,
  events: UpstreamEvents,
  onEnd: () => void,
): Upstream & { detach(): void } {
  let ended = false;
  const finish = (error: VwcError | null): void => {
    if (ended) return;
    ended = true;
    onEnd();
    socket.destroy();
    events.end(error);
  };
  socket.on('drain', () => {
    events.drain();
  });
  socket.on('error', (error) => {
    finish(upstreamError(target, error.message, error));
  });
  socket.on('close', () => {
    finish(null);
  });
  return {
    kind: 'raw',
    write(chunks) {
      if (chunks.length === 1) return socket.write(chunks[0]!);
      socket.cork();
      for (const chunk of chunks) socket.write(chunk);
      socket.uncork();
      return !socket.writableNeedDrain;
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => {
      ended = true;
      socket.destroy();
    },
    detach: () => {
      ended = true;
    },
  };
}

function websocketUpstream(
  options: UpstreamOptions,
  events: UpstreamEvents,
  upgradeFailed: () => void,
): Upstream {
  const { target } = options;
  const ws = new WebSocket('ws://vnc/', ['binary'], {
    createConnection: () => options.connect(targetOptions(target)),
    perMessageDeflate: false,
    maxPayload: options.maxFrameBytes,
    handshakeTimeout: 10_000,
  });
  let ended = false;
  // Browser bytes written before the handshake completes; beyond the high-water mark the
  // caller is told to wait (write() false) and gets `drain` once they are handed to the socket.
  let queued: Buffer[] = [];
  let queuedBytes = 0;
  let drainWhenOpen = false;
  const releaseQueue = (): void => {
    if (!drainWhenOpen) return;
    drainWhenOpen = false;
    events.drain();
  };
  const finish = (error: VwcError | null): void => {
    if (ended) return;
    ended = true;
    ws.terminate();
    events.end(error);
  };
  let opened = false;
  ws.on('open', () => {
    opened = true;
    const pending = queued;
    queued = [];
    queuedBytes = 0;
    if (pending.length > 0) ws.send(Buffer.concat(pending));
    releaseQueue();
  });
  ws.on('message', (data: Buffer) => {
    events.data(data, 0);
  });
  ws.on('error', (error) => {
    if (!opened && !ended) {
      ended = true;
      ws.terminate();
      upgradeFailed();
      // The raw fallback takes writes again (what was queued is dropped with the attempt).
      releaseQueue();
      return;
    }
    finish(upstreamError(target, `websocket: ${error.message}`, error));
  });
  ws.on('close', () => {
    finish(null);
  });
  return {
    kind: 'websocket',
    write(chunks) {
      const data = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      if (ws.readyState !== WebSocket.OPEN) {
        queued.push(data);
        queuedBytes += data.length;
        if (queuedBytes < options.highWaterMark) return true;
        drainWhenOpen = true;
        return false;
      }
      if (ws.bufferedAmount + data.length <= options.highWaterMark) {
        ws.send(data, { binary: true });
        return true;
      }
      ws.send(data, { binary: true }, (error) => {
        if (!error) events.drain();
      });
      return false;
    },
    pause: () => {
      ws.pause();
    },
    resume: () => {
      ws.resume();
    },
    close: () => {
      ended = true;
      ws.terminate();
    },
  };
}
