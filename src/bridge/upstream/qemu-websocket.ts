// A QEMU socket chardev with `websocket=on`: the upstream speaks WebSocket. QEMU 7.2 takes at
// most 16 bytes of payload per input frame (it drops the rest without a word) and closes on text
// frames, so input goes out as binary frames of 16 bytes.
import WebSocket from 'ws';
import type { SerialUpstream, UpstreamHandlers } from './types.js';

export const QEMU_WS_INPUT_FRAME_BYTES = 16;
/** Input queued in the socket beyond this reports backpressure. */
const HIGH_WATER = 64 * 1024;

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
    const finish = (error: Error | null): void => {
      if (done) return;
      done = true;
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
    const sent = (): void => {
      if (waitingForDrain && ws.bufferedAmount < HIGH_WATER) {
        waitingForDrain = false;
        handlers.drain();
      }
    };
    ws.once('open', () => {
      open = true;
      resolve({
        description: `qemu-websocket ${path}`,
        write: (data) => {
          if (ws.readyState !== WebSocket.OPEN) return true;
          for (const frame of chunkInput(data)) ws.send(frame, { binary: true }, sent);
          const ok = ws.bufferedAmount < HIGH_WATER;
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
          ws.terminate();
        },
      });
    });
  });
}
