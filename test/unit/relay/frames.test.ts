// Server frames written straight on the socket under a WebSocket (src/bridge/relay/frames.ts), read by a
// real ws client: every length encoding, in place (in the headroom) and with a separate header,
// and the flush signal when the client stops reading.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { BrowserFrames, FRAME_HEADROOM } from '../../../src/bridge/relay/index.js';

let server: http.Server;
let port: number;
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
let nextSocket: ((socket: Duplex) => void) | null = null;

beforeAll(async () => {
  server = http.createServer();
  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    wss.handleUpgrade(req, socket, head, () => nextSocket?.(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

async function connect(): Promise<{ client: WebSocket; socket: Duplex }> {
  const accepted = new Promise<Duplex>((resolve) => (nextSocket = resolve));
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false });
  const [socket] = await Promise.all([accepted, new Promise((resolve) => client.once('open', resolve))]);
  return { client, socket };
}

/** `payload` preceded by `headroom` bytes of 0xee in one buffer, as a raw upstream reads it. */
function withHeadroom(payload: Buffer, headroom: number): Buffer {
  const memory = Buffer.alloc(headroom + payload.length, 0xee);
  payload.copy(memory, headroom);
  return memory.subarray(headroom);
}

describe('BrowserFrames', () => {
  it('frames every length encoding so that ws reads each payload back, header in place or not', async () => {
    const { client, socket } = await connect();
    const received: Buffer[] = [];
    client.on('message', (data: Buffer, isBinary) => {
      expect(isBinary).toBe(true);
      received.push(data);
    });
    const frames = new BrowserFrames(socket, () => undefined);
    const lengths = [1, 125, 126, 127, 65535, 65536, 300_000];
    const sent: Buffer[] = [];
    for (const headroom of [FRAME_HEADROOM, 4, 0]) {
      for (const length of lengths) {
        const payload = Buffer.alloc(length);
        for (let k = 0; k < length; k++) payload[k] = (k * 31 + length) & 0xff;
        const memory = withHeadroom(payload, headroom);
        frames.write(memory, headroom);
        sent.push(payload);
      }
    }
    const deadline = Date.now() + 5000;
    while (received.length < sent.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(received.map((b) => b.length)).toEqual(sent.map((b) => b.length));
    for (const [k, payload] of sent.entries()) expect(received[k]!.equals(payload)).toBe(true);
    client.close();
  });

  it('writes the header only into the headroom it is given', () => {
    const written: Buffer[] = [];
    const sink = {
      writableLength: 0,
      write: (b: Buffer) => written.push(Buffer.from(b)),
    } as unknown as Duplex;
    const memory = Buffer.alloc(20 + 200, 0xee);
    const payload = memory.subarray(20);
    new BrowserFrames(sink, () => undefined).write(payload, 4); // 200 bytes: a 4-byte header
    expect([...memory.subarray(0, 16)]).toEqual(new Array(16).fill(0xee));
    expect([...memory.subarray(16, 20)]).toEqual([0x82, 126, 0, 200]);
    expect(written).toHaveLength(1);
    expect(written[0]!.length).toBe(204);
  });

  it('says when a frame is queued and calls onFlushed once the client reads it all', async () => {
    const { client, socket } = await connect();
    client.pause(); // the browser stops reading its TCP socket
    let flushed = 0;
    const frames = new BrowserFrames(socket, () => (flushed += 1));
    const chunk = withHeadroom(Buffer.alloc(256 * 1024, 5), FRAME_HEADROOM);
    let writes = 0;
    while (frames.write(chunk, FRAME_HEADROOM)) {
      writes += 1;
      if (writes > 4096) throw new Error('the kernel took 1 GiB from a paused reader');
    }
    expect(socket.writableLength).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(flushed).toBe(0);
    let received = 0;
    client.on('message', (data: Buffer) => (received += data.length));
    client.resume();
    const deadline = Date.now() + 5000;
    while (flushed === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(flushed).toBe(1);
    expect(socket.writableLength).toBe(0);
    while (received < (writes + 1) * chunk.length && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe((writes + 1) * chunk.length);
    client.close();
  });
});
