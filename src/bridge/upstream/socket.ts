// Plain stream sockets (UNIX or TCP): the upstream of a socket serial chardev, and a connector
// the VNC bridge can share.
import net from 'node:net';
import type { SerialUpstream, StreamTarget, UpstreamHandlers } from './types.js';

/** libvirt's wildcard listen addresses are reached on loopback. */
export function loopbackFor(host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '::1';
  return host;
}

export function describeTarget(target: StreamTarget): string {
  return target.transport === 'unix' ? `unix ${target.path}` : `tcp ${target.host}:${target.port}`;
}

/**
 * A stream socket's sender may queue about 278 writes of any size (the kernel counts each
 * small write as a whole buffer against the sender's 208 KiB, measured: 278 writes of 1, 8 or
 * 16 bytes) while we do not read; QEMU writes a UART's output one byte at a time. So only 256
 * bytes are sure to wait in the kernel without blocking the guest.
 */
const SOCKET_HOLD_BYTES = 256;

/** Size of the one read buffer of a socket read with `onData`. */
const READ_BUFFER = 64 * 1024;

/**
 * Connects; rejects on error or after `timeoutMs`. The socket is returned connected and paused.
 * With `onData`, every read goes to it as a view of one read buffer that the next read reuses
 * (the caller copies what it keeps) instead of 'data' events: no allocation per read, and
 * pause() and resume() stop and start reading in libuv itself (a plain socket keeps reading
 * into its stream buffer while paused), which is what lets the kernel gather a chatty source's
 * writes.
 */
export function connectStream(
  target: StreamTarget,
  timeoutMs = 5000,
  onData?: (chunk: Buffer) => void,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const onread = onData
      ? {
          buffer: Buffer.allocUnsafe(READ_BUFFER),
          callback: (size: number, buffer: Uint8Array): boolean => {
            onData(Buffer.from(buffer.buffer, buffer.byteOffset, size));
            return true;
          },
        }
      : undefined;
    const socket =
      target.transport === 'unix'
        ? net.connect({ path: target.path, ...(onread ? { onread } : {}) })
        : net.connect({ host: loopbackFor(target.host), port: target.port, ...(onread ? { onread } : {}) });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`${describeTarget(target)}: no connection in ${timeoutMs} ms`));
    }, timeoutMs);
    const fail = (error: Error): void => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', fail);
      socket.pause();
      resolve(socket);
    });
  });
}

/**
 * Wraps a socket connected with `onData` as a serial upstream; reading starts at once. `encode`
 * turns console input into what the socket expects (telnet escaping).
 */
export function socketUpstream(
  socket: net.Socket,
  description: string,
  handlers: UpstreamHandlers,
  encode: (data: Buffer) => Buffer = (data) => data,
  /** What the socket takes as a serial break (telnet's IAC BREAK); null: it has none. */
  breakBytes: Buffer | null = null,
): SerialUpstream {
  let done = false;
  const finish = (error: Error | null): void => {
    if (done) return;
    done = true;
    handlers.closed(error);
  };
  socket.setNoDelay(true);
  socket.on('drain', () => {
    handlers.drain();
  });
  socket.on('error', (error) => {
    finish(error);
  });
  socket.on('close', () => {
    finish(null);
  });
  socket.resume();
  return {
    description,
    holdBytes: SOCKET_HOLD_BYTES,
    write: (data) => socket.write(encode(data)),
    pause: () => {
      socket.pause();
    },
    resume: () => {
      socket.resume();
    },
    close: () => {
      socket.destroy();
    },
    ...(breakBytes
      ? {
          sendBreak: () => {
            socket.write(breakBytes);
          },
        }
      : {}),
  };
}
