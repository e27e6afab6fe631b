// Byte bookkeeping of a serial console, apart from I/O: which incoming bytes the terminal still
// needs, and which ranges are lost for good, so a reconnect with ?from=<have> shows neither
// duplicates nor silent holes.

export interface Gap {
  readonly from: number;
  readonly to: number;
}

export interface HelloResult {
  /** Output lost between the last byte shown and the first byte this socket sends. */
  readonly gap: Gap | null;
  /** The server's offsets started again (its history is shorter than what we showed): a restart. */
  readonly reset: boolean;
}

export class SerialOffsets {
  /** Offset just past the last byte shown (null before the first hello). */
  private shown: number | null = null;
  /** Offset of the next binary byte on the current socket. */
  private next = 0;

  get have(): number | null {
    return this.shown;
  }

  /** Offset of the next binary byte expected on the current socket. */
  get position(): number {
    return this.next;
  }

  /** A new socket's hello (`offset`, and the end of the server's history). */
  hello(offset: number, historyEnd: number): HelloResult {
    this.next = offset;
    if (this.shown === null || historyEnd < this.shown) {
      const reset = this.shown !== null;
      this.shown = offset;
      return { gap: null, reset };
    }
    if (offset <= this.shown) return { gap: null, reset: false };
    const gap = { from: this.shown, to: offset };
    this.shown = offset;
    return { gap, reset: false };
  }

  /** A binary frame: the part still to show (null when it was all shown already). */
  bytes(data: Uint8Array): Uint8Array | null {
    const start = this.next;
    this.next += data.length;
    const shown = this.shown ?? start;
    if (this.next <= shown) return null;
    this.shown = this.next;
    return start < shown ? data.subarray(shown - start) : data;
  }

  /**
   * A `gap` message: the next byte comes from `to`. The server sends a visible marker of
   * `markerBytes` bytes in place of the first skipped ones; when it could not (0), returns the
   * unmarked range for the page to mark.
   */
  gap(from: number, to: number, markerBytes: number): Gap | null {
    this.next = Math.max(this.next, to);
    if (this.shown === null || to <= this.shown) return null;
    const lost = { from: Math.max(from, this.shown), to };
    this.shown = to;
    return markerBytes > 0 ? null : lost;
  }
}
