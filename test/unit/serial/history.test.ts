import { describe, expect, it } from 'vitest';
import { SerialHistory } from '../../../src/bridge/serial/index.js';

function bytes(from: number, to: number): Buffer {
  const b = Buffer.alloc(to - from);
  for (let i = from; i < to; i += 1) b[i - from] = i % 251;
  return b;
}

describe('SerialHistory', () => {
  it('counts offsets from zero and reads exact ranges', () => {
    const h = new SerialHistory({ headBytes: 8, tailBytes: 64 });
    h.append(bytes(0, 10));
    h.append(bytes(10, 25));
    expect(h.end).toBe(25);
    expect(h.start).toBe(0);
    const r = h.read(7, 11);
    expect(r).toMatchObject({ start: 7, end: 25, missing: null });
    expect(r.data).toEqual(bytes(7, 18));
    expect(h.read(20, 100).data).toEqual(bytes(20, 25));
    expect(h.read(25, 100).data.length).toBe(0);
    expect(h.read(99, 10)).toMatchObject({ start: 25, missing: null });
  });

  it('wraps the ring and keeps the head of the boot', () => {
    const h = new SerialHistory({ headBytes: 8, tailBytes: 16 });
    for (let at = 0; at < 40; at += 3) h.append(bytes(at, Math.min(at + 3, 40)));
    expect(h.end).toBe(40);
    expect(h.start).toBe(0);
    // The head, up to the hole.
    const head = h.read(0, 100);
    expect(head).toMatchObject({ start: 0, missing: null });
    expect(head.data).toEqual(bytes(0, 8));
    // In the hole: says what is gone, then the ring's bytes.
    const hole = h.read(8, 100);
    expect(hole.missing).toEqual({ from: 8, to: 24 });
    expect(hole.start).toBe(24);
    expect(hole.data).toEqual(bytes(24, 40));
  });

  it('reads across head and ring when they touch', () => {
    const h = new SerialHistory({ headBytes: 10, tailBytes: 12 });
    h.append(bytes(0, 22));
    const r = h.read(0, 100);
    expect(r.missing).toBeNull();
    expect(r.data).toEqual(bytes(0, 22));
  });

  it('starts a new head at each boot, offsets continue', () => {
    const h = new SerialHistory({ headBytes: 4, tailBytes: 8 });
    h.append(bytes(0, 20));
    h.newBoot();
    h.append(bytes(20, 40));
    expect(h.end).toBe(40);
    // Old head dropped; new head is 20..24, ring 32..40.
    expect(h.start).toBe(20);
    expect(h.read(0, 100)).toMatchObject({ missing: { from: 0, to: 20 }, start: 20 });
    expect(h.read(0, 100).data).toEqual(bytes(20, 24));
    expect(h.read(24, 100)).toMatchObject({ missing: { from: 24, to: 32 }, start: 32 });
  });

  it('holds exactly the latest bytes through growth and wrap-around (random writes)', () => {
    const tail = 100_000;
    const h = new SerialHistory({ headBytes: 0, tailBytes: tail });
    let seed = 7;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    let end = 0;
    for (let i = 0; i < 400; i += 1) {
      const n = 1 + rand(i % 50 === 0 ? 150_000 : 3000);
      h.append(bytes(end, end + n));
      end += n;
      const from = Math.max(0, end - tail) + rand(Math.min(end, tail));
      const r = h.read(from, 5000);
      expect(r.missing).toBeNull();
      // Buffer.equals: toEqual on big buffers is slow.
      expect(r.data.equals(bytes(from, Math.min(end, from + 5000)))).toBe(true);
    }
    expect(h.start).toBe(end - tail);
    expect(h.read(0, 10).missing).toEqual({ from: 0, to: end - tail });
  });

  it('copies: data read stays valid after the ring wraps', () => {
    const h = new SerialHistory({ headBytes: 0, tailBytes: 8 });
    h.append(Buffer.from('abcdefgh'));
    const r = h.read(0, 8);
    h.append(Buffer.from('12345678'));
    expect(r.data.toString()).toBe('abcdefgh');
  });
});
