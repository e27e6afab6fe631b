// Shutdown ends the event streams first; the registry goes on emitting until discovery stops.
// An event for a stream that is ended (but whose request has not closed yet: a client slow to
// read) must not write after end, which emits an 'error' nobody listens to and ends the daemon.
import http from 'node:http';
import { describe, expect, it } from 'vitest';
import { ALICE, fakeVm, startHarness } from '../../../harness/http-server.js';

describe('event stream after it was ended', () => {
  it('ignores registry events and heartbeats instead of writing after end', async () => {
    const h = await startHarness();
    try {
      await new Promise<void>((resolve) => {
        http.get(`${h.base}/api/events`, { headers: { authorization: ALICE } }, (res) => {
          res.once('data', () => {
            resolve();
          });
          res.resume();
        });
      });
      expect(h.web.http.streams.size).toBe(1);
      for (const stream of h.web.http.streams) stream.end();
      h.registry.set(fakeVm('added-after-end'));
      // The harness heartbeat is 200 ms: one more would fire here too.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await h.close();
    }
  });
});
