// Serial resume bookkeeping: no duplicated bytes, no silent holes.
import { describe, expect, it } from 'vitest';
import { SerialOffsets } from '../../../web/lib/offsets.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | null) => (data ? new TextDecoder().decode(data) : null);

describe('SerialOffsets', () => {
  it('starts at the first hello and counts bytes', () => {
    const o = new SerialOffsets();
    expect(o.have).toBeNull();
    expect(o.hello(100, 100)).toEqual({ gap: null, reset: false });
    expect(text(o.bytes(bytes('hello')))).toBe('hello');
    expect(o.have).toBe(105);
  });

  it('resumes exactly where it left off', () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('abc'));
    expect(o.hello(3, 3).gap).toBeNull();
    expect(text(o.bytes(bytes('def')))).toBe('def');
    expect(o.have).toBe(6);
  });

  it('drops bytes a server resends from an older offset', () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('abcdef'));
    expect(o.hello(2, 6).gap).toBeNull();
    expect(o.bytes(bytes('cd'))).toBeNull();
    expect(text(o.bytes(bytes('efgh')))).toBe('gh');
    expect(o.have).toBe(8);
  });

  it('reports a hole when history no longer reaches back', () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('ab'));
    expect(o.hello(50, 80).gap).toEqual({ from: 2, to: 50 });
    expect(text(o.bytes(bytes('x')))).toBe('x');
    expect(o.have).toBe(51);
  });

  it('marks gap messages once and moves the next offset', () => {
    const o = new SerialOffsets();
    o.hello(10, 10);
    o.bytes(bytes('abc'));
    expect(o.gap(13, 40, 0)).toEqual({ from: 13, to: 40 });
    expect(o.gap(13, 40, 0)).toBeNull();
    expect(text(o.bytes(bytes('z')))).toBe('z');
    expect(o.have).toBe(41);
  });

  it('marks only the unseen part of a gap after a resume hole', () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('ab'));
    expect(o.hello(20, 40).gap).toEqual({ from: 2, to: 20 });
    expect(o.gap(2, 30, 0)).toEqual({ from: 20, to: 30 });
  });

  it("counts the server's marker bytes and does not mark the gap again", () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('ab'));
    expect(text(o.bytes(bytes('[9 skipped]')))).toBe('[9 skipped]');
    expect(o.gap(2, 100, 11)).toBeNull();
    expect(o.have).toBe(100);
    expect(text(o.bytes(bytes('c')))).toBe('c');
    expect(o.have).toBe(101);
  });

  it("starts over when the server's history is shorter than what was shown (restart)", () => {
    const o = new SerialOffsets();
    o.hello(0, 0);
    o.bytes(bytes('abcdef'));
    expect(o.hello(3, 3)).toEqual({ gap: null, reset: true });
    expect(text(o.bytes(bytes('xyz')))).toBe('xyz');
    expect(o.have).toBe(6);
  });
});
