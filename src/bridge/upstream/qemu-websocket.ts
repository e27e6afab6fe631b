// A QEMU socket chardev with `websocket=on`: the upstream speaks WebSocket. QEMU 7.2 hands each
// input frame to the guest's serial port only as far as the UART's 16-byte FIFO has room at that
// moment and drops the rest without a word; it closes on text frames. Measured against a real
// QEMU (qemu-websocket.test.ts and its notes): one 64-byte frame delivers 16 bytes; 16-byte
// frames sent back to back lose bytes; 16-byte frames 5 ms apart delivered 200 of 200. So input
// goes out as binary frames of 16 bytes, one every FRAME_INTERVAL_MS (about 1.6 KB/s: plenty for
// typing, slow for a big paste; a raw socket chardev has no such limit and is preferred).
import WebSocket from 'ws';
import type { SerialUpstream, UpstreamHandlers } from './types.js';

export const QEMU_WS_INPUT_FRAME_BYTES = 16;
/** Time for the guest to drain the UART FIFO between frames (5 ms sufficed, twice that is kept). */
export const QEMU_WS_FRAME_INTERVAL_MS = 10;
/** Input waiting to be paced out beyond this reports backpressure (a few seconds' worth). */
const HIGH_WATER = 4 * 1024;
/**
 * Bytes already handed to the socket past which no frame is sent: QEMU itself is not reading
 * (stalled). A paused guest is not that: QEMU goes on reading and drops what the UART cannot
 * take, and nothing here can tell (measured with QMP `stop`).
 */
const SOCKET_MARK = 1024;

/** Splits input into frames QEMU accepts. */
export function chunkInput(data: Buffer, size = QEMU_WS_INPUT_FRAME_BYTES): Buffer[] {
  const frames: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) frames.push(data.subarray(at, at + size));
  return frames;
}

export function connectQemuWebsocket(
  path: string,
  handlers: UpstreamHandlers,
  timeoutMs = 5000,
): Promise<SerialUpstream> {
  return new Promise((resolve, reject) => {
    // QEMU's websocket server wants the `binary` subprotocol; it does not do compression.
    const ws = new WebSocket(`ws+unix://${path}:/`, ['binary'], {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
    });
    let open = false;
    let done = false;
    let waitingForDrain = false;
    const queue: Buffer[] = [];
    let queuedBytes = 0;
    let pacer: NodeJS.Timeout | undefined;
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
      clearTimeout(pacer);
      if (open) handlers.closed(error);
      else reject(error ?? new Error(`websocket ${path}: closed during handshake`));
    };
    ws.on('error', (error) => {
      finish(error);
    });
    ws.on('close', () => {
      finish(null);
    });
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return;
      handlers.data(
        Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data),
      );
    });
    /**
     * Sends the next frame, if any, and arms the timer for the one after: `pacer` set means a
     * frame left less than an interval ago. The timer is armed before `drain` is signalled,
     * because the mux writes its queued input from inside `drain`, and that write must not send
     * a frame early. While QEMU does not read its socket (ws buffers past SOCKET_MARK), nothing
     * is sent and the queue, and so backpressure, holds.
     */
    const sendNext = (): void => {
      pacer = undefined;
      if (ws.readyState !== WebSocket.OPEN || queue.length === 0) return;
      pacer = setTimeout(sendNext, QEMU_WS_FRAME_INTERVAL_MS);
      if (ws.bufferedAmount > SOCKET_MARK) return;
      const frame = queue.shift()!;
      queuedBytes -= frame.length;
      ws.send(frame, { binary: true });
      if (waitingForDrain && queuedBytes < HIGH_WATER) {
        waitingForDrain = false;
        handlers.drain();
      }
    };
    ws.once('open', () => {
      open = true;
      resolve({
        description: `qemu-websocket ${path}`,
        // TCP under it, counted per write like a UNIX socket's (see socket.ts).
        holdBytes: 256,
        write: (data) => {
          if (ws.readyState !== WebSocket.OPEN) return true;
          for (const frame of chunkInput(data)) queue.push(frame);
          queuedBytes += data.length;
          if (pacer === undefined) sendNext();
          const ok = queuedBytes < HIGH_WATER;
          if (!ok) waitingForDrain = true;
          return ok;
        },
        pause: () => {
          ws.pause();
        },
        resume: () => {
          ws.resume();
        },
        close: () => {
          clearTimeout(pacer);
          ws.terminate();
        },
      });
    });
  });
}
