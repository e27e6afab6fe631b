// A QEMU websocket VNC upstream that has not finished its handshake: browser bytes written
// meanwhile are queued, and the queue reports backpressure (write() false, then drain once the
// upstream opens) instead of growing without bound.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { openUpstream } from '../../../src/bridge/vnc/upstream.js';

describe('VNC websocket upstream before its handshake completes', () => {
  let server: http.Server;
  let port: number;
  const wss = new WebSocketServer({ noServer: true });
  let held: (() => void) | null = null;
  let serverSide: Promise<WebSocket>;
  beforeAll(async () => {
    server = http.createServer();
    serverSide = new Promise((resolve) => {
      server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
        // Answer only when the test says so: the upstream stays in its handshake.
        held = () => {
          wss.handleUpgrade(req, socket, head, resolve);
        };
      });
    });
    await new Promise<void>((resolve) => {
      server.listen(0, '127.0.0.1', resolve);
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    server.closeAllConnections();
    await new Promise((resolve) => {
      server.close(resolve);
    });
  });

  it('says wait beyond the high-water mark and drains once open', async () => {
    let drains = 0;
    const upstream = openUpstream(
      {
        target: { transport: 'tcp', host: '127.0.0.1', port },
        connect: (o) => net.connect(o),
        detectMs: 100,
        maxFrameBytes: 1 << 20,
        highWaterMark: 64 * 1024,
      },
      {
        data: () => undefined,
        drain: () => {
          drains += 1;
        },
        end: () => undefined,
      },
    );
    try {
      const deadline = Date.now() + 5000;
      while (held === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(upstream.kind).toBe('websocket');
      const chunk = Buffer.alloc(16 * 1024, 1);
      let accepted = 0;
      for (let i = 0; i < 64; i++) {
        if (!upstream.write([chunk])) break;
        accepted += chunk.length;
      }
      // Not all 1 MiB was taken without a word: the caller was told to wait.
      expect(accepted).toBeLessThan(64 * chunk.length);
      expect(drains).toBe(0);
      held!();
      const ws = await serverSide;
      let received = 0;
      ws.on('message', (data: Buffer) => (received += data.length));
      const until = Date.now() + 5000;
      while ((drains === 0 || received < accepted + chunk.length) && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
      }
      expect(drains).toBeGreaterThan(0);
      // Everything written, including the chunk that crossed the mark, arrived in order.
      expect(received).toBe(accepted + chunk.length);
    } finally {
      upstream.close();
    }
  });
});
