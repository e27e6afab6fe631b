// bcrypt runs in a worker thread: checks are right, the event loop stays free while one runs,
// and the queue of waiting checks is bounded.
import bcrypt from 'bcryptjs';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { createPasswordChecker } from '../../../src/http/index.js';
import { isVwcError } from '../../../src/errors/index.js';

const HASH_10 = bcrypt.hashSync('right-password', 10);
const HASH_12 = bcrypt.hashSync('slow-password', 12);

describe('password checker', () => {
  const checker = createPasswordChecker({ maxPending: 4 });
  afterAll(() => checker.close());

  it('tells a right password from a wrong one, and a malformed hash matches nothing', async () => {
    expect(await checker.compare('right-password', HASH_10)).toBe(true);
    expect(await checker.compare('wrong-password', HASH_10)).toBe(false);
    expect(await checker.compare('right-password', 'not-a-hash')).toBe(false);
  });

  it('leaves the event loop free while a check runs', async () => {
    // A cost-12 check is about half a second of CPU. On the calling thread (bcryptjs's async
    // API) the loop turns once per 100 ms slice; with the worker it turns freely meanwhile.
    let turns = 0;
    let spinning = true;
    const spin = (): void => {
      turns += 1;
      if (spinning) setImmediate(spin);
    };
    setImmediate(spin);
    const ok = await checker.compare('slow-password', HASH_12);
    spinning = false;
    expect(ok).toBe(true);
    expect(turns).toBeGreaterThan(100);
  });

  it('refuses checks beyond the waiting limit at once, and finishes the others', async () => {
    const checks = Array.from({ length: 6 }, () => checker.compare('right-password', HASH_10));
    const results = await Promise.allSettled(checks);
    const refused = results.filter(
      (r) => r.status === 'rejected' && isVwcError(r.reason, 'VWC_ERR_RATE_LIMITED'),
    );
    expect(refused).toHaveLength(2);
    expect(results.slice(0, 4).map((r) => r.status === 'fulfilled' && r.value)).toEqual([
      true,
      true,
      true,
      true,
    ]);
    // Room again once they are done.
    expect(await checker.compare('right-password', HASH_10)).toBe(true);
  });

  it('after a worker crash, fails only the checks of the crashed worker', async () => {
    const own = createPasswordChecker();
    // Fault injection: the next message the worker gets is one its handler cannot read, so it
    // throws and the thread dies (as it would on a bug or out of memory).
    const crash = vi.spyOn(Worker.prototype, 'postMessage').mockImplementationOnce(function (this: Worker) {
      crash.mockRestore();
      this.postMessage(null);
    });
    try {
      await expect(own.compare('right-password', HASH_10)).rejects.toThrow(/password check failed/);
      // A login right after the crash gets a new worker, and the old one's exit must not fail it.
      expect(await own.compare('right-password', HASH_10)).toBe(true);
    } finally {
      crash.mockRestore();
      await own.close();
    }
  });

  it('fails checks after close', async () => {
    const closing = createPasswordChecker();
    expect(await closing.compare('right-password', HASH_10)).toBe(true);
    await closing.close();
    await expect(closing.compare('right-password', HASH_10)).rejects.toThrow(/closed/);
  });
});
