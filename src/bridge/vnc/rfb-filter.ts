// The RFB client-message filter: a pure state machine over the browser→server byte stream.
// It follows the handshake (ProtocolVersion, security choice, VNC-auth response, ClientInit)
// and then frames every client message, so that the server, not noVNC, decides what a viewer
// may do. Bytes are forwarded as subarrays of the input chunks (no copies) except the few
// bytes of a header split across chunks and the rare messages it rewrites.
//
// What it needs from the server side: only in RFB 3.3 does the server, not the client, pick
// the security type (a U32 right after the server's 12-byte ProtocolVersion). The relay feeds
// server→client chunks to observeServer() while `needsServer` is true — the first 16 bytes at
// most — and then never again.
import { VwcError } from '../../errors/index.js';
import type { InputKind } from './control.js';
import {
  MSG,
  NEED_MORE,
  frameLength,
  inputKind,
  isInputMessage,
  stripExtendedMouseButtons,
} from './rfb-messages.js';

export type RfbVersion = '3.3' | '3.7' | '3.8';

export const SECURITY_NONE = 1;
export const SECURITY_VNC_AUTH = 2;

const SECURITY_NAMES: Readonly<Record<number, string>> = {
  5: 'RA2',
  6: 'RA2ne',
  16: 'Tight',
  18: 'TLS',
  19: 'VeNCrypt',
  20: 'SASL',
  22: 'XVP',
  30: 'Apple ARD',
  113: 'MSLogonII',
};

export interface RfbFilterOptions {
  /** Drop key, pointer, clipboard, resize, power (xvp) and GII messages. */
  readonly viewOnly: boolean;
  /** Longest ClientCutText payload accepted (bytes). Default 10 MiB. */
  readonly maxCutTextBytes?: number;
  /**
   * Asked for each input message of an operator (the VNC input lock, control.ts): false drops
   * it. Absent: every operator input passes.
   */
  readonly inputGate?: (kind: InputKind) => boolean;
}

type Phase = 'version' | 'security' | 'await-server' | 'vnc-auth' | 'init' | 'messages' | 'refused';
/** What happens to the rest of the current message. */
type Mode = 'pass' | 'drop' | 'collect';

const VERSION_LENGTH = 12;
const VNC_AUTH_RESPONSE = 16;
/** Server bytes the filter may need: ProtocolVersion (12) + the 3.3 security type (4). */
const SERVER_BYTES_NEEDED = 16;

export class RfbClientFilter {
  /** The version the client speaks (it picks one at most the server's), once known. */
  version: RfbVersion | null = null;
  /** The client's ClientInit asked for exclusive access (shared = 0); forwarded as shared = 1. */
  exclusiveRequested = false;
  messagesForwarded = 0;
  messagesDropped = 0;

  private phase: Phase = 'version';
  private failure: VwcError | null = null;
  private readonly viewOnly: boolean;
  private readonly maxCutText: number;
  private readonly inputGate: ((kind: InputKind) => boolean) | undefined;
  /** Header bytes of a message (or the version string) split across chunks. */
  private readonly head = Buffer.alloc(16);
  private headLength = 0;
  private remaining = 0;
  private mode: Mode = 'pass';
  private collected: Buffer[] = [];
  private readonly serverHead = Buffer.alloc(SERVER_BYTES_NEEDED);
  private serverSeen = 0;
  private serverSecurity: number | null = null;

  constructor(options: RfbFilterOptions) {
    this.viewOnly = options.viewOnly;
    this.maxCutText = options.maxCutTextBytes ?? 10 * 1024 * 1024;
    this.inputGate = options.inputGate;
  }

  /** True while observeServer() still needs server→client bytes (at most the first 16). */
  get needsServer(): boolean {
    return this.serverSecurity === null && (this.version === null || this.version === '3.3');
  }

  /**
   * Filters one chunk of client bytes, appending what to forward to `out` (in order).
   * Throws VwcError (VWC_ERR_RFB_PROTOCOL / VWC_ERR_RFB_SECURITY_UNSUPPORTED) when the stream
   * cannot be framed; every later call throws the same error.
   */
  push(chunk: Buffer, out: Buffer[]): void {
    if (this.failure) throw this.failure;
    try {
      let i = 0;
      while (i < chunk.length) {
        i = this.phase === 'messages' ? this.messages(chunk, i, out) : this.handshake(chunk, i, out);
      }
    } catch (error) {
      if (error instanceof VwcError) this.failure = error;
      throw error;
    }
  }

  /** Feeds server→client bytes while `needsServer`; cheap no-op afterwards. */
  observeServer(chunk: Buffer): void {
    if (!this.needsServer || this.serverSeen >= SERVER_BYTES_NEEDED) return;
    const take = Math.min(chunk.length, SERVER_BYTES_NEEDED - this.serverSeen);
    chunk.copy(this.serverHead, this.serverSeen, 0, take);
    this.serverSeen += take;
    if (this.serverSeen < SERVER_BYTES_NEEDED) return;
    this.serverSecurity = this.serverHead.readUInt32BE(VERSION_LENGTH);
    if (this.phase === 'await-server') this.afterSecurity(this.serverSecurity, 'the server');
  }

  // -- handshake ------------------------------------------------------------------------------

  private handshake(chunk: Buffer, i: number, out: Buffer[]): number {
    switch (this.phase) {
      case 'version': {
        const take = Math.min(VERSION_LENGTH - this.headLength, chunk.length - i);
        chunk.copy(this.head, this.headLength, i, i + take);
        this.headLength += take;
        if (this.headLength === VERSION_LENGTH) {
          this.headLength = 0;
          const text = this.head.toString('latin1', 0, VERSION_LENGTH);
          this.version = parseVersion(text);
          out.push(Buffer.from(text, 'latin1'));
          if (this.version !== '3.3') this.phase = 'security';
          else if (this.serverSecurity !== null) this.afterSecurity(this.serverSecurity, 'the server');
          else this.phase = 'await-server';
        }
        return i + take;
      }
      case 'security': {
        const type = chunk[i]!;
        out.push(chunk.subarray(i, i + 1));
        this.afterSecurity(type, 'the browser');
        return i + 1;
      }
      case 'vnc-auth': {
        const take = Math.min(this.remaining, chunk.length - i);
        out.push(chunk.subarray(i, i + take));
        this.remaining -= take;
        if (this.remaining === 0) this.phase = 'init';
        return i + take;
      }
      case 'init':
        // ClientInit: shared flag. Forced to 1: with QEMU's default share policy an exclusive
        // client disconnects every other viewer of the VM.
        this.exclusiveRequested = chunk[i] === 0;
        out.push(Buffer.of(1));
        this.phase = 'messages';
        return i + 1;
      case 'await-server':
        // A 3.3 client must read the server's security type before it can say anything.
        throw new VwcError('VWC_ERR_RFB_PROTOCOL', 'RFB 3.3 client spoke before the server chose security');
      case 'refused':
        throw new VwcError('VWC_ERR_RFB_PROTOCOL', 'client spoke after the server refused the connection');
      case 'messages':
        return i;
    }
  }

  private afterSecurity(type: number, chooser: string): void {
    if (type === SECURITY_NONE) {
      this.phase = 'init';
    } else if (type === SECURITY_VNC_AUTH) {
      this.phase = 'vnc-auth';
      this.remaining = VNC_AUTH_RESPONSE;
    } else if (type === 0 && chooser === 'the server') {
      this.phase = 'refused'; // the server sends its reason and closes
    } else {
      const name = SECURITY_NAMES[type] ?? 'unknown';
      throw new VwcError(
        'VWC_ERR_RFB_SECURITY_UNSUPPORTED',
        `${chooser} chose VNC security type ${type} (${name}); only None and VNC password can be ` +
          'filtered for view-only and shared access',
      );
    }
  }

  // -- messages -------------------------------------------------------------------------------

  /** Filters from `i` to the end of the chunk (or until a phase change); returns the new index. */
  private messages(chunk: Buffer, i: number, out: Buffer[]): number {
    const n = chunk.length;
    // [segment, i) are bytes to forward unchanged, emitted as one subarray.
    let segment = i;
    if (this.headLength > 0) {
      i = this.continueHeader(chunk, i, out);
      segment = i;
    }
    while (i < n) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, n - i);
        if (this.mode === 'collect') this.collected.push(chunk.subarray(i, i + take));
        i += take;
        this.remaining -= take;
        if (this.mode !== 'pass') segment = i;
        if (this.remaining === 0 && this.mode === 'collect') out.push(this.finishCollect());
        continue;
      }
      const total = frameLength(chunk, i, n - i, this.maxCutText);
      if (total === NEED_MORE) {
        emit(out, chunk, segment, i);
        chunk.copy(this.head, 0, i, n);
        this.headLength = n - i;
        return n;
      }
      const mode = this.modeFor(chunk, i, n - i);
      if (mode !== 'pass') {
        emit(out, chunk, segment, i);
        segment = i;
      }
      this.mode = mode;
      this.remaining = total;
    }
    emit(out, chunk, segment, i);
    return i;
  }

  /** Completes a header split across chunks, one byte at a time (at most MAX_HEADER bytes). */
  private continueHeader(chunk: Buffer, i: number, out: Buffer[]): number {
    let total = NEED_MORE;
    while (total === NEED_MORE && i < chunk.length) {
      this.head[this.headLength++] = chunk[i++]!;
      total = frameLength(this.head, 0, this.headLength, this.maxCutText);
    }
    if (total === NEED_MORE) return i;
    const head = Buffer.from(this.head.subarray(0, this.headLength));
    this.headLength = 0;
    this.mode = this.modeFor(head, 0, head.length);
    this.remaining = total - head.length;
    if (this.mode === 'pass') out.push(head);
    else if (this.mode === 'collect') this.collected.push(head);
    if (this.remaining === 0 && this.mode === 'collect') out.push(this.finishCollect());
    return i;
  }

  /** `avail`: bytes of the message present at `start` (at least its framing header). */
  private modeFor(buf: Buffer, start: number, avail: number): Mode {
    if (isInputMessage(buf, start)) {
      if (this.viewOnly || (this.inputGate && !this.inputGate(inputKind(buf, start, avail)))) {
        this.messagesDropped += 1;
        return 'drop';
      }
    }
    this.messagesForwarded += 1;
    return buf[start] === MSG.SetEncodings ? 'collect' : 'pass';
  }

  private finishCollect(): Buffer {
    const message = this.collected.length === 1 ? this.collected[0]! : Buffer.concat(this.collected);
    this.collected = [];
    return stripExtendedMouseButtons(message);
  }
}

function emit(out: Buffer[], chunk: Buffer, from: number, to: number): void {
  if (to > from) out.push(from === 0 && to === chunk.length ? chunk : chunk.subarray(from, to));
}

/** Accepts what QEMU and noVNC speak; 3.4-3.6 (UltraVNC and friends) behave as 3.3. */
function parseVersion(text: string): RfbVersion {
  const match = /^RFB (\d{3})\.(\d{3})\n$/.exec(text);
  const major = Number(match?.[1]);
  const minor = Number(match?.[2]);
  if (major === 3 && minor >= 3 && minor <= 6) return '3.3';
  if (major === 3 && minor === 7) return '3.7';
  if (major === 3 && (minor === 8 || minor === 889)) return '3.8';
  throw new VwcError('VWC_ERR_RFB_PROTOCOL', `unsupported RFB ProtocolVersion ${JSON.stringify(text)}`);
}
