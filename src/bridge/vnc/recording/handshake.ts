// The recorder's side of an RFB handshake (RFC 6143 §7.1-7.3), apart from I/O: server bytes in,
// client bytes out. The recorder is a VNC client of its own: shared, security None, or VNC
// authentication when the server asks for it and the daemon knows the VM's password (libvirt's
// `<graphics passwd=…>`), then the pixel format and encodings noVNC decodes, and a first
// non-incremental FramebufferUpdateRequest, so every recording starts with a whole screen.
import { VwcError } from '../../../errors/index.js';
import { vncAuthResponse } from './des.js';

export interface ServerInitInfo {
  /** The ServerInit message as the server sent it (width, height, pixel format, name). */
  readonly serverInit: Buffer;
  readonly width: number;
  readonly height: number;
  readonly name: string;
}

export interface HandshakeStep {
  /** Bytes to send to the server now (may be empty). */
  readonly reply: Buffer[];
  /** Set once ServerInit is complete; `rest` holds the server bytes after it. */
  readonly done?: ServerInitInfo & { readonly rest: Buffer };
}

/**
 * The pixel format noVNC asks for (noVNC core/rfb.js `pixelFormat(sock, 24, true)`): 32 bits per
 * pixel, depth 24, little-endian, true colour, 8 bits each, red at 0, green 8, blue 16. A player
 * that is noVNC then draws the recorded pixels as they are.
 */
export const NOVNC_PIXEL_FORMAT = Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 0, 8, 16, 0, 0, 0]);

/**
 * Encodings noVNC decodes, lossless ones first (no JPEG quality level is sent, so QEMU's Tight
 * stays lossless), then DesktopSize and LastRect.
 */
export const RECORDER_ENCODINGS: readonly number[] = [7, 16, 6, 5, 0, -223, -224];

const SECURITY_NONE = 1;
const SECURITY_VNC = 2;

function unavailable(message: string): VwcError {
  return new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', message);
}

function protocolError(message: string): VwcError {
  return new VwcError('VWC_ERR_RFB_PROTOCOL', `VNC server: ${message}`);
}

/** SetPixelFormat, SetEncodings and a FramebufferUpdateRequest (incremental or not). */
export function setupMessages(width: number, height: number): Buffer[] {
  const pixelFormat = Buffer.concat([Buffer.from([0, 0, 0, 0]), NOVNC_PIXEL_FORMAT]);
  const encodings = Buffer.alloc(4 + 4 * RECORDER_ENCODINGS.length);
  encodings[0] = 2;
  encodings.writeUInt16BE(RECORDER_ENCODINGS.length, 2);
  RECORDER_ENCODINGS.forEach((encoding, i) => encodings.writeInt32BE(encoding, 4 + 4 * i));
  return [pixelFormat, encodings, updateRequest(false, width, height)];
}

export function updateRequest(incremental: boolean, width: number, height: number): Buffer {
  const message = Buffer.alloc(10);
  message[0] = 3;
  message[1] = incremental ? 1 : 0;
  message.writeUInt16BE(Math.min(width, 0xffff), 6);
  message.writeUInt16BE(Math.min(height, 0xffff), 8);
  return message;
}

/**
 * What a recording starts with instead of the real handshake: protocol 3.8, one security type
 * (None), SecurityResult OK. The server's ServerInit follows.
 */
export const PLAYBACK_HANDSHAKE = Buffer.concat([
  Buffer.from('RFB 003.008\n', 'latin1'),
  Buffer.from([1, SECURITY_NONE]),
  Buffer.from([0, 0, 0, 0]),
]);

type Phase = 'version' | 'security' | 'challenge' | 'result' | 'serverinit' | 'done';

export class RecorderHandshake {
  private phase: Phase = 'version';
  private version: '3.3' | '3.7' | '3.8' = '3.8';
  private buffer: Buffer = Buffer.alloc(0);
  /** Set once the recorder answered a VNC authentication challenge: a failure is the password's. */
  private authenticated = false;

  /**
   * `password`: the VM's VNC password, when the daemon knows one; without it a server that asks
   * for VNC authentication is refused. Held here only for the challenge, never written out.
   */
  constructor(private readonly password: string | null = null) {}

  /** Server bytes; throws VwcError when the server refuses or asks for what the recorder lacks. */
  push(chunk: Buffer): HandshakeStep {
    if (this.phase === 'done') throw new Error('handshake already done');
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const reply: Buffer[] = [];
    for (;;) {
      const before: Phase = this.phase;
      const done = this.step(reply);
      if (done) return { reply, done };
      if (this.phase === before) return { reply };
    }
  }

  private take(n: number): Buffer {
    const head = this.buffer.subarray(0, n);
    this.buffer = this.buffer.subarray(n);
    return head;
  }

  /** One phase, if its bytes are all there; returns the ServerInit when complete. */
  private step(reply: Buffer[]): HandshakeStep['done'] {
    const b = this.buffer;
    switch (this.phase) {
      case 'version': {
        if (b.length < 12) return undefined;
        const text = this.take(12).toString('latin1');
        const match = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
        if (!match || Number(match[1]) !== 3)
          throw protocolError(`not an RFB greeting: ${JSON.stringify(text)}`);
        const minor = Number(match[2]);
        this.version = minor >= 8 ? '3.8' : minor === 7 ? '3.7' : '3.3';
        reply.push(Buffer.from(`RFB 003.00${this.version.slice(2)}\n`, 'latin1'));
        this.phase = 'security';
        return undefined;
      }
      case 'security':
        return this.version === '3.3' ? this.security33(reply) : this.securityList(reply);
      case 'challenge': {
        if (b.length < 16) return undefined;
        reply.push(vncAuthResponse(this.password ?? '', this.take(16)));
        this.authenticated = true;
        this.phase = 'result';
        return undefined;
      }
      case 'result': {
        if (b.length < 4) return undefined;
        if (b.readUInt32BE(0) !== 0) {
          // Only 3.8 sends a reason; 3.3 and 3.7 close the connection after a failed result.
          const hasReason = this.version === '3.8';
          if (hasReason && (b.length < 8 || b.length < 8 + b.readUInt32BE(4))) return undefined;
          const reason = hasReason ? reasonOf(b, 4) : 'authentication failed';
          throw unavailable(
            this.authenticated
              ? `the VM's VNC password was refused by its VNC server (${reason}); was it changed since the VM started?`
              : `the VNC server refused the recorder: ${reason}`,
          );
        }
        this.take(4);
        this.clientInit(reply);
        return undefined;
      }
      case 'serverinit': {
        if (b.length < 24) return undefined;
        const nameLength = b.readUInt32BE(20);
        if (nameLength > 64 * 1024) throw protocolError(`desktop name of ${nameLength} bytes`);
        if (b.length < 24 + nameLength) return undefined;
        const serverInit = Buffer.from(this.take(24 + nameLength));
        this.phase = 'done';
        const width = serverInit.readUInt16BE(0);
        const height = serverInit.readUInt16BE(2);
        reply.push(...setupMessages(width, height));
        return {
          serverInit,
          width,
          height,
          name: serverInit.subarray(24).toString('utf8'),
          rest: Buffer.from(this.buffer),
        };
      }
      default:
        return undefined;
    }
  }

  private securityList(reply: Buffer[]): HandshakeStep['done'] {
    const b = this.buffer;
    if (b.length < 1) return undefined;
    const count = b[0]!;
    if (count === 0) {
      if (b.length < 5 || b.length < 5 + b.readUInt32BE(1)) return undefined;
      throw unavailable(`the VNC server refused the recorder: ${reasonOf(b, 1)}`);
    }
    if (b.length < 1 + count) return undefined;
    const types = [...this.take(1 + count).subarray(1)];
    // None when offered (nothing to get wrong), else VNC authentication with a known password.
    if (types.includes(SECURITY_NONE)) {
      reply.push(Buffer.from([SECURITY_NONE]));
      if (this.version === '3.8') this.phase = 'result';
      else this.clientInit(reply);
      return undefined;
    }
    if (types.includes(SECURITY_VNC) && this.password !== null) {
      reply.push(Buffer.from([SECURITY_VNC]));
      this.phase = 'challenge';
      return undefined;
    }
    throw noNone(types);
  }

  private security33(reply: Buffer[]): HandshakeStep['done'] {
    const b = this.buffer;
    if (b.length < 4) return undefined;
    const type = b.readUInt32BE(0);
    if (type === 0) {
      if (b.length < 8 || b.length < 8 + b.readUInt32BE(4)) return undefined;
      throw unavailable(`the VNC server refused the recorder: ${reasonOf(b, 4)}`);
    }
    this.take(4);
    if (type === SECURITY_VNC && this.password !== null) {
      this.phase = 'challenge';
      return undefined;
    }
    if (type !== SECURITY_NONE) throw noNone([type]);
    this.clientInit(reply);
    return undefined;
  }

  private clientInit(reply: Buffer[]): void {
    reply.push(Buffer.from([1])); // shared: never disconnect the viewers
    this.phase = 'serverinit';
  }
}

function reasonOf(b: Buffer, at: number): string {
  return b
    .subarray(at + 4, at + 4 + b.readUInt32BE(at))
    .toString('utf8')
    .replace(/\0+$/, '');
}

function noNone(types: readonly number[]): VwcError {
  return unavailable(
    types.includes(SECURITY_VNC)
      ? 'the VNC screen is protected by a password the daemon does not know (only libvirt domains give theirs), so it cannot record it'
      : `the VNC server offers no security type the recorder speaks (None, VNC authentication); it offers ${types.join(', ')}`,
  );
}
