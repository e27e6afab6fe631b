import { describe, expect, it } from 'vitest';
import { FRAME_HEADROOM } from '../../../src/bridge/relay/index.js';
import { ReadBuffer } from '../../../src/bridge/relay/read-buffer.js';

describe('ReadBuffer', () => {
  it('keeps FRAME_HEADROOM bytes free in front of every read, in the same memory', () => {
    const reads = new ReadBuffer();
    const room = reads.next();
    expect(room.byteOffset).toBeGreaterThanOrEqual(FRAME_HEADROOM);
    room.fill(7, 0, 100);
    const view = reads.take(100);
    expect(view.buffer).toBe(room.buffer);
    expect(view.byteOffset).toBe(room.byteOffset);
    expect([...view]).toEqual(new Array(100).fill(7));
  });

  it('reuses the same memory read after read while reads leave room', () => {
    const reads = new ReadBuffer();
    const first = reads.next();
    reads.take(1000);
    expect(reads.next()).toBe(first);
  });

  it('starts at 32 KiB and grows to 256 KiB once a read fills it, leaving that read intact', () => {
    const reads = new ReadBuffer();
    const small = reads.next();
    expect(small.length).toBe(32 * 1024);
    small.fill(3);
    const full = reads.take(small.length);
    const big = reads.next();
    expect(big.length).toBe(256 * 1024);
    expect(big.buffer).not.toBe(small.buffer);
    big.fill(9);
    expect(full.every((b) => b === 3)).toBe(true);
    reads.take(big.length);
    expect(reads.next()).toBe(big); // no larger than 256 KiB
  });
});
