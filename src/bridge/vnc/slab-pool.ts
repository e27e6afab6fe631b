// Read buffers for one upstream socket (net.Socket `onread`). Each read lands in the unused
// tail of a slab, so one read() takes whatever the kernel holds (libuv's default is 64 KiB) and
// the chunk handed on is a view, never a copy. A slab is recycled once every view of it has
// been released (written to the browser's socket); recycling, rather than allocating ~4,000
// fresh slabs per GiB, keeps the garbage collector out of the hot path.
// Slabs start small (an idle viewer holds 32 KiB) and grow to 256 KiB the first time a read
// fills all the room it was given (the connection is busy).
const FIRST_SLAB = 32 * 1024;
const BIG_SLAB = 256 * 1024;
/** Spare slabs kept per connection. */
const MAX_FREE = 2;

class Slab {
  /** One reference for the pool while the slab is current, one per unreleased view. */
  refs = 1;
  constructor(
    readonly buf: Buffer,
    private readonly pool: SlabPool,
  ) {}
  readonly release = (): void => {
    this.refs -= 1;
    if (this.refs === 0) this.pool.recycle(this.buf);
  };
}

export class SlabPool {
  private readonly free: Buffer[] = [];
  private size = FIRST_SLAB;
  private current = new Slab(Buffer.allocUnsafe(FIRST_SLAB), this);
  private used = 0;
  private offered = 0;

  /** The buffer the next read goes into. */
  next(): Buffer {
    // A fresh slab when less than a quarter is left (reads stay large).
    if (this.size - this.used < this.size / 4 || this.current.buf.length !== this.size) {
      const old = this.current;
      this.current = new Slab(this.free.pop() ?? Buffer.allocUnsafe(this.size), this);
      this.used = 0;
      old.release();
    }
    this.offered = this.size - this.used;
    return this.current.buf.subarray(this.used);
  }

  /** Claims the `nread` bytes just read; call `release` once the view is no longer needed. */
  take(nread: number): { readonly view: Buffer; readonly release: () => void } {
    const slab = this.current;
    const view = slab.buf.subarray(this.used, this.used + nread);
    this.used += nread;
    slab.refs += 1;
    if (nread === this.offered && this.size < BIG_SLAB) this.size = BIG_SLAB;
    return { view, release: slab.release };
  }

  recycle(buf: Buffer): void {
    if (buf.length === this.size && this.free.length < MAX_FREE) this.free.push(buf);
  }
}
