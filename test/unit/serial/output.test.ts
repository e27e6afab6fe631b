// The output coalescer on its own, with a clock the test moves: when chunks go out, how long
// the window after a slow fan-out is, and the frame every client shares.
import { describe, expect, it, vi } from 'vitest';
import { OutputCoalescer, type OutputChunk } from '../../../src/bridge/serial/output.js';
import { useFakeTimeouts } from './fakes.js';

function coalescer(
  windowMs: number,
  fanOutMs = 0,
): { out: OutputCoalescer; sent: string[]; chunks: OutputChunk[] } {
  const sent: string[] = [];
  const chunks: OutputChunk[] = [];
  const out = new OutputCoalescer({
    windowMs,
    now: () => performance.now(),
    // A source that is never paused (holds nothing): the window alone decides.
    reading: { holdBytes: () => 0, pause: () => undefined, resume: () => undefined },
    send: (chunk) => {
      sent.push(chunk.data.toString());
      chunks.push(chunk);
      // The fan-out's own cost, as the clock sees it.
      vi.advanceTimersByTime(fanOutMs);
    },
  });
  return { out, sent, chunks };
}

describe('OutputCoalescer', () => {
  useFakeTimeouts();

  it('waits longer after a slow fan-out: 1.5 times what it took', () => {
    const { out, sent } = coalescer(5, 10);
    out.push(Buffer.from('a'));
    expect(sent).toEqual(['a']);
    out.push(Buffer.from('b'));
    vi.advanceTimersByTime(14);
    expect(sent).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['a', 'b']);
  });

  it('sends every read at once with a window of 0', () => {
    const { out, sent } = coalescer(0);
    for (const c of 'abc') out.push(Buffer.from(c));
    expect(sent).toEqual(['a', 'b', 'c']);
  });

  it('builds one WebSocket frame per chunk, in place in front of the bytes', () => {
    const { out, chunks } = coalescer(5);
    out.push(Buffer.from('hello'));
    const chunk = chunks[0]!;
    const frame = chunk.wsFrame();
    expect([...frame]).toEqual([0x82, 5, ...Buffer.from('hello')]);
    expect(chunk.wsFrame()).toBe(frame);
    expect(frame.buffer).toBe(chunk.data.buffer);
  });

  it('sends what is gathered on flush, and nothing after close', () => {
    const { out, sent } = coalescer(5);
    out.push(Buffer.from('a'));
    out.push(Buffer.from('b'));
    out.flush();
    expect(sent).toEqual(['a', 'b']);
    out.push(Buffer.from('c'));
    out.close();
    vi.advanceTimersByTime(100);
    expect(sent).toEqual(['a', 'b']);
    expect(out.pending).toBe(0);
  });
});
