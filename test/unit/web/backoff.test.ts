// Reconnect delays of the console views.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Backoff, Retry } from '../../../web/lib/backoff.js';

describe('Backoff', () => {
  it('doubles from 1 s up to 30 s and resets', () => {
    const backoff = new Backoff();
    const delays = Array.from({ length: 8 }, () => backoff.next());
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    backoff.reset();
    expect(backoff.next()).toBe(1000);
  });
});

describe('Retry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs after the delay, or at once when asked', () => {
    vi.useFakeTimers();
    const run = vi.fn();
    const retry = new Retry(run);
    expect(retry.schedule()).toBe(1000);
    expect(retry.pending).toBe(true);
    vi.advanceTimersByTime(999);
    expect(run).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(retry.pending).toBe(false);

    expect(retry.schedule()).toBe(2000);
    retry.now();
    expect(run).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(5000);
    expect(run).toHaveBeenCalledTimes(2);
    retry.now();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it('cancels', () => {
    vi.useFakeTimers();
    const run = vi.fn();
    const retry = new Retry(run);
    retry.schedule();
    retry.cancel();
    vi.advanceTimersByTime(60_000);
    expect(run).not.toHaveBeenCalled();
  });
});
