// One connection to a VM's VNC server, raw RFB or QEMU's websocket listener, detected: a raw
// RFB server greets (`RFB 003.00x\n`) as soon as it accepts; a websocket listener says nothing
// until it gets an HTTP upgrade. So: connect, and if nothing arrives within `detectMs`, speak
// WebSocket to it instead.
//
// The raw connection is the relay core's (src/bridge/relay/upstream.ts).
import { WebSocket } from 'ws';
import { VwcError } from '../../errors/index.js';
import type { VncTarget } from '../../discovery/types.js';
import {
  describeTarget,
  openRawUpstream,
  targetOptions,
  type SocketFactory,
  type Upstream,
  type UpstreamEvents,
} from '../relay/index.js';

export type { SocketFactory, Upstream, UpstreamEvents };

export interface UpstreamOptions {
  readonly target: VncTarget;
  readonly connect: SocketFactory;
  readonly detectMs: number;
  readonly maxFrameBytes: number;
  /** Bytes queued towards a websocket upstream before write() says wait. */
  readonly highWaterMark: number;
}

function upstreamError(target: VncTarget, what: string, cause?: unknown): VwcError {
  return new VwcError('VWC_ERR_VNC_UPSTREAM', `VNC server at ${describeTarget(target)}: ${what}`, { cause });
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
    const raw = openRawUpstream(
      {
        target: options.target,
        connect: options.connect,
        error: (what, cause) => upstreamError(options.target, what, cause),
        onFirstData: () => {
          greeted = true;
          clearTimeout(timer);
        },
        onEnd: () => {
          clearTimeout(timer);
        },
      },
      events,
    );
    if (detect) {
      // Silence after connecting means a websocket listener waiting for our HTTP upgrade.
      raw.socket.once('connect', () => {
        timer = setTimeout(() => {
          if (greeted || closed) return;
          raw.detach();
          raw.socket.destroy();
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
