// The on-disk format of a VNC session recording, apart from I/O: the serial log's record format
// (src/bridge/serial/log/records.ts: a fixed header with byte offset and wall-clock time, then
// the payload) under its own magic. One file is one recording:
//
//   MAGIC, a `start` event (domain, who, screen size), data records carrying the server→client
//   RFB stream from its first byte, in order, each with the time it arrived; an `end` event
//   when it was closed cleanly (a crash leaves none: the last record's time is the end).
//
// The stream starts with a handshake the recorder normalises (handshake.ts): protocol 3.8,
// security None, then the server's real ServerInit and everything after it, as the server sent
// it to the recorder's own connection. A player (noVNC) sees a server that asks no password.
import { randomBytes } from 'node:crypto';
import { MAGIC as LOG_MAGIC, decodeSegment, eventPayload, recordHeader } from '../../serial/log/records.js';
import type { LogRecord } from '../../serial/log/records.js';

export const RECORDING_MAGIC = Buffer.from('VWCVNC1\n', 'latin1');
export const RECORDING_EXTENSION = '.vncrec';

/** Magics differ (a serial segment is never read as a recording): same length, same records. */
if (RECORDING_MAGIC.length !== LOG_MAGIC.length) throw new Error('recording magic length');

export type RecordingEvent =
  | {
      readonly kind: 'start';
      readonly domain: string;
      /** Who started it (`config` for a domain recorded by the vncRecording.domains globs). */
      readonly by: string;
      readonly width: number;
      readonly height: number;
      /** The desktop name from ServerInit. */
      readonly name: string;
      /** The recording this one continues (a recording past maxBytesPerRecording goes on in a new file). */
      readonly continues?: string;
    }
  | {
      readonly kind: 'end';
      /** `stopped` (by someone), `domain stopped`, `size limit`, `daemon stopping`, `server closed`, `write failed`. */
      readonly reason: string;
      readonly by?: string;
    };

export type RecordingRecord = LogRecord<RecordingEvent>;

/** A recording's id: its start time (UTC, to the second) and 6 random hex digits; never a path. */
export function newRecordingId(now: number): string {
  const stamp = new Date(now)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

export function isRecordingId(text: string): boolean {
  return ID_PATTERN.test(text);
}

/** One data record (header and payload, to be written together). */
export function dataRecord(offset: number, time: number, data: Buffer): [Buffer, Buffer] {
  return [recordHeader('data', data.length, offset, time), data];
}

export function eventRecord(offset: number, time: number, event: RecordingEvent): [Buffer, Buffer] {
  const payload = eventPayload(event);
  return [recordHeader('event', payload.length, offset, time), payload];
}

export interface DecodedRecording {
  readonly start: Extract<RecordingEvent, { kind: 'start' }> | null;
  readonly end: Extract<RecordingEvent, { kind: 'end' }> | null;
  readonly startTime: number | null;
  /** Time of the last record (the end of a recording cut by a crash). */
  readonly lastTime: number | null;
  readonly records: RecordingRecord[];
  /** Bytes of the file that hold whole records. */
  readonly validBytes: number;
}

export function decodeRecording(file: Buffer): DecodedRecording {
  const { records, validBytes } = decodeSegment<RecordingEvent>(file, RECORDING_MAGIC);
  let start: DecodedRecording['start'] = null;
  let end: DecodedRecording['end'] = null;
  for (const record of records) {
    if (record.type !== 'event') continue;
    if (record.event.kind === 'start' && start === null) start = record.event;
    if (record.event.kind === 'end') end = record.event;
  }
  return {
    start,
    end,
    startTime: records[0]?.time ?? null,
    lastTime: records.at(-1)?.time ?? null,
    records,
    validBytes,
  };
}
