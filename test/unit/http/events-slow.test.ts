// A list page that stops reading its event stream must not make the daemon buffer every
// registry change forever: past a bound the stream is cut (EventSource reconnects by itself
// and gets a fresh snapshot), and the daemon goes on serving new streams.
import http from 'node:http';
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ALICE, fakeVm, startHarness, type Harness } from '../../../harness/http-server.js';

/** Far beyond the daemon's bound plus what loopback socket buffers hold. */
const GIVE_UP_BYTES = 64 * 1024 * 1024;
const PAYLOAD = 'x'.repeat(256 * 1024);

/** Opens /api/events on a raw socket and resolves once the snapshot arrived. */
function openStream(base: string): Promise<net.Socket> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', reject);
    socket.write(`GET /api/events HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: ${ALICE}\r\n\r\n`);
    let seen = '';
    const onData = (chunk: Buffer): void => {
      seen += chunk.toString('latin1');
      if (!seen.includes('event: snapshot')) return;
      socket.off('data', onData);
      resolve(socket);
    };
    socket.on('data', onData);
  });
}

/** Resolves with the first event of a fresh stream. */
function firstEvent(h: Harness): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(`${h.base}/api/events`, { headers: { authorization: ALICE } }, (res) => {
        res.once('data', (chunk: Buffer) => {
          resolve(chunk.toString());
          res.destroy();
        });
      })
      .on('error', reject);
  });
}

describe('event stream to a client that stops reading', () => {
  it('is cut past the bound, and the daemon serves a new stream', async () => {
    const h = await startHarness();
    const socket = await openStream(h.base);
    try {
      socket.pause();
      expect(h.web.http.streams.size).toBe(1);
      let emitted = 0;
      for (let i = 0; h.web.http.streams.size > 0 && emitted < GIVE_UP_BYTES; i += 1) {
        h.registry.set(fakeVm('big', { description: `${i} ${PAYLOAD}` }));
        emitted += PAYLOAD.length;
        await new Promise((r) => setImmediate(r));
      }
      expect(h.web.http.streams.size).toBe(0);
      // The client reads what the kernel still held, then sees the end of the connection.
      const closed = new Promise<void>((resolve) => {
        socket.once('close', () => {
          resolve();
        });
      });
      socket.on('data', () => undefined);
      socket.resume();
      await closed;

      h.registry.set(fakeVm('after'));
      const first = await firstEvent(h);
      expect(first).toContain('event: snapshot');
      expect(first).toContain('"name":"after"');
    } finally {
      socket.destroy();
      await h.close();
    }
  });
});
