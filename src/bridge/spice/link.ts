// Reads a channel's SpiceLinkMess from the first browser bytes (pure; any chunking). The bridge
// decides on it before any byte reaches QEMU: which channel, for which session.
import { VwcError } from '../../errors/index.js';
import {
  CAP_AUTH_SELECTION,
  CAP_MINI_HEADER,
  LINK_HEADER_BYTES,
  LINK_MESS_BYTES,
  SPICE_MAGIC,
  SPICE_VERSION_MAJOR,
} from './protocol.js';

/** A SpiceLinkMess body is a few dozen bytes; anything near this is not a SPICE client. */
export const MAX_LINK_BYTES = 4096;

export interface SpiceLink {
  /** 0 on the main channel (a new session); the session id on the others. */
  readonly connectionId: number;
  readonly channelType: number;
  readonly channelId: number;
  /** First word of the client's common capabilities. */
  readonly commonCaps: number;
}

function protocolError(what: string): VwcError {
  return new VwcError('VWC_ERR_SPICE_PROTOCOL', `not a SPICE link message: ${what}`);
}

/** Accumulates browser bytes until the link message is whole. */
export class LinkReader {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;

  /** All bytes pushed so far (the link message and whatever followed it), in order. */
  get buffered(): readonly Buffer[] {
    return this.chunks;
  }

  /** Adds bytes; the link once whole, null while more are needed. Throws VwcError on garbage. */
  push(chunk: Buffer): SpiceLink | null {
    this.chunks.push(chunk);
    this.bytes += chunk.length;
    if (this.bytes < LINK_HEADER_BYTES) return null;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.bytes);
    return parseLink(all);
  }
}

/** The link message at the start of `data`, null when it is not whole yet. */
export function parseLink(data: Buffer): SpiceLink | null {
  if (data.length < LINK_HEADER_BYTES) return null;
  if (data.readUInt32LE(0) !== SPICE_MAGIC) throw protocolError('bad magic');
  const major = data.readUInt32LE(4);
  if (major !== SPICE_VERSION_MAJOR) throw protocolError(`protocol version ${major}`);
  const size = data.readUInt32LE(12);
  if (size < LINK_MESS_BYTES || size > MAX_LINK_BYTES) throw protocolError(`size ${size}`);
  if (data.length < LINK_HEADER_BYTES + size) return null;
  const body = data.subarray(LINK_HEADER_BYTES, LINK_HEADER_BYTES + size);
  const numCommonCaps = body.readUInt32LE(6);
  const numChannelCaps = body.readUInt32LE(10);
  const capsOffset = body.readUInt32LE(14);
  if (capsOffset + 4 * (numCommonCaps + numChannelCaps) > size)
    throw protocolError('caps beyond the message');
  return {
    connectionId: body.readUInt32LE(0),
    channelType: body[4]!,
    channelId: body[5]!,
    commonCaps: numCommonCaps > 0 ? body.readUInt32LE(capsOffset) : 0,
  };
}

/** The server's common capabilities from its SpiceLinkReply, null while it is not whole. */
export function parseLinkReplyCaps(data: Buffer): { error: number; commonCaps: number } | null {
  if (data.length < LINK_HEADER_BYTES) return null;
  if (data.readUInt32LE(0) !== SPICE_MAGIC) throw protocolError('bad magic in the server reply');
  const size = data.readUInt32LE(12);
  if (size > MAX_LINK_BYTES) throw protocolError(`server reply size ${size}`);
  if (data.length < LINK_HEADER_BYTES + size) return null;
  const body = data.subarray(LINK_HEADER_BYTES, LINK_HEADER_BYTES + size);
  const error = body.readUInt32LE(0);
  if (size < 178) return { error, commonCaps: 0 };
  const numCommonCaps = body.readUInt32LE(166);
  const capsOffset = body.readUInt32LE(174);
  const commonCaps = numCommonCaps > 0 && capsOffset + 4 <= size ? body.readUInt32LE(capsOffset) : 0;
  return { error, commonCaps };
}

export function hasCap(caps: number, bit: number): boolean {
  return ((caps >>> bit) & 1) === 1;
}

export { CAP_AUTH_SELECTION, CAP_MINI_HEADER };
