// A small RFB 3.8 client for tests (security None, Raw encoding only), over a ws WebSocket
// (through the bridge) or a raw socket (straight to QEMU). It parses the server stream just
// enough to count framebuffer updates.
import net from 'node:net';
import { WebSocket } from 'ws';
import * as m from '../../unit/vnc/rfb-build.js';

export interface ServerInit {
  readonly width: number;
  readonly height: number;
  readonly bytesPerPixel: number;
  readonly name: string;
}

type Waiter = () => void;

export class RfbTestClient {
  updates = 0;
  closed: { code: number; reason: string } | null = null;
  serverInit: ServerInit | null = null;
  private buffer: Buffer = Buffer.alloc(0);
  private phase: 'version' | 'security' | 'result' | 'init' | 'messages' = 'version';
  private waiters: Waiter[] = [];

  private constructor(
    private readonly sendBytes: (data: Buffer) => void,
    private readonly shared: boolean,
  ) {}

  /** Connects through a WebSocket URL (the bridge) and completes the handshake. */
  static async overWebSocket(url: string, options: { shared?: boolean } = {}): Promise<RfbTestClient> {
    const ws = new WebSocket(url, ['binary'], { perMessageDeflate: false });
    const client = new RfbTestClient((data) => {
      ws.send(data);
    }, options.shared ?? true);
    ws.on('message', (data: Buffer) => {
      client.feed(data);
    });
    ws.on('close', (code, reason) => {
      client.onClose(code, reason.toString());
    });
    ws.on('error', () => undefined);
    client.closeTransport = () => {
      ws.close();
    };
    await client.waitUntil(() => client.phase === 'messages', 'ServerInit');
    return client;
  }

  /** Connects straight to a VNC UNIX socket (no bridge, no filter). */
  static async direct(path: string, options: { shared?: boolean } = {}): Promise<RfbTestClient> {
    const socket = net.connect({ path });
    const client = new RfbTestClient((data) => socket.write(data), options.shared ?? true);
    socket.on('data', (data) => {
      client.feed(data);
    });
    socket.on('close', () => {
      client.onClose(1006, 'socket closed');
    });
    socket.on('error', () => undefined);
    client.closeTransport = () => socket.destroy();
    await client.waitUntil(() => client.phase === 'messages', 'ServerInit');
    return client;
  }

  closeTransport: () => void = () => undefined;

  send(data: Buffer): void {
    this.sendBytes(data);
  }

  /** Asks for a full update and waits until one more FramebufferUpdate has arrived. */
  async requestUpdate(timeoutMs = 20_000): Promise<void> {
    const before = this.updates;
    this.send(m.updateRequest(false, this.serverInit!.width, this.serverInit!.height));
    await this.waitUntil(() => this.updates > before, 'FramebufferUpdate', timeoutMs);
  }

  /** Types ASCII text as X11 keysyms (KeyEvent down/up), holding Shift where US layout needs it. */
  type(text: string): void {
    const keys: Buffer[] = [];
    for (const char of text) {
      const shifted = /[A-Z~!@#$%^&*()_+{}|:"<>?]/.test(char);
      if (shifted) keys.push(m.keyEvent(0xffe1, true));
      keys.push(m.keyEvent(m.keysymFor(char), true), m.keyEvent(m.keysymFor(char), false));
      if (shifted) keys.push(m.keyEvent(0xffe1, false));
    }
    this.send(Buffer.concat(keys));
  }

  async waitClosed(timeoutMs = 20_000): Promise<{ code: number; reason: string }> {
    await this.waitUntil(() => this.closed !== null, 'close', timeoutMs);
    return this.closed!;
  }

  close(): void {
    this.closeTransport();
  }

  private onClose(code: number, reason: string): void {
    this.closed ??= { code, reason };
    this.wake();
  }

  private async waitUntil(done: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.closed && what !== 'close') {
        throw new Error(
          `RFB connection closed (${this.closed.code} ${this.closed.reason}) waiting for ${what}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 500));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  private feed(data: Buffer): void {
    this.buffer = this.buffer.length === 0 ? data : Buffer.concat([this.buffer, data]);
    let used: number;
    while ((used = this.step(this.buffer)) > 0) this.buffer = this.buffer.subarray(used);
    this.wake();
  }

  /** Consumes one unit of the server stream; 0 when more bytes are needed. */
  private step(b: Buffer): number {
    switch (this.phase) {
      case 'version':
        if (b.length < 12) return 0;
        this.send(m.version(8));
        this.phase = 'security';
        return 12;
      case 'security': {
        if (b.length < 1 || b.length < 1 + b[0]!) return 0;
        const types = [...b.subarray(1, 1 + b[0]!)];
        if (!types.includes(1)) throw new Error(`server offers no None security: ${types.join(',')}`);
        this.send(Buffer.of(1));
        this.phase = 'result';
        return 1 + b[0]!;
      }
      case 'result':
        if (b.length < 4) return 0;
        if (b.readUInt32BE(0) !== 0) throw new Error('security failed');
        this.send(Buffer.of(this.shared ? 1 : 0));
        this.phase = 'init';
        return 4;
      case 'init': {
        if (b.length < 24 || b.length < 24 + b.readUInt32BE(20)) return 0;
        const nameLength = b.readUInt32BE(20);
        this.serverInit = {
          width: b.readUInt16BE(0),
          height: b.readUInt16BE(2),
          bytesPerPixel: b[4]! / 8,
          name: b.toString('utf8', 24, 24 + nameLength),
        };
        this.send(Buffer.concat([m.setEncodings([0]), m.updateRequest(false, this.serverInit.width, 1)]));
        this.phase = 'messages';
        return 24 + nameLength;
      }
      case 'messages':
        return this.serverMessage(b);
    }
  }

  private serverMessage(b: Buffer): number {
    if (b.length < 1) return 0;
    switch (b[0]) {
      case 0: {
        if (b.length < 4) return 0;
        let at = 4;
        for (let r = 0; r < b.readUInt16BE(2); r++) {
          if (b.length < at + 12) return 0;
          const w = b.readUInt16BE(at + 4);
          const h = b.readUInt16BE(at + 6);
          const encoding = b.readInt32BE(at + 8);
          at += 12 + (encoding === 0 ? w * h * this.serverInit!.bytesPerPixel : 0);
          if (b.length < at) return 0;
        }
        this.updates += 1;
        return at;
      }
      case 1:
        return b.length < 6 || b.length < 6 + 6 * b.readUInt16BE(4) ? 0 : 6 + 6 * b.readUInt16BE(4);
      case 2:
        return 1;
      case 3:
        return b.length < 8 || b.length < 8 + b.readUInt32BE(4) ? 0 : 8 + b.readUInt32BE(4);
      default:
        throw new Error(`test client: unexpected server message ${b[0]}`);
    }
  }
}
