import { describe, expect, it } from 'vitest';
import { SlabPool } from '../../../src/bridge/vnc/slab-pool.js';

/** Simulates one read of `n` bytes into the buffer the pool offers. */
function read(pool: SlabPool, n: number, fill: number): { view: Buffer; release: () => void } {
  const target = pool.next();
  target.fill(fill, 0, n);
  return pool.take(n);
}

describe('SlabPool', () => {
  it('hands out views that are never overwritten while held', () => {
    const pool = new SlabPool();
    const held: { view: Buffer; fill: number }[] = [];
    for (let k = 0; k < 200; k++) {
      const { view } = read(pool, 1000 + k, k % 256);
      held.push({ view, fill: k % 256 });
    }
    for (const { view, fill } of held) expect(view.every((b) => b === fill)).toBe(true);
  });

  it('reuses a slab only after every view of it was released', () => {
    const pool = new SlabPool();
    const first = read(pool, 32 * 1024, 1); // fills the first slab: the pool grows
    const views = [first];
    for (let k = 0; k < 8; k++) views.push(read(pool, 64 * 1024, 2 + k));
    const memory = new Set(views.map((v) => v.view.buffer));
    for (const v of views) v.release();
    // Released big slabs come back: new reads land in memory seen before.
    const again = Array.from({ length: 6 }, (_, k) => read(pool, 64 * 1024, 100 + k));
    expect(again.some((v) => memory.has(v.view.buffer))).toBe(true);
    for (const [k, v] of again.entries()) expect(v.view.every((b) => b === 100 + k)).toBe(true);
  });

  it('starts small and grows when a read fills the room it was given', () => {
    const pool = new SlabPool();
    expect(pool.next().length).toBe(32 * 1024);
    pool.take(100);
    expect(pool.next().length).toBe(32 * 1024 - 100);
    pool.take(32 * 1024 - 100);
    expect(pool.next().length).toBe(256 * 1024);
  });
});
