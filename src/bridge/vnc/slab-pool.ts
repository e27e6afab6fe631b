// Read buffers for one upstream socket (net.Socket `onread`). Each read lands in the unused
// tail of a 256 KiB slab, so one read() takes whatever the kernel holds (libuv's default is
// 64 KiB) and the chunk handed on is a view, never a copy. A slab is recycled once every view
// of it has been released (written to the browser's socket); recycling, rather than
// allocating ~4,000 fresh slabs per GiB, keeps the garbage collector out of the hot path.
const SLAB_BYTES = 256 * 1024;
/** A fresh slab is taken when less than this is left in the current one. */
const MIN_READ_BYTES = 64 * 1024;
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
  private current = new Slab(Buffer.allocUnsafe(SLAB_BYTES), this);
  private used = 0;

  /** The buffer the next read goes into. */
  next(): Buffer {
    if (SLAB_BYTES - this.used < MIN_READ_BYTES) {
      const old = this.current;
      this.current = new Slab(this.free.pop() ?? Buffer.allocUnsafe(SLAB_BYTES), this);
      this.used = 0;
      old.release();
    }
    return this.current.buf.subarray(this.used);
  }

  /** Claims the `nread` bytes just read; call `release` once the view is no longer needed. */
  take(nread: number): { readonly view: Buffer; readonly release: () => void } {
    const slab = this.current;
    const view = slab.buf.subarray(this.used, this.used + nread);
    this.used += nread;
    slab.refs += 1;
    return { view, release: slab.release };
  }

  recycle(buf: Buffer): void {
    if (this.free.length < MAX_FREE) this.free.push(buf);
  }
}
