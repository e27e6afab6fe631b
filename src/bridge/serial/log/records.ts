// The on-disk format of a serial log segment, apart from I/O. A segment is a file named by the
// byte offset of its first record (16 decimal digits + `.log`), starting with MAGIC, then
// records, each a fixed header and a payload:
//
//   type u8 | reserved u8×3 | payload length u32 LE | offset f64 LE | time f64 LE (ms since epoch)
//
// `data` records carry console bytes at `offset` (offsets are the history's: absolute and only
// growing, so a record after a hole simply starts further on); `event` records carry a JSON
// object (boot, VM state, daemon start and stop, logging stopped or resumed) at the offset where
// it happened. A record cut short by a crash is recognised and dropped on reading.

export const MAGIC = Buffer.from('VWCLOG1\n', 'latin1');
export const RECORD_HEADER_BYTES = 24;
/** Largest payload accepted on reading (a corrupt length must not make us allocate gigabytes). */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;

export type LogEvent =
  | { readonly kind: 'boot'; readonly key: string }
  | { readonly kind: 'state'; readonly state: string }
  /** The guest reset itself (an in-guest reboot: libvirt's `reboot` event). */
  | { readonly kind: 'reset' }
  | { readonly kind: 'daemon-start'; readonly unclean: boolean }
  | { readonly kind: 'daemon-stop' }
  | { readonly kind: 'log-resumed'; readonly lostFrom: number; readonly lostTo: number };

/** A record; `E` is the event payload's type (the VNC recordings reuse this format with theirs). */
export type LogRecord<E = LogEvent> =
  | { readonly type: 'data'; readonly offset: number; readonly time: number; readonly data: Buffer }
  | { readonly type: 'event'; readonly offset: number; readonly time: number; readonly event: E };

const TYPE_DATA = 1;
const TYPE_EVENT = 2;

export function segmentName(offset: number): string {
  return `${String(offset).padStart(16, '0')}.log`;
}

/** The start offset of a segment file name, or null for any other file. */
export function segmentOffset(name: string): number | null {
  const match = /^(\d{16})\.log$/.exec(name);
  return match?.[1] ? Number(match[1]) : null;
}

export function recordHeader(type: 'data' | 'event', length: number, offset: number, time: number): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeUInt8(type === 'data' ? TYPE_DATA : TYPE_EVENT, 0);
  header.writeUInt32LE(length, 4);
  header.writeDoubleLE(offset, 8);
  header.writeDoubleLE(time, 16);
  return header;
}

export function eventPayload(event: object): Buffer {
  return Buffer.from(JSON.stringify(event), 'utf8');
}

export interface DecodedSegment<E = LogEvent> {
  readonly records: LogRecord<E>[];
  /** Bytes of the file that hold whole records (after them: a torn write, or garbage). */
  readonly validBytes: number;
}

/**
 * Reads a segment's records; stops at the first incomplete or malformed one. `magic`: the first
 * bytes a file of this kind starts with (another kind of file, same records: VNC recordings).
 */
export function decodeSegment<E = LogEvent>(file: Buffer, magic: Buffer = MAGIC): DecodedSegment<E> {
  if (file.length < magic.length || !file.subarray(0, magic.length).equals(magic))
    return { records: [], validBytes: 0 };
  const records: LogRecord<E>[] = [];
  let at = magic.length;
  while (at + RECORD_HEADER_BYTES <= file.length) {
    const type = file.readUInt8(at);
    const length = file.readUInt32LE(at + 4);
    const offset = file.readDoubleLE(at + 8);
    const time = file.readDoubleLE(at + 16);
    const end = at + RECORD_HEADER_BYTES + length;
    if (length > MAX_PAYLOAD_BYTES || end > file.length || !Number.isSafeInteger(offset) || offset < 0) break;
    const payload = file.subarray(at + RECORD_HEADER_BYTES, end);
    if (type === TYPE_DATA) records.push({ type: 'data', offset, time, data: payload });
    else if (type === TYPE_EVENT) {
      let event: E;
      try {
        event = JSON.parse(payload.toString('utf8')) as E;
      } catch {
        break;
      }
      records.push({ type: 'event', offset, time, event });
    } else break;
    at = end;
  }
  return { records, validBytes: at };
}
