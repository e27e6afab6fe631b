// Byte-addressed serial history: the first `headBytes` of the current boot (the boot log, kept
// while later output scrolls away) and a ring of the latest `tailBytes`. Offsets are absolute
// and only grow for the life of the history, across boots. Both buffers grow on demand up to
// their limit, so an idle console costs little memory.
import type { HistoryRead } from '../types.js';

const INITIAL_CAPACITY = 16 * 1024;

/** A linear buffer of up to `limit` bytes starting at absolute offset `start`. */
class Head {
  private buffer = Buffer.alloc(0);
  private length = 0;
  start = 0;

  constructor(private readonly limit: number) {}

  get end(): number {
    return this.start + this.length;
  }

  reset(start: number): void {
    this.start = start;
    this.length = 0;
  }

  /** Appends what still fits; `offset` is the absolute offset of `data[0]`. */
  append(data: Buffer, offset: number): void {
    if (offset !== this.end || this.length >= this.limit) return;
    const take = Math.min(data.length, this.limit - this.length);
    this.ensure(this.length + take);
    data.copy(this.buffer, this.length, 0, take);
    this.length += take;
  }

  copy(target: Buffer, targetStart: number, from: number, to: number): void {
    this.buffer.copy(target, targetStart, from - this.start, to - this.start);
  }

  private ensure(size: number): void {
    if (size <= this.buffer.length) return;
    let capacity = Math.max(this.buffer.length, Math.min(INITIAL_CAPACITY, this.limit));
    while (capacity < size) capacity = Math.min(capacity * 2, this.limit);
    const next = Buffer.allocUnsafe(capacity);
    this.buffer.copy(next, 0, 0, this.length);
    this.buffer = next;
  }
}

/** The latest `limit` bytes; linear while growing, circular once at full size. */
class Ring {
  private buffer = Buffer.alloc(0);
  /** Bytes held (≤ limit). */
  private length = 0;
  /** Absolute offset just past the newest byte. */
  end = 0;

  constructor(private readonly limit: number) {}

  get start(): number {
    return this.end - this.length;
  }

  append(data: Buffer): void {
    if (this.limit === 0) {
      this.end += data.length;
      return;
    }
    // Only the last `limit` bytes of a big write can survive.
    const keep = data.length > this.limit ? data.subarray(data.length - this.limit) : data;
    this.grow(this.length + keep.length);
    const capacity = this.buffer.length;
    let pos = (this.end + (data.length - keep.length)) % capacity;
    let rest = keep;
    while (rest.length > 0) {
      const n = Math.min(rest.length, capacity - pos);
      rest.copy(this.buffer, pos, 0, n);
      rest = rest.subarray(n);
      pos = (pos + n) % capacity;
    }
    this.end += data.length;
    this.length = Math.min(this.length + keep.length, capacity);
  }

  copy(target: Buffer, targetStart: number, from: number, to: number): void {
    const capacity = this.buffer.length;
    let at = targetStart;
    let offset = from;
    while (offset < to) {
      const pos = offset % capacity;
      const n = Math.min(to - offset, capacity - pos);
      this.buffer.copy(target, at, pos, pos + n);
      at += n;
      offset += n;
    }
  }

  /**
   * Grows the buffer (doubling, up to `limit`) so that `size` bytes fit. Positions are absolute
   * offsets modulo capacity, so growing re-lays the held bytes out at their new positions.
   */
  private grow(size: number): void {
    const current = this.buffer.length;
    if (size <= current || current === this.limit) return;
    let capacity = Math.max(current, Math.min(INITIAL_CAPACITY, this.limit));
    while (capacity < size && capacity < this.limit) capacity = Math.min(capacity * 2, this.limit);
    const next = Buffer.allocUnsafe(capacity);
    const start = this.start;
    const end = this.end;
    if (current > 0) {
      let offset = start;
      while (offset < end) {
        const from = offset % current;
        const to = offset % capacity;
        const n = Math.min(end - offset, current - from, capacity - to);
        this.buffer.copy(next, to, from, from + n);
        offset += n;
      }
    }
    this.buffer = next;
  }
}

export interface HistoryLimits {
  readonly headBytes: number;
  readonly tailBytes: number;
}

/** Bytes restored from the serial log at start: read-only, dropped once the ring holds a full tail. */
interface Past {
  readonly start: number;
  readonly data: Buffer;
}

/** One of the history's stores, as read() walks them. */
interface Piece {
  readonly start: number;
  readonly end: number;
  copy(target: Buffer, targetStart: number, from: number, to: number): void;
}

export class SerialHistory {
  private readonly head: Head;
  private readonly ring: Ring;
  private past: Past | null = null;

  constructor(private readonly limits: HistoryLimits) {
    this.head = new Head(limits.headBytes);
    this.ring = new Ring(limits.tailBytes);
  }

  /** Offset just past the newest byte: the total byte count since the history began. */
  get end(): number {
    return this.ring.end;
  }

  /** The oldest offset still held (head of the current boot, restored bytes, or the ring). */
  get start(): number {
    let start = this.ring.start;
    for (const piece of this.pieces()) if (piece.end > piece.start) start = Math.min(start, piece.start);
    return start;
  }

  /**
   * Starts from what the serial log kept (a daemon restart): `tail` ends at or before `end`,
   * the next byte gets offset `end`; `head` is the current boot's head when it goes on.
   */
  restore(saved: {
    readonly end: number;
    readonly tail: { readonly start: number; readonly data: Buffer };
    readonly head: { readonly start: number; readonly data: Buffer } | null;
  }): void {
    this.ring.end = saved.end;
    this.past = saved.tail.data.length > 0 ? { start: saved.tail.start, data: saved.tail.data } : null;
    if (saved.head) {
      this.head.reset(saved.head.start);
      this.head.append(saved.head.data, saved.head.start);
    } else this.head.reset(saved.end);
  }

  /** A new boot begins at the current end: its first bytes become the new head. */
  newBoot(): void {
    this.head.reset(this.end);
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.head.append(data, this.end);
    this.ring.append(data);
    if (this.past && this.ring.end - this.ring.start >= this.limits.tailBytes) this.past = null;
  }

  /**
   * Exactly the bytes at [from, from + max), stopping early at a hole or the end. A `from` in a
   * hole (between the stores, or before all of them) yields `missing` and the data after the
   * hole. The data is a copy: it stays valid after the ring wraps.
   */
  read(from: number, max: number): HistoryRead {
    const end = this.end;
    const at = Math.max(0, Math.min(from, end));
    const pieces = this.pieces().filter((p) => p.end > p.start);
    let start = at;
    let missing: HistoryRead['missing'] = null;
    if (!pieces.some((p) => at >= p.start && at < p.end) && at < end) {
      // No store holds `at`: skip to the next byte that is held.
      const next = Math.min(...pieces.filter((p) => p.start > at).map((p) => p.start), end);
      missing = { from: at, to: next };
      start = next;
    }
    const stop = Math.min(end, start + Math.max(0, max));
    const data = Buffer.allocUnsafe(Math.max(0, stop - start));
    let offset = start;
    // From whichever store holds the next byte, as long as the bytes are contiguous.
    for (;;) {
      const piece = pieces.find((p) => offset >= p.start && offset < p.end);
      if (!piece || offset >= stop) break;
      const to = Math.min(stop, piece.end);
      piece.copy(data, offset - start, offset, to);
      offset = to;
    }
    return { start, data: data.subarray(0, offset - start), end, missing };
  }

  /** Head first (the boot log), then restored bytes, then the ring: read() prefers the earlier. */
  private pieces(): Piece[] {
    const pieces: Piece[] = [this.head];
    const past = this.past;
    if (past) {
      pieces.push({
        start: past.start,
        end: past.start + past.data.length,
        copy: (target, targetStart, from, to) => {
          past.data.copy(target, targetStart, from - past.start, to - past.start);
        },
      });
    }
    pieces.push({
      start: this.ring.start,
      end: this.ring.end,
      copy: (target, targetStart, from, to) => {
        this.ring.copy(target, targetStart, from, to);
      },
    });
    return pieces;
  }
}
