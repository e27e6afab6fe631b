// A VNC recording file (src/bridge/vnc/recording/format.ts) decoded in the browser: the serial
// log's records (24-byte header: type, length, offset, time; then the payload) after the magic.
// Apart from noVNC so unit tests can read it in Node.
import type { RecordingEvent } from './types.js';
const MAGIC = 'VWCVNC1\n';
const HEADER = 24;
const TYPE_DATA = 1;
const TYPE_EVENT = 2;

export type RecordingStart = Extract<RecordingEvent, { kind: 'start' }>;

export interface RecordedFrame {
  /** ms after the recording's first record. */
  readonly at: number;
  readonly data: Uint8Array;
}

export interface DecodedRecordingFile {
  readonly start: RecordingStart | null;
  readonly startTime: number;
  readonly duration: number;
  readonly frames: readonly RecordedFrame[];
  readonly endReason: string | null;
}

/** Decodes a recording file; stops at a torn last record (a recording still being written). */
export function decodeRecordingFile(buffer: ArrayBuffer): DecodedRecordingFile {
  const bytes = new Uint8Array(buffer);
  const view = new DataView(buffer);
  if (new TextDecoder('latin1').decode(bytes.subarray(0, MAGIC.length)) !== MAGIC)
    throw new Error('not a VNC recording of virt-webconsole');
  const frames: RecordedFrame[] = [];
  let start: RecordingStart | null = null;
  let endReason: string | null = null;
  let startTime = NaN;
  let last = 0;
  let at = MAGIC.length;
  while (at + HEADER <= bytes.length) {
    const type = view.getUint8(at);
    const length = view.getUint32(at + 4, true);
    const time = view.getFloat64(at + 16, true);
    const end = at + HEADER + length;
    if (end > bytes.length) break;
    if (Number.isNaN(startTime)) startTime = time;
    last = Math.max(last, time - startTime);
    const payload = bytes.subarray(at + HEADER, end);
    if (type === TYPE_DATA) frames.push({ at: time - startTime, data: payload });
    else if (type === TYPE_EVENT) {
      const event = JSON.parse(new TextDecoder().decode(payload)) as RecordingEvent;
      if (event.kind === 'start') start ??= event;
      else endReason = event.reason;
    } else break;
    at = end;
  }
  return { start, startTime, duration: last, frames, endReason };
}
