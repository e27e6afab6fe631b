// The serial log on disk (src/bridge/serial/log): the record format, a port's log written and
// read back, and a mux whose history and offsets go on across a restart (a new mux on the same
// folder), byte-exact after a clean stop.
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SerialMux, serialOptions } from '../../../src/bridge/serial/index.js';
import {
  LogExporter,
  PortLog,
  SerialLogStore,
  decodeSegment,
  domainFolder,
  segmentName,
  type LogRecord,
} from '../../../src/bridge/serial/log/index.js';
import { FakeClient, FakeConnector, alice, makeVm, settle, silentLogger } from './fakes.js';

const OPTIONS = {
  flushMs: 10,
  segmentBytes: 4096,
  maxBytes: 64 * 1024,
  maxAgeMs: 0,
  maxPendingBytes: 1024 * 1024,
  retryMs: 20,
};
const LIMITS = { headBytes: 1024, tailBytes: 4096 };

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-log-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `check` holds (timers and the thread pool are slow on a loaded machine). */
async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('serial log records', () => {
  it('reads back what was written and cuts a torn last record', async () => {
    const log = new PortLog(dir, OPTIONS, { logger: silentLogger, now: () => 1000 });
    expect(log.load(LIMITS)).toBeNull();
    log.append(0, Buffer.from('hello '));
    log.event(6, { kind: 'state', state: 'running' });
    log.append(6, Buffer.from('world'));
    await log.close();
    const file = path.join(dir, segmentName(0));
    const { records, validBytes } = decodeSegment(readFileSync(file));
    expect(validBytes).toBe(statSync(file).size);
    expect(records.map((r) => (r.type === 'data' ? r.data.toString() : r.event.kind))).toEqual([
      'hello ',
      'state',
      'world',
      'daemon-stop',
    ]);
    expect(records[0]).toMatchObject({ offset: 0, time: 1000 });
    // A crash in the middle of a write leaves half a record: it is not a record.
    truncateSync(file, statSync(file).size - 3);
    expect(decodeSegment(readFileSync(file)).records.map((r) => r.type)).toEqual(['data', 'event', 'data']);
    expect(decodeSegment(Buffer.from('not a log')).records).toEqual([]);
  });

  it('names domain folders readably, never as a path of their own', () => {
    expect(domainFolder('web-01')).toMatch(/^web-01-[0-9a-f]{12}$/);
    expect(domainFolder('../../etc')).toMatch(/^[^./][^/]*-[0-9a-f]{12}$/);
    expect(domainFolder('a/b')).not.toBe(domainFolder('a_b'));
  });
});

describe('PortLog', () => {
  it('restores the tail, the boot head and the end after a clean stop; a crash cuts the torn record', async () => {
    const write = new PortLog(dir, OPTIONS, { logger: silentLogger, now: Date.now });
    write.load(LIMITS);
    write.boot(0, '7');
    let offset = 0;
    for (let i = 0; i < 600; i++) {
      const line = Buffer.from(`line ${i}\r\n`);
      write.append(offset, line);
      offset += line.length;
    }
    await write.close();
    expect(readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(0);

    const read = new PortLog(dir, OPTIONS, { logger: silentLogger, now: Date.now });
    const saved = read.load(LIMITS)!;
    expect(saved).toMatchObject({ end: offset, bootKey: '7', clean: true });
    expect(saved.tail.start + saved.tail.data.length).toBe(offset);
    expect(saved.tail.data.length).toBe(LIMITS.tailBytes);
    expect(saved.tail.data.toString().endsWith('line 599\r\n')).toBe(true);
    expect(saved.head).toMatchObject({ start: 0 });
    expect(saved.head!.data.length).toBe(LIMITS.headBytes);
    expect(saved.head!.data.toString().startsWith('line 0\r\nline 1\r\n')).toBe(true);
    // Not closed: like kill -9 after the last flush.
    read.append(offset, Buffer.from('after'));
    const size = (): number => read.segments().reduce((sum, seg) => sum + seg.size, 0);
    const before = size();
    // The size grows while writev runs; a load in between would see (and cut) a torn record.
    await eventually(() => size() > before && !read.busy, 'the flush');
    const crashed = new PortLog(dir, OPTIONS, { logger: silentLogger, now: Date.now }).load(LIMITS)!;
    expect(crashed).toMatchObject({ end: offset + 5, clean: false });
  });

  it('rotates segments and keeps a port under its size', async () => {
    const log = new PortLog(
      dir,
      { ...OPTIONS, segmentBytes: 1024, maxBytes: 4096 },
      { logger: silentLogger, now: Date.now },
    );
    log.load(LIMITS);
    for (let i = 0; i < 40; i++) {
      log.append(i * 500, Buffer.alloc(500, 0x61));
      await sleep(15);
    }
    await log.close();
    const sizes = log.segments().map((s) => s.size);
    expect(sizes.length).toBeGreaterThan(1);
    // The open segment may pass the limit by one flush; the closed ones are pruned to it.
    expect(sizes.slice(0, -1).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(4096);
    const saved = new PortLog(dir, OPTIONS, { logger: silentLogger, now: Date.now }).load(LIMITS)!;
    expect(saved.end).toBe(40 * 500);
  });

  it('stops writing when the disk fails, counts the loss, and resumes by itself', async () => {
    const changes: boolean[] = [];
    const portDir = path.join(dir, 'port');
    const log = new PortLog(portDir, OPTIONS, {
      logger: silentLogger,
      now: Date.now,
      onStateChange: (writing) => changes.push(writing),
    });
    log.load(LIMITS);
    log.append(0, Buffer.from('kept '));
    await eventually(() => log.segments()[0]!.size > 8 && !log.busy, 'the first write');
    // The folder turns into a file: the next segment cannot be made (as on a full or lost disk).
    rmSync(portDir, { recursive: true });
    writeFileSync(portDir, 'in the way');
    // Force a new segment so the write fails: a big batch past segmentBytes.
    log.append(5, Buffer.alloc(5000, 0x62));
    await eventually(() => changes.length === 1, 'the failed write');
    expect(changes).toEqual([false]);
    rmSync(portDir);
    await eventually(() => changes.length === 2, 'the retry');
    expect(changes).toEqual([false, true]);
    log.append(5005, Buffer.from('back'));
    await log.close();
    const saved = new PortLog(portDir, OPTIONS, { logger: silentLogger, now: Date.now }).load(LIMITS)!;
    expect(saved.end).toBe(5009);
    expect(saved.tail.data.toString()).toBe('back');
  });
});

describe('SerialMux with a log', () => {
  function mux(store: SerialLogStore, connector: FakeConnector): SerialMux {
    return new SerialMux({
      vmName: 'vm1',
      index: 0,
      options: serialOptions({ coalesceMs: 0, headBytes: 64, tailBytes: 256 }),
      connector: connector.connect,
      logger: silentLogger,
      log: store.port('vm1', 0),
    });
  }

  it('goes on from the same offsets after a restart: a client resumes byte-exact, the boot head stays', async () => {
    const store = new SerialLogStore(dir, { flushMs: 10 }, { logger: silentLogger });
    const first = new FakeConnector();
    const before = mux(store, first);
    before.update(makeVm('vm1', 'running', 4));
    await settle();
    first.latest.emit('BOOT\r\n');
    const client = new FakeClient();
    before.attach(client, alice, {});
    first.latest.emit('login: ');
    const seen = client.consoleBytes().length;
    first.latest.emit('while the daemon stops\r\n');
    before.close(
      new (await import('../../../src/errors/index.js')).VwcError('VWC_ERR_SHUTTING_DOWN', 'restart'),
    );
    await before.logClosed;

    const second = new FakeConnector();
    const after = mux(store, second);
    after.update(makeVm('vm1', 'running', 4));
    await settle();
    second.latest.emit('after restart\r\n');
    const resumed = new FakeClient();
    after.attach(resumed, alice, { from: seen });
    expect(resumed.of('hello')[0]).toMatchObject({ offset: seen });
    expect(resumed.text()).toBe('while the daemon stops\r\nafter restart\r\n');
    const fresh = new FakeClient();
    after.attach(fresh, alice, {});
    expect(fresh.text()).toBe('BOOT\r\nlogin: while the daemon stops\r\nafter restart\r\n');
    // The same libvirt id is the same boot (no new boot number); another id is a new boot.
    expect(fresh.of('hello')[0]!.vm.boot).toBe(0);
    after.close(new (await import('../../../src/errors/index.js')).VwcError('VWC_ERR_SHUTTING_DOWN', 'end'));
    await after.logClosed;
  });
});

describe('log export', () => {
  const data = (offset: number, time: number, text: string | Buffer): LogRecord => ({
    type: 'data',
    offset,
    time,
    data: Buffer.isBuffer(text) ? text : Buffer.from(text),
  });
  const euro = Buffer.from('€'); // three bytes: split across two records below

  it('writes asciicast v2 with real times, UTF-8 split across records, events as markers', () => {
    const exporter = new LogExporter({ format: 'asciicast', title: 'vm1 serial 0' });
    const records: LogRecord[] = [
      data(0, 1_000_000, 'login: '),
      { type: 'event', offset: 7, time: 1_000_500, event: { kind: 'state', state: 'paused' } },
      data(7, 1_001_250, Buffer.concat([Buffer.from('price '), euro.subarray(0, 1)])),
      data(14, 1_002_000, euro.subarray(1)),
    ];
    const lines = (records.map((r) => exporter.record(r)).join('') + exporter.end()).trim().split('\n');
    expect(JSON.parse(lines[0]!)).toEqual({
      version: 2,
      width: 80,
      height: 24,
      timestamp: 1000,
      title: 'vm1 serial 0',
    });
    expect(lines.slice(1).map((l) => JSON.parse(l) as unknown)).toEqual([
      [0, 'o', 'login: '],
      [0.5, 'm', 'VM paused'],
      [1.25, 'o', 'price '],
      [2, 'o', '€'],
    ]);
    expect(exporter.contentType).toBe('application/x-asciicast');
  });

  it('writes text with event lines, and strips escapes and carriage returns on request', () => {
    const records: LogRecord[] = [
      data(0, Date.UTC(2026, 11, 6, 19), '\x1b[1;32mok\x1b[0m\r\n\x1b]0;title\x07# '),
      { type: 'event', offset: 20, time: Date.UTC(2026, 11, 6, 19, 5), event: { kind: 'boot', key: '3' } },
    ];
    const plain = new LogExporter({ format: 'text', strip: true });
    expect(records.map((r) => plain.record(r)).join('')).toBe(
      'ok\n# \n--- 2026-12-06T19:05:00.000Z VM booted ---\n',
    );
    const raw = new LogExporter({ format: 'raw' });
    expect(Buffer.concat(records.map((r) => Buffer.from(raw.record(r))))).toEqual(
      records[0]!.type === 'data' ? records[0]!.data : null,
    );
  });
});
