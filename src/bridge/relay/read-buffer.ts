// The read buffer of one raw upstream socket (net.Socket `onread`): every read lands in the same
// memory, FRAME_HEADROOM bytes in from its start, so the browser frame header can be written in
// front of the data (frames.ts) and the frame leaves in one write, with no copy. One
// buffer, reused while the bytes it held are already in the kernel, is what a C relay does: the
// memory the kernel copies into and out of stays the same. The relay stops reading while a frame
// is still queued in user space (it holds a view of this memory).
// Starts at 32 KiB (an idle viewer holds little) and grows to 256 KiB the first time a read fills
// it (the connection is busy: one read() then takes whatever the kernel holds, about 220 KiB from
// a flooding UNIX socket against libuv's 64 KiB default).
import { FRAME_HEADROOM } from './frames.js';

const FIRST_SIZE = 32 * 1024;
const BIG_SIZE = 256 * 1024;

export class ReadBuffer {
  private room = Buffer.allocUnsafe(FRAME_HEADROOM + FIRST_SIZE).subarray(FRAME_HEADROOM);

  /** The memory the next read goes into; FRAME_HEADROOM bytes in front of it are free. */
  next(): Buffer {
    return this.room;
  }

  /**
   * The `nread` bytes just read, as a view: valid until the next read (the caller pauses the
   * socket to keep it). A read that filled the buffer makes the next one larger.
   */
  take(nread: number): Buffer {
    const view = this.room.subarray(0, nread);
    if (nread === this.room.length && this.room.length < BIG_SIZE) {
      this.room = Buffer.allocUnsafe(FRAME_HEADROOM + BIG_SIZE).subarray(FRAME_HEADROOM);
    }
    return view;
  }
}
