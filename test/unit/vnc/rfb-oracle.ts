// An independent, whole-buffer reading of a client→server RFB stream: the oracle the streaming
// filter is checked against. Simple on purpose (no chunking, no state across calls).

export interface ClientMessage {
  readonly type: number;
  readonly bytes: Buffer;
}

export interface ClientStream {
  /** ProtocolVersion, security choice, auth response: forwarded as-is. */
  readonly handshake: Buffer;
  readonly sharedFlag: number;
  readonly messages: readonly ClientMessage[];
}

/** Splits a whole client stream; `serverSecurity` is the 3.3 server's pick (else the client's byte). */
export function readClientStream(stream: Buffer, serverSecurity?: number): ClientStream {
  const minor = Number(stream.toString('latin1', 8, 11));
  let at = 12;
  let security = serverSecurity;
  if (minor >= 7) security = stream[at++];
  if (security === 2) at += 16;
  const handshake = stream.subarray(0, at);
  const sharedFlag = stream[at++]!;
  const messages: ClientMessage[] = [];
  while (at < stream.length) {
    const length = messageLength(stream.subarray(at));
    messages.push({ type: stream[at]!, bytes: stream.subarray(at, at + length) });
    at += length;
  }
  return { handshake, sharedFlag, messages };
}

const FIXED: Readonly<Record<number, number>> = { 0: 20, 3: 10, 4: 8, 5: 6, 150: 10, 250: 4 };

function messageLength(m: Buffer): number {
  const fixed = FIXED[m[0]!];
  if (fixed !== undefined) return fixed;
  switch (m[0]) {
    case 2:
      return 4 + 4 * m.readUInt16BE(2);
    case 6:
      return 8 + Math.abs(m.readInt32BE(4));
    case 248:
      return 9 + m[8]!;
    case 251:
      return 8 + 16 * m[6]!;
    case 253:
      return 4 + (m[1]! & 0x80 ? m.readUInt16BE(2) : m.readUInt16LE(2));
    case 255:
      if (m[1] === 0) return 12;
      return m.readUInt16BE(2) === 2 ? 10 : 4;
    default:
      throw new Error(`oracle: unknown type ${m[0]}`);
  }
}

/** Input messages a viewer must not get through. */
export function isInput(message: ClientMessage): boolean {
  if (message.type === 255) return message.bytes[1] === 0;
  return [4, 5, 6, 250, 251, 253].includes(message.type);
}

/** SetEncodings as the filter forwards it: ExtendedMouseButtons (-316) removed. */
export function withoutExtendedMouse(message: ClientMessage): Buffer {
  if (message.type !== 2) return message.bytes;
  const count = message.bytes.readUInt16BE(2);
  const kept: Buffer[] = [];
  for (let k = 0; k < count; k++) {
    const entry = message.bytes.subarray(4 + 4 * k, 8 + 4 * k);
    if (entry.readInt32BE(0) !== -316) kept.push(entry);
  }
  const head = Buffer.from(message.bytes.subarray(0, 4));
  head.writeUInt16BE(kept.length, 2);
  return Buffer.concat([head, ...kept]);
}

/** What the filter must forward for this stream and role. */
export function expectedOutput(stream: ClientStream, viewOnly: boolean): Buffer {
  const kept = stream.messages.filter((m) => !(viewOnly && isInput(m)));
  return Buffer.concat([stream.handshake, Buffer.of(1), ...kept.map(withoutExtendedMouse)]);
}
