// The VNC bridge refusing a viewer after the handshake: the close reason is cut to the
// WebSocket limit of 123 bytes of UTF-8 (a domain name may be non-ASCII), never thrown.
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { createVncBridge } from '../../../src/bridge/vnc/index.js';
import { VwcError } from '../../../src/errors/index.js';
import { fakeVm } from '../../../harness/http-server.js';

describe('VNC bridge refusal', () => {
  let wss: WebSocketServer;
  let url: string;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => {
      wss.once('listening', resolve);
    });
    url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise((resolve) => {
      wss.close(resolve);
    });
  });

  it('closes with the error code and a reason of at most 123 bytes for a non-ASCII domain name', async () => {
    const bridge = createVncBridge({
      logger: pino({ level: 'silent' }),
      maxViewersPerVm: 4,
      maxFrameBytes: 1 << 20,
    });
    const server = new Promise<[WebSocket, Duplex]>((resolve) =>
      wss.once('connection', (ws, req) => {
        resolve([ws, req.socket]);
      }),
    );
    const client = new WebSocket(url);
    const closed = new Promise<{ code: number; reason: Buffer }>((resolve) =>
      client.once('close', (code, reason) => {
        resolve({ code, reason });
      }),
    );
    const [ws, socket] = await server;
    // The VNC address is not known yet: the refusal names the domain.
    const vm = fakeVm('虚拟机'.repeat(30), {
      vnc: { target: null, websocketPort: null, passwordSet: false },
    });
    expect(() => {
      bridge.attach(ws, socket, vm, { user: 'alice', role: 'operator', clientAddress: '127.0.0.1' });
    }).not.toThrow();
    const { code, reason } = await closed;
    expect(code).toBe(new VwcError('VWC_ERR_VNC_UNAVAILABLE', '').wsCloseCode);
    expect(reason.length).toBeGreaterThan(0);
    expect(reason.length).toBeLessThanOrEqual(123);
    expect(reason.toString()).toMatch(/^the VNC address of 虚拟机/);
  });
});
