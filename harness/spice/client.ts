// A raw SPICE client for tests and the bench: links one channel (over the daemon's WebSocket or
// straight to QEMU's socket), authenticates (RSA-OAEP ticket, empty when no password), then
// reads mini-header messages, answering SET_ACK / ACK windows and PING like spice-html5 does.
// Enough to open every channel, count display traffic and type on the inputs channel.
import { constants, createPublicKey, publicEncrypt } from 'node:crypto';
import net from 'node:net';
import { WebSocket } from 'ws';
import { CHANNEL } from '../../src/bridge/spice/protocol.js';

export { CHANNEL };

const MAGIC = 0x51444552;
/** AUTH_SELECTION | AUTH_SPICE | MINI_HEADER. */
const CLIENT_CAPS = (1 << 0) | (1 << 1) | (1 << 3);

/** A client's SpiceLinkHeader + SpiceLinkMess for one channel, with the caps this client speaks. */
export function linkMessage(channelType: number, channelId = 0, connectionId = 0): Buffer {
  const body = Buffer.alloc(18 + 4);
  body.writeUInt32LE(connectionId, 0);
  body[4] = channelType;
  body[5] = channelId;
  body.writeUInt32LE(1, 6); // one common caps word
  body.writeUInt32LE(0, 10); // no channel caps
  body.writeUInt32LE(18, 14); // caps right after the fixed part
  body.writeUInt32LE(CLIENT_CAPS, 18);
  const header = Buffer.alloc(16);
  header.writeUInt32LE(MAGIC, 0);
  header.writeUInt32LE(2, 4);
  header.writeUInt32LE(2, 8);
  header.writeUInt32LE(body.length, 12);
  return Buffer.concat([header, body]);
}

export interface SpiceMessage {
  readonly type: number;
  readonly data: Buffer;
}

interface Transport {
  send(data: Buffer): void;
  close(): void;
}

export interface LinkOptions {
  readonly channelType: number;
  readonly channelId?: number;
  readonly connectionId?: number;
  readonly password?: string;
  /** Keep only the message count and bytes, not the messages (bench floods). */
  readonly countOnly?: boolean;
}

export class SpiceTestChannel {
  private buffered: Buffer = Buffer.alloc(0);
  private stage: 'reply' | 'result' | 'messages' = 'reply';
  private pubKey: Buffer | null = null;
  readonly messages: SpiceMessage[] = [];
  messageCount = 0;
  bytes = 0;
  /** Server's link error (SpiceLinkReply.error or the auth result), 0 when linked. */
  linkError: number | null = null;
  closed: { code: number; reason: string } | null = null;
  private ackWindow = 0;
  private untilAck = 0;
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly transport: Transport,
    private readonly options: LinkOptions,
  ) {}

  /** Opens the channel through a WebSocket URL (the daemon's /ws/spice/<domain>). */
  static async overWebSocket(
    url: string,
    options: LinkOptions,
    headers: Record<string, string> = {},
  ): Promise<SpiceTestChannel> {
    const ws = new WebSocket(url, ['binary'], { perMessageDeflate: false, headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => {
        resolve();
      });
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => {
        reject(new Error(`upgrade refused: HTTP ${res.statusCode}`));
      });
    });
    const channel = new SpiceTestChannel(
      {
        send: (data) => {
          ws.send(data);
        },
        close: () => {
          ws.close();
        },
      },
      options,
    );
    ws.on('message', (data: Buffer) => {
      channel.receive(data);
    });
    ws.on('close', (code, reason) => {
      channel.ended(code, reason.toString());
    });
    ws.on('error', () => undefined);
    channel.sendLink();
    return channel;
  }

  /** Opens the channel straight to QEMU (control tests, the bench's baseline). */
  static async direct(target: net.NetConnectOpts, options: LinkOptions): Promise<SpiceTestChannel> {
    const socket = net.connect(target);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const channel = new SpiceTestChannel(
      { send: (data) => socket.write(data), close: () => socket.destroy() },
      options,
    );
    socket.on('data', (data) => {
      channel.receive(data);
    });
    socket.on('close', () => {
      channel.ended(1006, 'socket closed');
    });
    socket.on('error', () => undefined);
    channel.sendLink();
    return channel;
  }

  private sendLink(): void {
    this.transport.send(
      linkMessage(this.options.channelType, this.options.channelId ?? 0, this.options.connectionId ?? 0),
    );
  }

  private receive(data: Buffer): void {
    this.bytes += data.length;
    this.buffered = this.buffered.length === 0 ? data : Buffer.concat([this.buffered, data]);
    for (;;) {
      if (this.stage === 'reply') {
        if (this.buffered.length < 16) return;
        const size = this.buffered.readUInt32LE(12);
        if (this.buffered.length < 16 + size) return;
        const body = this.buffered.subarray(16, 16 + size);
        this.buffered = this.buffered.subarray(16 + size);
        const error = body.readUInt32LE(0);
        if (error !== 0) {
          this.linkError = error;
          this.wake();
          return;
        }
        this.pubKey = Buffer.from(body.subarray(4, 166));
        const mechanism = Buffer.alloc(4);
        mechanism.writeUInt32LE(1, 0);
        this.transport.send(Buffer.concat([mechanism, this.ticket()]));
        this.stage = 'result';
      } else if (this.stage === 'result') {
        if (this.buffered.length < 4) return;
        this.linkError = this.buffered.readUInt32LE(0);
        this.buffered = this.buffered.subarray(4);
        this.stage = 'messages';
        if (this.linkError === 0 && this.options.channelType === 2) this.sendDisplayInit();
        this.wake();
      } else {
        if (this.buffered.length < 6) return;
        const size = this.buffered.readUInt32LE(2);
        if (this.buffered.length < 6 + size) return;
        const type = this.buffered.readUInt16LE(0);
        const payload = this.buffered.subarray(6, 6 + size);
        this.buffered = this.buffered.subarray(6 + size);
        this.handle(type, payload);
      }
    }
  }

  private ticket(): Buffer {
    const password = Buffer.from(`${this.options.password ?? ''}\0`);
    return publicEncrypt(
      {
        key: createPublicKey({ key: this.pubKey!, format: 'der', type: 'spki' }),
        padding: constants.RSA_PKCS1_OAEP_PADDING,
      },
      password,
    );
  }

  private handle(type: number, payload: Buffer): void {
    this.messageCount += 1;
    if (!this.options.countOnly) this.messages.push({ type, data: Buffer.from(payload) });
    if (type === 3) {
      // SET_ACK: generation, window → ACK_SYNC(generation); then an ACK every `window` messages.
      this.ackWindow = payload.readUInt32LE(4);
      this.untilAck = this.ackWindow;
      this.send(1, payload.subarray(0, 4));
    } else if (type === 4) {
      // PING: id, timestamp → PONG with the same.
      this.send(3, payload.subarray(0, 12));
    }
    if (this.ackWindow > 0 && type !== 3) {
      this.untilAck -= 1;
      if (this.untilAck <= 0) {
        this.untilAck = this.ackWindow;
        this.send(2, Buffer.alloc(0));
      }
    }
    this.wake();
  }

  private sendDisplayInit(): void {
    const init = Buffer.alloc(14);
    init[0] = 1; // pixmap cache id
    init.writeBigInt64LE(BigInt(10 * 1024 * 1024), 1);
    init[9] = 0; // glz dictionary id
    init.writeInt32LE(0, 10);
    this.send(101, init);
  }

  /** Sends one mini-header message. */
  send(type: number, payload: Buffer): void {
    const header = Buffer.alloc(6);
    header.writeUInt16LE(type, 0);
    header.writeUInt32LE(payload.length, 2);
    this.transport.send(Buffer.concat([header, payload]));
  }

  /** Sends raw bytes (protocol tests). */
  sendRaw(data: Buffer): void {
    this.transport.send(data);
  }

  private ended(code: number, reason: string): void {
    this.closed ??= { code, reason };
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves when `test` holds (checked on every event), rejects after `timeoutMs`. */
  waitUntil(test: () => boolean, timeoutMs = 30_000, what = 'condition'): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what} (closed: ${JSON.stringify(this.closed)}, link error ${this.linkError})`,
          ),
        );
      }, timeoutMs);
      const check = (): void => {
        if (!test()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the link to succeed (auth result 0). */
  async linked(timeoutMs = 30_000): Promise<void> {
    await this.waitUntil(() => this.linkError !== null || this.closed !== null, timeoutMs, 'the link');
    if (this.linkError !== 0)
      throw new Error(`link failed: error ${this.linkError}, closed ${JSON.stringify(this.closed)}`);
  }

  waitMessage(type: number, timeoutMs = 30_000): Promise<SpiceMessage> {
    return this.waitUntil(
      () => this.messages.some((m) => m.type === type),
      timeoutMs,
      `message ${type}`,
    ).then(() => this.messages.find((m) => m.type === type)!);
  }

  waitClosed(timeoutMs = 30_000): Promise<{ code: number; reason: string }> {
    return this.waitUntil(() => this.closed !== null, timeoutMs, 'close').then(() => this.closed!);
  }

  close(): void {
    this.transport.close();
  }
}

/** SPICE_MSG_MAIN_INIT's session id: the connection id every other channel links with. */
export function sessionIdOf(mainInit: SpiceMessage): number {
  return mainInit.data.readUInt32LE(0);
}

/** The channels SPICE_MSG_MAIN_CHANNELS_LIST names, as [type, id]. */
export function channelsOf(list: SpiceMessage): [number, number][] {
  const count = list.data.readUInt32LE(0);
  return Array.from({ length: count }, (_, i) => [list.data[4 + 2 * i]!, list.data[5 + 2 * i]!]);
}

/** PC/AT set-1 scancodes for what the tests type (lower case, digits, space, symbols used). */
const SCANCODES: Record<string, [number, boolean]> = {
  ' ': [0x39, false],
  '\n': [0x1c, false],
  '-': [0x0c, false],
  '/': [0x35, false],
  '.': [0x34, false],
  '>': [0x34, true],
};

// Rows of the US layout: each starts at a scancode and runs on one by one.
for (const [row, first] of [
  ['1234567890', 0x02],
  ['qwertyuiop', 0x10],
  ['asdfghjkl', 0x1e],
  ['zxcvbnm', 0x2c],
] as const) {
  for (let i = 0; i < row.length; i++) {
    const char = row.charAt(i);
    SCANCODES[char] = [first + i, false];
    if (char !== char.toUpperCase()) SCANCODES[char.toUpperCase()] = [first + i, true];
  }
}

/**
 * Types `text` on an inputs channel: KEY_DOWN (101) / KEY_UP (102) with set-1 scancodes, one key
 * every `paceMs` as a person (and spice-html5) would: QEMU pushes SPICE keys into the PS/2
 * queue with no delay of its own, and a burst overflows it (measured: keys lost).
 */
export async function typeOnInputs(inputs: SpiceTestChannel, text: string, paceMs = 15): Promise<void> {
  const key = (code: number, down: boolean): void => {
    const payload = Buffer.alloc(4);
    payload.writeUInt32LE(down ? code : code | 0x80, 0);
    inputs.send(down ? 101 : 102, payload);
  };
  for (const char of text) {
    const entry = SCANCODES[char];
    if (!entry) throw new Error(`no scancode for ${JSON.stringify(char)}`);
    const [code, shift] = entry;
    if (shift) key(0x2a, true);
    key(code, true);
    key(code, false);
    if (shift) key(0x2a, false);
    await new Promise((resolve) => setTimeout(resolve, paceMs));
  }
}
