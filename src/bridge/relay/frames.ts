// Server → browser: WebSocket binary frames written straight on the socket under the browser's
// WebSocket (the one handed to ws's handleUpgrade). ws.send would frame each chunk as a
// separate header plus the data (cork, two writes, a writev) and schedule a callback per send;
// here a raw upstream leaves FRAME_HEADROOM bytes free in front of every read, the header goes
// there, and the frame is one contiguous write, with no callback unless the kernel does not take
// it whole. Measured (4 GiB floods, bench/results/vnc.md): user CPU per GiB from 0.060 to 0.030 s,
// the rest being the kernel's copies.
//
// Mixing with ws is safe because every writer puts out whole frames in one synchronous step
// (ws's sender corks, writes and uncorks; so do we), Node keeps writes in call order, and
// nothing else sends data frames on this WebSocket (a fragmented ws.send would be the danger).
// ws's own frames (close, ping, pong) may come between ours. Once ws starts closing, its
// readyState leaves OPEN and the relay writes no more.
//
// Over TLS every write completes asynchronously (writableLength stays above 0), so the relay
// pauses reads after each frame; measured no worse than ws.send was (1 GiB floods over TLS:
// 0.62-0.97 against 0.77-1.00 CPU-s/GiB).
//
// Backpressure: when the kernel does not take a frame whole, Node keeps (a view of) it queued;
// write() then says so and `onFlushed` is called once the socket's queue is empty again. The
// caller stops producing meanwhile, so at most one read waits in user space per browser.
import type { Duplex } from 'node:stream';

/** Bytes a producer keeps free in front of a payload so the frame header can go in place. */
export const FRAME_HEADROOM = 10;

const BINARY_FINAL = 0x82;
const EMPTY = Buffer.alloc(0);

/** Header length of an unmasked frame carrying `length` payload bytes (RFC 6455 §5.2). */
function frameHeaderLength(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** Writes the header of a binary final frame of `length` bytes into `target` at `at`. */
function writeFrameHeader(target: Buffer, at: number, length: number): void {
  target[at] = BINARY_FINAL;
  if (length < 126) {
    target[at + 1] = length;
  } else if (length < 65536) {
    target[at + 1] = 126;
    target.writeUInt16BE(length, at + 2);
  } else {
    target[at + 1] = 127;
    target.writeUInt32BE(Math.floor(length / 2 ** 32), at + 2);
    target.writeUInt32BE(length >>> 0, at + 6);
  }
}

/**
 * `payload` as one contiguous binary frame: in place when `headroom` bytes in front of it (in its
 * memory) may be overwritten, else a copy. A frame built once can be written to any number of
 * sockets (server frames are not masked).
 */
export function wsFrame(payload: Buffer, headroom: number): Buffer {
  const headerLength = frameHeaderLength(payload.length);
  if (headroom >= headerLength) {
    const frame = Buffer.from(
      payload.buffer,
      payload.byteOffset - headerLength,
      headerLength + payload.length,
    );
    writeFrameHeader(frame, 0, payload.length);
    return frame;
  }
  const frame = Buffer.allocUnsafe(headerLength + payload.length);
  writeFrameHeader(frame, 0, payload.length);
  payload.copy(frame, headerLength);
  return frame;
}

export class BrowserFrames {
  private awaitingFlush = false;

  constructor(
    private readonly socket: Duplex,
    /** Called when a write that was not taken whole has been written, with nothing queued after it. */
    private readonly onFlushed: () => void,
  ) {}

  /**
   * Sends `payload` as one binary frame. `headroom`: bytes in front of `payload`, in its memory,
   * that may be overwritten (FRAME_HEADROOM from a raw upstream's read buffer, 0 otherwise).
   * True when the kernel took the frame whole (the payload's memory is free again); false when
   * part of it is queued: produce nothing more, and keep the memory as is, until `onFlushed`.
   */
  write(payload: Buffer, headroom: number): boolean {
    const { socket } = this;
    const headerLength = frameHeaderLength(payload.length);
    if (headroom >= headerLength) return this.writeFrame(wsFrame(payload, headroom));
    // No room in front: a separate header rather than a copy of a big payload.
    const header = Buffer.allocUnsafe(headerLength);
    writeFrameHeader(header, 0, payload.length);
    socket.cork();
    socket.write(header);
    socket.write(payload);
    socket.uncork();
    return this.taken();
  }

  /** Sends a frame built by `wsFrame` (perhaps shared with other sockets); as `write`. */
  writeFrame(frame: Buffer): boolean {
    this.socket.write(frame);
    return this.taken();
  }

  private taken(): boolean {
    if (this.socket.writableLength === 0) return true;
    this.waitForFlush();
    return false;
  }

  /**
   * An empty write's callback runs once everything queued before it is written: the public
   * equivalent of "the queue is empty" (`drain` comes only after a write returned false, that
   * is above the socket's 16 KiB high-water mark).
   */
  private waitForFlush(): void {
    if (this.awaitingFlush) return;
    this.awaitingFlush = true;
    this.socket.write(EMPTY, (error) => {
      this.awaitingFlush = false;
      // The socket is gone or ending (ws ends it after a hang-up): its close ends the relay.
      if (error || this.socket.writableEnded || this.socket.destroyed) return;
      if (this.socket.writableLength > 0) this.waitForFlush();
      else this.onFlushed();
    });
  }
}
