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

export class SerialHistory {
  private readonly head: Head;
  private readonly ring: Ring;

  constructor(limits: HistoryLimits) {
    this.head = new Head(limits.headBytes);
    this.ring = new Ring(limits.tailBytes);
  }

  /** Offset just past the newest byte: the total byte count since the history began. */
  get end(): number {
    return this.ring.end;
  }

  /** The oldest offset still held (head of the current boot, or the ring). */
  get start(): number {
    return this.head.end > this.head.start ? Math.min(this.head.start, this.ring.start) : this.ring.start;
  }

  /** A new boot begins at the current end: its first bytes become the new head. */
  newBoot(): void {
    this.head.reset(this.end);
  }

  append(data: Buffer): void {
    if (data.length === 0) return;
    this.head.append(data, this.end);
    this.ring.append(data);
  }

  /**
   * Exactly the bytes at [from, from + max), stopping early at a hole or the end. A `from` in a
   * hole (between head and ring, or before both) yields `missing` and the data after the hole.
   * The data is a copy: it stays valid after the ring wraps.
   */
  read(from: number, max: number): HistoryRead {
    const end = this.end;
    const at = Math.max(0, Math.min(from, end));
    let start = at;
    let missing: HistoryRead['missing'] = null;
    const inHead = at >= this.head.start && at < this.head.end;
    if (!inHead && at < this.ring.start) {
      // Neither buffer holds `at`: skip to the next byte that is held.
      const headHeld = this.head.end > this.head.start && this.head.start > at;
      const next = headHeld ? Math.min(this.head.start, this.ring.start) : this.ring.start;
      missing = { from: at, to: next };
      start = next;
    }
    const stop = Math.min(end, start + Math.max(0, max));
    const data = Buffer.allocUnsafe(Math.max(0, stop - start));
    let offset = start;
    // From the head first, then the ring, as long as the bytes are contiguous.
    if (offset >= this.head.start && offset < this.head.end) {
      const to = Math.min(stop, this.head.end);
      this.head.copy(data, 0, offset, to);
      offset = to;
    }
    if (offset < stop && offset >= this.ring.start) {
      this.ring.copy(data, offset - start, offset, stop);
      offset = stop;
    }
    return { start, data: data.subarray(0, offset - start), end, missing };
  }
}
