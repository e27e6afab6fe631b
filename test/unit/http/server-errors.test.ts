// A listening server's own errors (accept failing with EMFILE when file descriptors run out) are
// emitted on the server: they are logged, never an uncaught exception that ends the daemon.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALICE, startHarness, type Harness } from '../../../harness/http-server.js';

describe('listening server errors', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('logs an accept error and goes on serving', async () => {
    const error = Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' });
    expect(() => h.web.server.emit('error', error)).not.toThrow();
    expect(h.logs.lines.some((l) => l.msg === 'server error')).toBe(true);
    const res = await fetch(`${h.base}/api/session`, { headers: { authorization: ALICE } });
    expect(res.status).toBe(200);
  });
});
