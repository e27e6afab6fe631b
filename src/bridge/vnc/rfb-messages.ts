// Framing of RFB client-to-server messages (RFC 6143 §7.5 plus the extensions QEMU and noVNC
// use). Pure functions over a byte window: given the first bytes of a message they say how long
// it is, or that more header bytes are needed. The filter (rfb-filter.ts) drives them.
import { VwcError } from '../../errors/index.js';
import type { InputKind } from './control.js';

export const MSG = {
  SetPixelFormat: 0,
  SetEncodings: 2,
  FramebufferUpdateRequest: 3,
  KeyEvent: 4,
  PointerEvent: 5,
  ClientCutText: 6,
  EnableContinuousUpdates: 150,
  Fence: 248,
  Xvp: 250,
  SetDesktopSize: 251,
  Gii: 253,
  Qemu: 255,
} as const;

/** QEMU message 255 subtypes and the audio sub-operations. */
export const QEMU_EXTENDED_KEY = 0;
export const QEMU_AUDIO = 1;
const QEMU_AUDIO_ENABLE = 0;
const QEMU_AUDIO_DISABLE = 1;
const QEMU_AUDIO_SET_FORMAT = 2;

/**
 * The ExtendedMouseButtons pseudo-encoding. Once a server confirms it, a PointerEvent whose mask
 * has bit 7 set is 7 bytes instead of 6 — a length the client stream alone cannot tell. The
 * filter strips it from SetEncodings so the server never confirms it and PointerEvent stays 6.
 */
export const ENCODING_EXTENDED_MOUSE_BUTTONS = -316;

/** More header bytes are needed before the message length is known. */
export const NEED_MORE = -1;

/** Longest header frameLength ever needs (Fence: type, 3 padding, flags, payload length). */
export const MAX_HEADER = 9;

function protocolError(message: string): VwcError {
  return new VwcError('VWC_ERR_RFB_PROTOCOL', message);
}

/**
 * Total length of the message starting at `buf[start]`, from the `avail` bytes present, or
 * NEED_MORE. Throws VWC_ERR_RFB_PROTOCOL for a type it cannot frame (the stream is lost).
 */
export function frameLength(buf: Buffer, start: number, avail: number, maxCutText: number): number {
  const type = buf[start]!;
  switch (type) {
    case MSG.SetPixelFormat:
      return 20;
    case MSG.FramebufferUpdateRequest:
    case MSG.EnableContinuousUpdates:
      return 10;
    case MSG.KeyEvent:
      return 8;
    case MSG.PointerEvent:
      return 6;
    case MSG.Xvp:
      return 4;
    case MSG.SetEncodings:
      return avail < 4 ? NEED_MORE : 4 + 4 * buf.readUInt16BE(start + 2);
    case MSG.ClientCutText: {
      if (avail < 8) return NEED_MORE;
      // A negative length is the extended-clipboard form; its payload is |length| bytes.
      const length = Math.abs(buf.readInt32BE(start + 4));
      if (length > maxCutText) {
        throw protocolError(`clipboard text of ${length} bytes exceeds the ${maxCutText}-byte limit`);
      }
      return 8 + length;
    }
    case MSG.Fence: {
      if (avail < 9) return NEED_MORE;
      const length = buf[start + 8]!;
      if (length > 64) throw protocolError(`Fence payload of ${length} bytes (at most 64)`);
      return 9 + length;
    }
    case MSG.SetDesktopSize:
      return avail < 7 ? NEED_MORE : 8 + 16 * buf[start + 6]!;
    case MSG.Gii: {
      if (avail < 4) return NEED_MORE;
      // Bit 7 of the second byte says the length is big-endian.
      const bigEndian = (buf[start + 1]! & 0x80) !== 0;
      return 4 + (bigEndian ? buf.readUInt16BE(start + 2) : buf.readUInt16LE(start + 2));
    }
    case MSG.Qemu:
      return qemuLength(buf, start, avail);
    default:
      throw protocolError(`unknown RFB client message type ${type}`);
  }
}

function qemuLength(buf: Buffer, start: number, avail: number): number {
  if (avail < 2) return NEED_MORE;
  const subtype = buf[start + 1]!;
  if (subtype === QEMU_EXTENDED_KEY) return 12;
  if (subtype !== QEMU_AUDIO) throw protocolError(`unknown QEMU client message subtype ${subtype}`);
  if (avail < 4) return NEED_MORE;
  const operation = buf.readUInt16BE(start + 2);
  if (operation === QEMU_AUDIO_ENABLE || operation === QEMU_AUDIO_DISABLE) return 4;
  if (operation === QEMU_AUDIO_SET_FORMAT) return 10;
  throw protocolError(`unknown QEMU audio operation ${operation}`);
}

/**
 * Whether the message (framed, so its subtype byte is present) acts on the guest: keys, pointer,
 * clipboard, resize, power (xvp), GII input devices. A viewer's are dropped.
 */
export function isInputMessage(buf: Buffer, start: number): boolean {
  const type = buf[start]!;
  switch (type) {
    case MSG.KeyEvent:
    case MSG.PointerEvent:
    case MSG.ClientCutText:
    case MSG.Xvp:
    case MSG.SetDesktopSize:
    case MSG.Gii:
      return true;
    case MSG.Qemu:
      return buf[start + 1] === QEMU_EXTENDED_KEY;
    default:
      return false;
  }
}

/**
 * What an input message (isInputMessage) does, for the input lock. A PointerEvent whose button
 * byte is not in `avail` yet (split across reads) counts as a move: it then takes no free lock.
 */
export function inputKind(buf: Buffer, start: number, avail: number): InputKind {
  const type = buf[start]!;
  if (type === MSG.KeyEvent || type === MSG.Qemu) return 'key';
  if (type === MSG.PointerEvent) return avail >= 2 && buf[start + 1] !== 0 ? 'click' : 'move';
  return 'other';
}

/** SetEncodings without ExtendedMouseButtons (see ENCODING_EXTENDED_MOUSE_BUTTONS); a new buffer. */
export function stripExtendedMouseButtons(message: Buffer): Buffer {
  const count = message.readUInt16BE(2);
  const kept: number[] = [];
  for (let k = 0; k < count; k++) {
    const encoding = message.readInt32BE(4 + 4 * k);
    if (encoding !== ENCODING_EXTENDED_MOUSE_BUTTONS) kept.push(encoding);
  }
  if (kept.length === count) return message;
  const out = Buffer.alloc(4 + 4 * kept.length);
  out[0] = MSG.SetEncodings;
  out.writeUInt16BE(kept.length, 2);
  kept.forEach((encoding, k) => out.writeInt32BE(encoding, 4 + 4 * k));
  return out;
}
