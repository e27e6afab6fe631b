// The relay against fake VNC servers on UNIX sockets: upstream detection, backpressure,
// limits and close reasons. No libvirt needed; real sockets, real ws.
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { ERRORS } from '../../../src/errors/index.js';
import * as m from '../../unit/vnc/rfb-build.js';
import { FrameReader, clientFrame, connectRawWs } from '../../../bench/vnc-wsclient.js';
import { startHarness, vncVm, type Harness } from '../../../harness/vnc-server.js';

const GREETING = Buffer.from('RFB 003.008\n');
const HANDSHAKE = Buffer.concat([m.version(8), Buffer.of(1, 1)]);

let folder: string;
const closers: (() => void)[] = [];
let harness: Harness;

/** A raw RFB-ish server: greets, then runs `onConnection`. */
function rawServer(name: string, onConnection: (socket: net.Socket) => void): Promise<string> {
  const file = path.join(folder, `${name}.sock`);
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(GREETING);
    onConnection(socket);
  });
  closers.push(() => server.close());
  return new Promise((resolve) =>
    server.listen(file, () => {
      resolve(file);
    }),
  );
}

interface Client {
  readonly ws: WebSocket;
  readonly received: Buffer[];
  bytes(): Buffer;
  closed: Promise<{ code: number; reason: string }>;
}

async function client(vmName: string): Promise<Client> {
  const ws = new WebSocket(harness.url(vmName, 'operator'), ['binary']);
  const received: Buffer[] = [];
  ws.on('message', (data: Buffer) => received.push(data));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on('close', (code, reason) => {
      resolve({ code, reason: reason.toString() });
    });
  });
  ws.on('error', () => undefined);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, received, bytes: () => Buffer.concat(received), closed };
}

async function until(done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const targets = new Map<string, string>();

/** A harness of its own whose upstream sockets the test can watch (paused or not). */
async function harnessSeeingUpstreams(): Promise<{ own: Harness; upstreams: net.Socket[] }> {
  const upstreams: net.Socket[] = [];
  const own = await startHarness((name) => vncVm(name, { transport: 'unix', path: targets.get(name)! }), {
    connect: (options) => {
      const socket = net.connect(options);
      upstreams.push(socket);
      return socket;
    },
  });
  return { own, upstreams };
}

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-vnc-relay-'));
  harness = await startHarness(
    (name) => {
      const file = targets.get(name);
      return file ? vncVm(name, { transport: 'unix', path: file }) : undefined;
    },
    { detectMs: 300, upstreamCloseGraceMs: 200, maxFrameBytes: 64 * 1024, highWaterMark: 256 * 1024 },
  );
});
afterEach(() => {
  for (const close of closers.splice(0)) close();
});
afterAll(async () => {
  await harness.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('VNC relay with fake servers', () => {
  it('relays both ways through a raw RFB server', async () => {
    targets.set('echo', await rawServer('echo', (s) => s.on('data', (d) => s.write(d))));
    const c = await client('echo');
    c.ws.send(Buffer.concat([HANDSHAKE, m.updateRequest(true)]));
    await until(() => c.bytes().length >= 12 + 14 + 10, 'echo');
    expect(c.bytes()).toEqual(Buffer.concat([GREETING, HANDSHAKE, m.updateRequest(true)]));
    c.ws.close();
  });

  it('detects a websocket listener (silent until upgraded) and speaks WebSocket to it', async () => {
    const file = path.join(folder, 'wsl.sock');
    const server = http.createServer();
    const wss = new WebSocketServer({ server, handleProtocols: () => 'binary' });
    wss.on('connection', (ws) => {
      ws.send(GREETING);
      ws.on('message', (data: Buffer) => {
        ws.send(data);
      });
    });
    closers.push(() => {
      wss.close();
      server.closeAllConnections();
      server.close();
    });
    await new Promise<void>((resolve) => server.listen(file, resolve));
    targets.set('wsl', file);
    const c = await client('wsl');
    await until(() => c.bytes().length >= 12, 'greeting');
    c.ws.send(HANDSHAKE);
    await until(() => c.bytes().length >= 26, 'echo');
    expect(c.bytes()).toEqual(Buffer.concat([GREETING, HANDSHAKE]));
    c.ws.close();
  });

  it('falls back to raw RFB when a slow server was mistaken for a websocket listener', async () => {
    // Greets only after the detection window (300 ms here): silence, then an HTTP upgrade it
    // answers with RFB, then a plain connection.
    const file = path.join(folder, 'slow.sock');
    const server = net.createServer((socket) => {
      socket.on('error', () => undefined);
      const timer = setTimeout(() => socket.write(GREETING), 500);
      socket.on('close', () => {
        clearTimeout(timer);
      });
      socket.on('data', (d) => socket.write(d));
    });
    closers.push(() => server.close());
    await new Promise<void>((resolve) => server.listen(file, resolve));
    targets.set('slow', file);
    const c = await client('slow');
    await until(() => c.bytes().length >= 12, 'greeting');
    c.ws.send(HANDSHAKE);
    await until(() => c.bytes().length >= 26, 'echo');
    expect(c.bytes()).toEqual(Buffer.concat([GREETING, HANDSHAKE]));
    c.ws.close();
  });

  it('a browser that stops reading stops the upstream (bounded buffering), and resumes', async () => {
    let written = 0;
    let waitingForDrain = false;
    const chunk = Buffer.alloc(64 * 1024, 1);
    targets.set(
      'flood',
      await rawServer('flood', (s) => {
        const pump = (): void => {
          waitingForDrain = false;
          while (!s.destroyed) {
            written += chunk.length;
            if (!s.write(chunk)) {
              waitingForDrain = true;
              s.once('drain', pump);
              return;
            }
          }
        };
        pump();
      }),
    );
    const { own, upstreams } = await harnessSeeingUpstreams();
    try {
      const { socket, leftover } = await connectRawWs(own.port, '/ws/vnc/flood?role=operator');
      const reader = new FrameReader();
      reader.feed(leftover);
      let stall = true;
      socket.on('data', (d: Buffer) => {
        reader.feed(d);
        if (stall && reader.payloadBytes > 1024 * 1024) socket.pause(); // the browser stops reading
      });
      socket.resume();
      await until(() => socket.isPaused(), 'the first MiB');
      // The relay stops reading the server (backpressure), so the server's writes back up.
      await until(() => upstreams[0]?.isPaused() === true && waitingForDrain, 'the relay to stop reading');
      expect(written - reader.payloadBytes).toBeLessThan(32 * 1024 * 1024);
      const before = reader.payloadBytes;
      stall = false;
      socket.resume();
      await until(() => reader.payloadBytes > before + 8 * 1024 * 1024, 'flow to resume');
      socket.destroy();
    } finally {
      await own.close();
    }
  });

  it('a server that stops reading stops the browser side (bounded buffering), and resumes', async () => {
    let server: net.Socket | undefined;
    let got = 0;
    targets.set(
      'deaf',
      await rawServer('deaf', (s) => {
        server = s;
        s.pause(); // the VNC server stops reading
        s.on('data', (d) => (got += d.length));
      }),
    );
    const { own, upstreams } = await harnessSeeingUpstreams();
    try {
      const { socket } = await connectRawWs(own.port, '/ws/vnc/deaf?role=operator');
      const requests = Buffer.concat(Array.from({ length: 12 }, () => m.updateRequest(true)));
      const total = 14 + 64 * 1024 * requests.length;
      socket.write(clientFrame(HANDSHAKE));
      for (let k = 0; k < 64 * 1024; k++) socket.write(clientFrame(requests));
      await until(() => upstreams[0]?.writableNeedDrain === true, 'the upstream buffer to fill');
      // Sampled for a second: the relay keeps at most one receive batch queued upstream.
      let most = 0;
      for (let k = 0; k < 20; k++) {
        most = Math.max(most, upstreams[0]!.writableLength);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(most).toBeLessThan(4 * 1024 * 1024);
      expect(socket.writableLength).toBeGreaterThan(0);
      server!.resume();
      await until(() => got === total, 'every byte to reach the server', 30_000);
      socket.destroy();
    } finally {
      await own.close();
    }
  });

  it('closes viewers with "domain stopped" when the VM is removed', async () => {
    targets.set('removed', await rawServer('removed', () => undefined));
    const a = await client('removed');
    harness.bridge.vmRemoved(vncVm('removed', { transport: 'unix', path: targets.get('removed')! }));
    expect(await a.closed).toEqual({ code: ERRORS.VWC_ERR_DOMAIN_STOPPED.ws, reason: 'domain stopped' });
  });

  it('closes only the connection whose stream cannot be framed', async () => {
    targets.set('sink', await rawServer('sink', () => undefined));
    const good = await client('sink');
    const bad = await client('sink');
    good.ws.send(HANDSHAKE);
    bad.ws.send(Buffer.concat([HANDSHAKE, Buffer.of(7, 0, 0, 0)]));
    const { code, reason } = await bad.closed;
    expect(code).toBe(ERRORS.VWC_ERR_RFB_PROTOCOL.ws);
    expect(reason).toMatch(/unknown RFB client message type 7/);
    good.ws.send(m.updateRequest(true));
    expect(good.ws.readyState).toBe(WebSocket.OPEN);
    expect(harness.bridge.viewerCount('sink')).toBe(1);
    good.ws.close();
  });

  it('refuses frames over the size limit and text frames', async () => {
    targets.set('limits', await rawServer('limits', () => undefined));
    const big = await client('limits');
    big.ws.send(Buffer.alloc(64 * 1024 + 1));
    expect((await big.closed).code).toBe(1009);
    const text = await client('limits');
    text.ws.send('RFB 003.008\n');
    expect((await text.closed).code).toBe(1003);
  });

  it('reports a server that closes, or is not there', async () => {
    targets.set('hangup', await rawServer('hangup', (s) => s.end()));
    const hung = await client('hangup');
    expect((await hung.closed).code).toBe(ERRORS.VWC_ERR_VNC_UPSTREAM.ws);
    targets.set('missing', path.join(folder, 'missing.sock'));
    const missing = await client('missing');
    const closed = await missing.closed;
    expect(closed.code).toBe(ERRORS.VWC_ERR_VNC_UPSTREAM.ws);
    expect(closed.reason).toMatch(/missing\.sock/);
  });

  it('stop() closes every viewer with 1001 and the reason', async () => {
    targets.set('stop', await rawServer('stop', () => undefined));
    const own = await startHarness((name) => vncVm(name, { transport: 'unix', path: targets.get('stop')! }));
    const ws = new WebSocket(own.url('stop', 'viewer'), ['binary']);
    const closed = new Promise<[number, string]>((resolve) =>
      ws.on('close', (code, reason) => {
        resolve([code, reason.toString()]);
      }),
    );
    await new Promise((resolve) => ws.once('open', resolve));
    await until(() => own.bridge.viewerCount('stop') === 1, 'attach');
    await own.close();
    expect(await closed).toEqual([1001, 'test over']);
  });
});
