// The WebSocket side without a guest: refusals and limits with their close codes, and the QEMU
// websocket chardev connector against a stand-in server that records the frames it gets (16-byte
// binary input frames); qemu-websocket.test.ts runs the connector against a real QEMU.
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { connectSerial } from '../../../src/bridge/upstream/index.js';
import { makeVm } from '../../unit/serial/fakes.js';
import { ConsoleClient, SerialServer, until } from './harness.js';

describe('serial WebSocket limits and refusals', () => {
  let server: SerialServer;
  afterAll(async () => {
    await server.close();
  });

  it('closes with the catalogue codes', async () => {
    server = await SerialServer.start({ maxInputFrameBytes: 1024 });
    // A VM whose socket does not exist: clients may attach (history, waiting for the source).
    server.registry.set(
      makeVm('quiet', 'running', 1, [{ kind: 'unix', path: '/nonexistent/s.sock', mode: 'bind' }]),
    );

    const big = await ConsoleClient.open(server.url('quiet', 0));
    big.ws.send(Buffer.alloc(2048));
    await until('close', () => big.closed);
    expect(big.closed?.code).toBe(4105);
    expect(big.of('error')[0]?.code).toBe('VWC_ERR_FRAME_TOO_LARGE');

    const garbled = await ConsoleClient.open(server.url('quiet', 0));
    garbled.ws.send('{"type":"format-disk"}');
    await until('close', () => garbled.closed);
    expect(garbled.closed?.code).toBe(4106);

    const nobody = await ConsoleClient.open(server.url('nobody', 0));
    await until('close', () => nobody.closed);
    expect(nobody.closed?.code).toBe(4404);

    const noPort = await ConsoleClient.open(server.url('quiet', 3));
    await until('close', () => noPort.closed);
    expect(noPort.closed?.code).toBe(4100);

    const kept = await ConsoleClient.open(server.url('quiet', 0));
    await until('hello', () => kept.of('hello')[0]);
    server.registry.remove('quiet');
    await until('close', () => kept.closed);
    expect(kept.closed).toMatchObject({ code: 4102 });
    expect(kept.of('error')[0]?.code).toBe('VWC_ERR_DOMAIN_UNDEFINED');
  });
});

describe('QEMU websocket chardev connector', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-qws-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('speaks binary, sends input in 16-byte frames and reads output', async () => {
    const socketPath = path.join(dir, 'serial.sock');
    const frames: { size: number; binary: boolean }[] = [];
    const http0 = http.createServer();
    const wss = new WebSocketServer({
      server: http0,
      handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
    });
    let serverSide: WebSocket | undefined;
    wss.on('connection', (ws) => {
      serverSide = ws;
      ws.on('message', (data: Buffer, binary) => frames.push({ size: data.length, binary }));
      ws.send(Buffer.from('guest says hi'));
    });
    await new Promise<void>((resolve) => http0.listen(socketPath, resolve));
    const received: Buffer[] = [];
    let closed = false;
    const upstream = await connectSerial(
      { kind: 'websocket', path: socketPath },
      {
        data: (chunk) => received.push(chunk),
        drain: () => undefined,
        closed: () => {
          closed = true;
        },
      },
    );
    expect(upstream.description).toContain('qemu-websocket');
    await until('output', () => Buffer.concat(received).toString() === 'guest says hi' || undefined);
    upstream.write(Buffer.from('x'.repeat(40)));
    await until('three frames', () => frames.length === 3 || undefined);
    expect(frames).toEqual([
      { size: 16, binary: true },
      { size: 16, binary: true },
      { size: 8, binary: true },
    ]);
    serverSide?.close();
    await until('closed', () => closed);
    wss.close();
    await new Promise<void>((resolve) =>
      http0.close(() => {
        resolve();
      }),
    );
  });
});
