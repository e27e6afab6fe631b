// A minimal WebSocket client for the bench: it counts payload bytes without copying them, so
// the relay under test, not the client, is the bottleneck. Client frames are masked with an
// all-zero key (legal, and the payload stays as is). Over TLS (`dial.ca` given) reads come as
// 'data' events: the client's cost is not what the bench measures, the relay's process is.
import net from 'node:net';
import tls from 'node:tls';

/** How the bench reaches a relay: plain TCP, or TLS trusting `ca`. */
export interface Dial {
  readonly ca?: Buffer;
  /** Extra upgrade request headers (e.g. the daemon's Basic authorization). */
  readonly headers?: Readonly<Record<string, string>>;
}

function open(port: number, dial: Dial, onread?: net.OnReadOpts): net.Socket {
  if (dial.ca) return tls.connect({ host: '127.0.0.1', port, ca: dial.ca });
  return net.connect({ host: '127.0.0.1', port, ...(onread ? { onread } : {}) });
}

export interface RawWs {
  readonly socket: net.Socket;
  /** Bytes received after the HTTP response (start of the frame stream). */
  readonly leftover: Buffer;
}

function upgradeRequest(port: number, path: string, dial: Dial): string {
  const extra = Object.entries(dial.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`);
  return (
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
    `Sec-WebSocket-Protocol: binary\r\n${extra.join('')}\r\n`
  );
}

async function connected(socket: net.Socket): Promise<void> {
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    socket.once(socket instanceof tls.TLSSocket ? 'secureConnect' : 'connect', resolve);
    socket.once('error', reject);
  });
}

export async function connectRawWs(port: number, path: string, dial: Dial = {}): Promise<RawWs> {
  const socket = open(port, dial);
  await connected(socket);
  socket.write(upgradeRequest(port, path, dial));
  let head = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      socket.pause();
      const status = head.toString('latin1', 0, head.indexOf('\r\n'));
      if (!status.includes(' 101 ')) {
        reject(new Error(`upgrade refused: ${status}`));
        return;
      }
      resolve({ socket, leftover: head.subarray(end + 4) });
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

/**
 * A reading client as cheap as Node allows: reads into one reused buffer (`onread`, 1 MiB unless
 * given; clients may share one, as each read is handed on synchronously), each handed to
 * `reader` (which must not keep it). Resolves once upgraded.
 */
export async function connectFastReader(
  port: number,
  path: string,
  reader: FrameReader,
  buffer: Buffer = Buffer.allocUnsafe(1024 * 1024),
  dial: Dial = {},
): Promise<net.Socket> {
  let head: Buffer | null = Buffer.alloc(0);
  let upgraded: (() => void) | null = null;
  const feed = (chunk: Buffer): void => {
    if (head === null) {
      reader.feed(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf('\r\n\r\n');
    if (end >= 0) {
      reader.feed(head.subarray(end + 4));
      head = null;
      upgraded?.();
    }
  };
  const socket = open(port, dial, {
    buffer,
    callback: (nread: number) => {
      feed(buffer.subarray(0, nread));
      return true;
    },
  });
  if (dial.ca) socket.on('data', feed);
  await connected(socket);
  const done = new Promise<void>((resolve) => (upgraded = resolve));
  socket.write(upgradeRequest(port, path, dial));
  await done;
  return socket;
}

/** One binary frame, client to server (masked with key 0). */
export function clientFrame(payload: Buffer): Buffer {
  if (payload.length < 126)
    return Buffer.concat([Buffer.of(0x82, 0x80 | payload.length, 0, 0, 0, 0), payload]);
  if (payload.length > 0xffff) throw new Error('bench frames are small');
  const header = Buffer.of(0x82, 0x80 | 126, 0, 0, 0, 0, 0, 0);
  header.writeUInt16BE(payload.length, 2);
  return Buffer.concat([header, payload]);
}

/** Streams server frames and counts their payload bytes (and hands payloads out if asked). */
export class FrameReader {
  payloadBytes = 0;
  private head = Buffer.alloc(0);
  private left = 0;
  private opcode = 0;

  /**
   * `onPayload` gets each piece of a frame's payload as it arrives (a view of the read: copy what
   * you keep), the frame's opcode (2 binary, 1 text) and whether the piece ends the frame.
   */
  constructor(private readonly onPayload?: (payload: Buffer, opcode: number, ends: boolean) => void) {}

  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.left > 0) {
        const take = Math.min(this.left, chunk.length - at);
        if (this.opcode === 2) this.payloadBytes += take;
        this.left -= take;
        this.onPayload?.(chunk.subarray(at, at + take), this.opcode, this.left === 0);
        at += take;
        continue;
      }
      // Frame header: collect up to 10 bytes (server frames are unmasked).
      const need = this.headerLength(chunk, at);
      if (need === 0) {
        this.head = Buffer.concat([this.head, chunk.subarray(at)]);
        return;
      }
      const header =
        this.head.length > 0 ? Buffer.concat([this.head, chunk.subarray(at)]) : chunk.subarray(at);
      const consumed = need - this.head.length;
      this.head = Buffer.alloc(0);
      const len7 = header[1]! & 0x7f;
      this.opcode = header[0]! & 0x0f;
      this.left =
        len7 < 126 ? len7 : len7 === 126 ? header.readUInt16BE(2) : Number(header.readBigUInt64BE(2));
      if (this.opcode === 0x8) this.left = 0; // close frame: ignore its payload
      at += consumed;
    }
  }

  /** Total header length once enough bytes are present, else 0. */
  private headerLength(chunk: Buffer, at: number): number {
    const have = this.head.length + chunk.length - at;
    if (have < 2) return 0;
    const second = this.head.length >= 2 ? this.head[1]! : chunk[at + 1 - this.head.length]!;
    const len7 = second & 0x7f;
    const need = len7 < 126 ? 2 : len7 === 126 ? 4 : 10;
    return have >= need ? need : 0;
  }
}
