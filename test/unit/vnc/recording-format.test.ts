// VNC recordings apart from any VNC server (src/bridge/vnc/recording): the recorder's handshake
// (pure), the file format written by RecordingFile and read back by the daemon's decoder and by
// the playback page's (web/lib/recording-file.ts), torn last records.
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  NOVNC_PIXEL_FORMAT,
  PLAYBACK_HANDSHAKE,
  RecorderHandshake,
  decodeRecording,
  isRecordingId,
} from '../../../src/bridge/vnc/recording/index.js';
import { RecordingFile } from '../../../src/bridge/vnc/recording/file.js';
import { dataRecord, eventRecord, newRecordingId } from '../../../src/bridge/vnc/recording/format.js';
import { decodeRecordingFile } from '../../../web/lib/recording-file.js';
import { isVwcError } from '../../../src/errors/index.js';

function serverInit(width: number, height: number, name: string): Buffer {
  const init = Buffer.alloc(24 + Buffer.byteLength(name));
  init.writeUInt16BE(width, 0);
  init.writeUInt16BE(height, 2);
  Buffer.from([32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0]).copy(init, 4);
  init.writeUInt32BE(Buffer.byteLength(name), 20);
  init.write(name, 24);
  return init;
}

const GREETING_38 = Buffer.from('RFB 003.008\n', 'latin1');

describe('RecorderHandshake', () => {
  it('speaks 3.8 with security None, asks for noVNC pixels and a full first frame', () => {
    const hs = new RecorderHandshake();
    const first = hs.push(GREETING_38);
    expect(Buffer.concat(first.reply).toString('latin1')).toBe('RFB 003.008\n');
    const second = hs.push(Buffer.from([2, 2, 1]));
    expect(second.reply).toEqual([Buffer.from([1])]);
    const third = hs.push(Buffer.from([0, 0, 0, 0]));
    expect(third.reply).toEqual([Buffer.from([1])]); // ClientInit, shared
    const update = Buffer.from([0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 2, 3, 4]);
    const done = hs.push(Buffer.concat([serverInit(720, 400, 'QEMU (guest)'), update]));
    expect(done.done).toMatchObject({ width: 720, height: 400, name: 'QEMU (guest)' });
    expect(done.done!.rest).toEqual(update);
    const [pixelFormat, encodings, request] = done.reply;
    expect(pixelFormat!.subarray(4)).toEqual(NOVNC_PIXEL_FORMAT);
    expect(encodings![0]).toBe(2);
    // Non-incremental, the whole screen.
    expect([...request!]).toEqual([3, 0, 0, 0, 0, 0, 2, 208, 1, 144]);
  });

  it('takes the server bytes one at a time as well as all at once', () => {
    const all = Buffer.concat([GREETING_38, Buffer.from([1, 1, 0, 0, 0, 0]), serverInit(640, 480, 'x')]);
    const hs = new RecorderHandshake();
    let done;
    const replies: Buffer[] = [];
    for (const byte of all) {
      const step = hs.push(Buffer.from([byte]));
      replies.push(...step.reply);
      done ??= step.done;
    }
    expect(done).toMatchObject({ width: 640, height: 480, name: 'x' });
    expect(done?.rest.length).toBe(0);
    expect(replies.length).toBe(6); // version, security type, ClientInit, pixel format, encodings, request
  });

  it('speaks 3.3 (the server chooses None)', () => {
    const hs = new RecorderHandshake();
    expect(Buffer.concat(hs.push(Buffer.from('RFB 003.003\n')).reply).toString()).toBe('RFB 003.003\n');
    const step = hs.push(Buffer.concat([Buffer.from([0, 0, 0, 1]), serverInit(800, 600, '')]));
    expect(step.done).toMatchObject({ width: 800, height: 600 });
  });

  it('refuses a password-protected screen with a reason that says so', () => {
    const hs = new RecorderHandshake();
    hs.push(GREETING_38);
    let caught: unknown;
    try {
      hs.push(Buffer.from([1, 2]));
    } catch (error) {
      caught = error;
    }
    expect(isVwcError(caught) && caught.code).toBe('VWC_ERR_RECORDING_UNAVAILABLE');
    expect(String(caught)).toMatch(/password/);
  });

  it('passes on the server refusal reason', () => {
    const hs = new RecorderHandshake();
    hs.push(GREETING_38);
    const reason = Buffer.from('too many clients');
    const refusal = Buffer.concat([Buffer.from([0, 0, 0, 0, reason.length]), reason]);
    expect(() => hs.push(refusal)).toThrow(/too many clients/);
  });

  it('refuses what is not RFB', () => {
    expect(() => new RecorderHandshake().push(Buffer.from('HTTP/1.1 400\r\n'))).toThrow(
      /not an RFB greeting/,
    );
  });
});

describe('recording files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-rec-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('ids are timestamps with a random part, and nothing else passes as one', () => {
    const id = newRecordingId(Date.UTC(2026, 11, 6, 22, 48, 51));
    expect(id).toMatch(/^20261206T224851Z-[0-9a-f]{6}$/);
    expect(isRecordingId(id)).toBe(true);
    for (const bad of ['../x', '20261206T224851Z-zzzzzz', `${id}/..`, ''])
      expect(isRecordingId(bad)).toBe(false);
  });

  it('written with writev batches and read back the same by the daemon and by the page', async () => {
    const file = path.join(dir, 'a.vncrec');
    const failures: Error[] = [];
    const writer = new RecordingFile(file, { flushMs: 5, onFailed: (e) => failures.push(e) });
    const t0 = 1_765_000_000_000;
    const first = Buffer.concat([PLAYBACK_HANDSHAKE, serverInit(720, 400, 'guest')]);
    writer.append(
      eventRecord(0, t0, {
        kind: 'start',
        domain: 'web1',
        by: 'alice',
        width: 720,
        height: 400,
        name: 'guest',
      }),
    );
    writer.append(dataRecord(0, t0, first));
    await new Promise((resolve) => setTimeout(resolve, 30)); // one flush in between
    writer.append(dataRecord(first.length, t0 + 1500, Buffer.from([0, 0, 0, 0])));
    writer.append(eventRecord(first.length + 4, t0 + 2000, { kind: 'end', reason: 'stopped', by: 'alice' }));
    await writer.close();
    expect(failures).toEqual([]);
    expect(statSync(file).size).toBe(writer.bytes);

    const decoded = decodeRecording(readFileSync(file));
    expect(decoded.start).toMatchObject({ domain: 'web1', by: 'alice', width: 720 });
    expect(decoded.end).toEqual({ kind: 'end', reason: 'stopped', by: 'alice' });
    expect(decoded.records.filter((r) => r.type === 'data').map((r) => r.offset)).toEqual([0, first.length]);

    const bytes = readFileSync(file);
    const page = decodeRecordingFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    expect(page.start?.by).toBe('alice');
    expect(page.duration).toBe(2000);
    expect(page.endReason).toBe('stopped');
    expect(page.frames.map((f) => f.at)).toEqual([0, 1500]);
    expect(Buffer.from(page.frames[0]!.data)).toEqual(first);
  });

  it('a record torn by a crash is left out by both readers', async () => {
    const file = path.join(dir, 'b.vncrec');
    const writer = new RecordingFile(file, { flushMs: 5, onFailed: () => undefined });
    writer.append(dataRecord(0, 1000, Buffer.from('RFB 003.008\n')));
    writer.append(dataRecord(12, 1100, Buffer.alloc(100, 7)));
    await writer.close();
    truncateSync(file, statSync(file).size - 10);
    expect(decodeRecording(readFileSync(file)).records).toHaveLength(1);
    const bytes = readFileSync(file);
    expect(
      decodeRecordingFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)).frames,
    ).toHaveLength(1);
  });

  it('a serial log segment is not a recording', () => {
    expect(decodeRecording(Buffer.from('VWCLOG1\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx')).records).toEqual([]);
    expect(() => decodeRecordingFile(new TextEncoder().encode('VWCLOG1\n').buffer)).toThrow(
      /not a VNC recording/,
    );
  });
});
