// The upstream side of a relay: one raw stream connection (UNIX or TCP) to a VM's display
// server, its reads landing in one reused buffer with room for the browser frame header in
// front (read-buffer.ts): large reads, no copies. The VNC bridge adds websocket-listener
// detection on top (vnc/upstream.ts); SPICE uses it as is.
import net from 'node:net';
import type { VwcError } from '../../errors/index.js';
import type { VncTarget } from '../../discovery/types.js';
import { FRAME_HEADROOM } from './frames.js';
import { ReadBuffer } from './read-buffer.js';

/** Opens a stream socket; `net.connect` in production, injectable for tests. */
export type SocketFactory = (options: net.NetConnectOpts) => net.Socket;

/** A display server's address (VNC or SPICE): a UNIX socket or TCP (wildcards already mapped). */
export type StreamTarget = VncTarget;

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

export interface RawUpstream extends Upstream {
  readonly socket: net.Socket;
  /** Stops reporting: the socket is being replaced (VNC's websocket detection). */
  detach(): void;
}

export interface RawUpstreamOptions {
  readonly target: StreamTarget;
  readonly connect: SocketFactory;
  /** The error for a failed connection, naming the server. */
  readonly error: (what: string, cause: unknown) => VwcError;
  /** Called before the first chunk is reported. */
  readonly onFirstData?: () => void;
  /** Called when the connection ends, before `events.end`. */
  readonly onEnd?: () => void;
}

export function targetOptions(target: StreamTarget): net.NetConnectOpts {
  return target.transport === 'unix' ? { path: target.path } : { host: target.host, port: target.port };
}

export function describeTarget(target: StreamTarget): string {
  return target.transport === 'unix' ? target.path : `${target.host}:${target.port}`;
}

export function openRawUpstream(options: RawUpstreamOptions, events: UpstreamEvents): RawUpstream {
  let first = true;
  let ended = false;
  const reads = new ReadBuffer();
  const socket = options.connect({
    ...targetOptions(options.target),
    onread: {
      buffer: () => reads.next(),
      callback: (nread: number) => {
        if (first) {
          first = false;
          options.onFirstData?.();
        }
        events.data(reads.take(nread), FRAME_HEADROOM);
        return true;
      },
    },
  });
  socket.setNoDelay(true);
  const finish = (error: VwcError | null): void => {
    if (ended) return;
    ended = true;
    options.onEnd?.();
    socket.destroy();
    events.end(error);
  };
  socket.on('drain', () => {
    events.drain();
  });
  socket.on('error', (error) => {
    finish(options.error(error.message, error));
  });
  socket.on('close', () => {
    finish(null);
  });
  return {
    kind: 'raw',
    socket,
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
