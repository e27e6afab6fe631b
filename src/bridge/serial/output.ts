// Serial output on its way out of the mux: upstream reads gathered into chunks, each chunk
// shared by every client that is caught up, and its WebSocket frame built once for all of them.
//
// When a chunk goes out (the Nagle idea, without waiting on the peer): a read on an idle line is
// sent at once, and so is the first read after console input went to the guest (its echo or
// answer), so a keystroke's echo waits for nothing, however fast the typing. Other bytes that
// arrive within the window after a send are gathered and sent together when the window ends,
// so a chatty guest's 1-16 byte writes cost one message per window instead of one each.
//
// Reading during the window: a slow chatty source is not read until the window ends, so its
// writes gather in the kernel and cost one wake-up per window instead of one each (most of
// what such a source costs). That is safe only while the kernel holds them without blocking
// the guest: the source's `holdBytes` (a socket holds about 278 writes, however small; a pty
// buffers bytes). So reading pauses only while the last full window held fewer than
// `holdBytes`, and a read after a pause that brings `holdBytes` or more (the kernel may have
// been full) turns pausing off until a window is quiet again: a fast source is read all the
// time and never slowed by the gateway.
//
// The window is `windowMs`, or longer when the last fan-out itself took long: a fan-out to
// 1,000 clients costs milliseconds, and a source that writes without pause would otherwise keep
// a core busy with fan-outs (a write to a socket costs about 9 µs here, mostly the kernel's TCP
// work: 9 ms for 1,000 viewers). After a fan-out that took t, the next waits at least
// BUSY_FACTOR×t, so fan-out takes at most 1/(1+BUSY_FACTOR) of a core (40 %), and output
// latency stays about (1+BUSY_FACTOR)×t.
import { FRAME_HEADROOM, wsFrame } from '../relay/index.js';

/** Gathered bytes are sent at once when they reach this, whatever the window. */
const FLUSH_BYTES = 64 * 1024;
/** The pause after a fan-out, in multiples of the time the fan-out took (see above). */
const BUSY_FACTOR = 1.5;
/** Smallest buffer a chunk is gathered in (from Node's shared pool: cheap). */
const MIN_CAPACITY = 256;

/** One flush's bytes, as every client gets them; the WebSocket frame is built on first use. */
export class OutputChunk {
  private frame: Buffer | null = null;

  constructor(
    readonly data: Buffer,
    /** Bytes in front of `data`, in its memory, free for a frame header. */
    private readonly headroom: number,
  ) {}

  /** The binary WebSocket frame carrying `data`: built once, shared by every socket it goes to. */
  wsFrame(): Buffer {
    this.frame ??= wsFrame(this.data, this.headroom);
    return this.frame;
  }
}

/** The upstream's reading, as the coalescer steers it. */
export interface SourceReading {
  /** Bytes the kernel surely holds while reading is paused (0: never pause). */
  holdBytes(): number;
  pause(): void;
  resume(): void;
}

export interface CoalescerOptions {
  readonly windowMs: number;
  readonly reading: SourceReading;
  /** Milliseconds on a monotonic clock. */
  readonly now: () => number;
  /** Sends a chunk to every client (the fan-out whose cost is measured). */
  readonly send: (chunk: OutputChunk) => void;
}

export class OutputCoalescer {
  /** FRAME_HEADROOM bytes, then the gathered bytes; null until the first byte after a send. */
  private buffer: Buffer | null = null;
  private length = 0;
  private capacityHint = MIN_CAPACITY;
  private timer: NodeJS.Timeout | null = null;
  /** No send before this time (the window after the last one). */
  private quietUntil = -Infinity;
  /** Input went to the guest since the last send: its answer goes out at once. */
  private answerDue = false;
  /** Reading is paused until the window ends. */
  private paused = false;
  /** Whether the next window may pause reading (see above). */
  private mayPause = true;
  /** The next read is the first after a pause: its size says whether the kernel filled up. */
  private resumed = false;

  constructor(private readonly options: CoalescerOptions) {}

  /** Bytes gathered and not sent yet. */
  get pending(): number {
    return this.length;
  }

  /** Takes a copy of `bytes` (the caller may reuse its memory) and sends now or at the window's end. */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.resumed) {
      this.resumed = false;
      if (bytes.length >= this.options.reading.holdBytes()) this.mayPause = false;
    }
    this.append(bytes);
    if (this.timer) {
      // An echo goes at once even when it comes inside a window (with what was gathered).
      if (this.length >= FLUSH_BYTES || this.answerDue) this.flush();
      return;
    }
    const wait = this.quietUntil - this.options.now();
    if (wait <= 0 || this.answerDue || this.length >= FLUSH_BYTES || this.options.windowMs <= 0) {
      this.flush();
      return;
    }
    this.timer = setTimeout(this.onTimer, Math.ceil(wait));
    if (this.mayPause && this.options.reading.holdBytes() > 0) {
      this.paused = true;
      this.options.reading.pause();
    }
  }

  /** Console input went to the guest: the next read (its echo) is sent at once. */
  inputSent(): void {
    this.answerDue = true;
    this.resume();
  }

  /** Sends what is gathered now (history must be current: an attach, a read, a new boot). */
  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.resume();
    if (this.length === 0 || !this.buffer) return;
    this.answerDue = false;
    const chunk = new OutputChunk(
      this.buffer.subarray(FRAME_HEADROOM, FRAME_HEADROOM + this.length),
      FRAME_HEADROOM,
    );
    // The next gathering starts in a new buffer sized like this one: the chunk's memory is the
    // clients' until their sockets have written it.
    this.capacityHint = Math.max(MIN_CAPACITY, Math.min(this.length, FLUSH_BYTES));
    this.buffer = null;
    this.length = 0;
    const started = this.options.now();
    this.options.send(chunk);
    const ended = this.options.now();
    this.quietUntil = ended + Math.max(this.options.windowMs, BUSY_FACTOR * (ended - started));
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.buffer = null;
    this.length = 0;
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.resumed = true;
    this.options.reading.resume();
  }

  private readonly onTimer = (): void => {
    this.timer = null;
    if (!this.paused) {
      // Read all the window long: a quiet one lets the next pause.
      if (this.length < this.options.reading.holdBytes()) this.mayPause = true;
      this.flush();
      return;
    }
    // What the kernel gathered comes in this loop turn's poll phase, and, the window being
    // over, goes out at once with what is gathered here; the check phase sends what is
    // gathered if nothing came.
    this.resume();
    setImmediate(this.afterResume);
  };

  private readonly afterResume = (): void => {
    if (!this.timer) this.flush();
  };

  private append(bytes: Uint8Array): void {
    const needed = FRAME_HEADROOM + this.length + bytes.length;
    if (!this.buffer || needed > this.buffer.length) {
      const capacity = Math.max(needed, FRAME_HEADROOM + this.capacityHint, 2 * (this.buffer?.length ?? 0));
      const next = Buffer.allocUnsafe(capacity);
      if (this.buffer) this.buffer.copy(next, 0, 0, FRAME_HEADROOM + this.length);
      this.buffer = next;
    }
    this.buffer.set(bytes, FRAME_HEADROOM + this.length);
    this.length += bytes.length;
  }
}
