// Every byte from the VNC server reaches the browser intact and in order while the browser keeps
// stopping and starting to read: the relay reuses one read buffer and writes frames on the
// browser's socket in place, so a buffer overwritten while the socket still holds part of a
// frame would show here as wrong bytes. Over plain TCP and over TLS (a TLSSocket under ws).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { selfSignedCert } from '../../../harness/tls.js';
import { startHarness, vncVm, type Harness } from '../../../harness/vnc-server.js';

const GREETING = Buffer.from('RFB 003.008\n');
const TOTAL = 24 * 1024 * 1024;
/** Server write sizes, cycled: small and large, so frames of every header length go out. */
const WRITE_SIZES = [1, 100, 5000, 64 * 1024, 200 * 1024, 125, 126, 65535, 65536];

/** The byte at stream offset `k`: differs between neighbours and between 256-byte blocks. */
const patternByte = (k: number): number => (k ^ (k >>> 8) ^ (k >>> 16) ^ (k >>> 24)) & 0xff;

function patterned(offset: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = patternByte(offset + i);
  return out;
}

let folder: string;
let server: net.Server;
let cert: Buffer;
let key: Buffer;

beforeAll(async () => {
  folder = mkdtempSync(path.join(os.tmpdir(), 'vwc-vnc-integrity-'));
  const files = selfSignedCert(folder);
  cert = readFileSync(files.cert);
  key = readFileSync(files.key);
  server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(GREETING);
    let sent = 0;
    let turn = 0;
    const pump = (): void => {
      while (sent < TOTAL && !socket.destroyed) {
        const length = Math.min(WRITE_SIZES[turn++ % WRITE_SIZES.length]!, TOTAL - sent);
        const ok = socket.write(patterned(sent, length));
        sent += length;
        if (!ok) {
          socket.once('drain', pump);
          return;
        }
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(path.join(folder, 'pattern.sock'), resolve));
});
afterAll(() => {
  server.close();
  rmSync(folder, { recursive: true, force: true });
});

/** Reads the whole stream, pausing 30 ms after every 2 MiB; returns the first mismatch, if any. */
async function readThrough(harness: Harness): Promise<{ received: number; firstBad: number | null }> {
  const ws = new WebSocket(harness.url('pattern', 'operator'), ['binary'], { ca: cert });
  let received = 0;
  let firstBad: number | null = null;
  let nextPause = 2 * 1024 * 1024;
  await new Promise<void>((resolve, reject) => {
    ws.on('error', reject);
    ws.on('message', (data: Buffer) => {
      for (const byte of data) {
        const expected =
          received < GREETING.length ? GREETING[received]! : patternByte(received - GREETING.length);
        if (firstBad === null && byte !== expected) firstBad = received;
        received += 1;
      }
      if (received >= GREETING.length + TOTAL) {
        ws.close();
        resolve();
      } else if (received >= nextPause) {
        nextPause += 2 * 1024 * 1024;
        ws.pause();
        setTimeout(() => {
          ws.resume();
        }, 30);
      }
    });
  });
  return { received, firstBad };
}

describe.each([
  ['plain TCP', false],
  ['TLS', true],
])('VNC relay byte integrity over %s', (_name, tls) => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness(
      (name) =>
        name === 'pattern'
          ? vncVm(name, { transport: 'unix', path: path.join(folder, 'pattern.sock') })
          : undefined,
      tls ? { tls: { cert, key } } : {},
    );
  });
  afterAll(async () => {
    await harness.close();
  });

  it('delivers every byte in order while the browser keeps pausing', async () => {
    const { received, firstBad } = await readThrough(harness);
    expect(firstBad).toBeNull();
    expect(received).toBe(GREETING.length + TOTAL);
  });
});
