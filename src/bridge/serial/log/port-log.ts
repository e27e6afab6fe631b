// One serial port's log on disk: a folder of segments (records.ts). Appends cost the hot path an
// array push; a timer writes the gathered records every `flushMs` with one writev, off the event
// loop. The log is what survives a daemon restart: `load()` gives back the tail (and the current
// boot's head) of the history with their offsets, so offsets go on where they stopped.
//
// Failures: a write that fails (disk full, read-only, gone) stops logging for this port with
// one warning; what was not written is counted as lost; every `retryMs` a retry writes a
// `log-resumed` event naming the lost range, and logging goes on from there.
import {
  closeSync,
  existsSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  writev,
} from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import {
  MAGIC,
  decodeSegment,
  eventPayload,
  recordHeader,
  segmentName,
  segmentOffset,
  type LogEvent,
  type LogRecord,
} from './records.js';

export interface PortLogOptions {
  /** Gathered records are written this often (the most a `kill -9` can lose). */
  readonly flushMs: number;
  /** A segment is closed and a new one begun past this size. */
  readonly segmentBytes: number;
  /** Oldest segments of this port are deleted past this total. */
  readonly maxBytes: number;
  /** Segments whose newest record is older than this are deleted (0: no age limit). */
  readonly maxAgeMs: number;
  /** Records waiting for the disk past this are dropped (counted as lost), never queued without end. */
  readonly maxPendingBytes: number;
  /** After a failed write, how long until the next try. */
  readonly retryMs: number;
}

export interface PortLogDeps {
  readonly logger: Logger;
  /** Wall clock in ms (record times). */
  readonly now: () => number;
  /** Told when writing stops (a failed write) and resumes (metrics). */
  readonly onStateChange?: (writing: boolean) => void;
  /** Told after a segment was closed, so the store can enforce its total. */
  readonly onRotated?: () => void;
}

/** What a restart gets back (see SerialHistory.restore). */
export interface SavedHistory {
  /** Offset just past the last byte or event the log holds. */
  readonly end: number;
  /** The latest contiguous bytes, ending at `end` or at the last data record. */
  readonly tail: { readonly start: number; readonly data: Buffer };
  /** The first bytes of the last boot, when its start is still on disk. */
  readonly head: { readonly start: number; readonly data: Buffer } | null;
  /** The key of the last boot (libvirt's domain id), to tell a restart from a new boot. */
  readonly bootKey: string | null;
  /** The daemon stopped cleanly (its last record is `daemon-stop`). */
  readonly clean: boolean;
  /** The event records from the tail's start on, oldest first (markers for the live stream). */
  readonly events: readonly Extract<LogRecord, { type: 'event' }>[];
}

interface BootMark {
  readonly key: string;
  readonly offset: number;
}

const BOOT_FILE = 'boot.json';

export class PortLog {
  private fd: number | null = null;
  private segmentSize = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Offset just past the newest record taken (written or pending). */
  private nextOffset = 0;
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private failing = false;
  /** Bytes that never reached the disk: from the first lost offset to the last. */
  private lost: { from: number; to: number } | null = null;
  private closed = false;
  private closeDone: (() => void) | null = null;

  constructor(
    readonly dir: string,
    private readonly options: PortLogOptions,
    private readonly deps: PortLogDeps,
  ) {}

  /**
   * Reads what the last run left (synchronously: once per port at start), cuts a torn last
   * record, and opens the newest segment for appending. Null when there is no log yet.
   */
  load(limits: { readonly headBytes: number; readonly tailBytes: number }): SavedHistory | null {
    mkdirSync(this.dir, { recursive: true, mode: 0o750 });
    const segments = this.segments();
    let saved: SavedHistory | null = null;
    if (segments.length > 0) {
      const tailParts: Buffer[] = [];
      const events: Extract<LogRecord, { type: 'event' }>[] = [];
      let tailStart = -1;
      let tailBytes = 0;
      let end = -1;
      let clean = false;
      // Newest segment first, records newest first, until the tail is full or has a hole.
      scan: for (let i = segments.length - 1; i >= 0; i--) {
        const file = path.join(this.dir, segments[i]!.name);
        const { records, validBytes } = decodeSegment(readFileSync(file));
        if (i === segments.length - 1) this.repair(file, validBytes);
        for (let r = records.length - 1; r >= 0; r--) {
          const record = records[r]!;
          const recordEnd = record.type === 'data' ? record.offset + record.data.length : record.offset;
          if (end < 0) {
            end = recordEnd;
            clean = record.type === 'event' && record.event.kind === 'daemon-stop';
          }
          if (record.type === 'event') events.unshift(record);
          if (record.type !== 'data' || record.data.length === 0) continue;
          if (tailStart >= 0 && recordEnd !== tailStart) break scan;
          const take = Math.min(record.data.length, limits.tailBytes - tailBytes);
          tailParts.unshift(record.data.subarray(record.data.length - take));
          tailStart = recordEnd - take;
          tailBytes += take;
          if (tailBytes >= limits.tailBytes) break scan;
        }
      }
      if (end >= 0) {
        const boot = this.readBoot();
        saved = {
          end,
          tail: { start: tailStart < 0 ? end : tailStart, data: Buffer.concat(tailParts) },
          head: boot && boot.offset <= end ? this.readHead(segments, boot.offset, limits.headBytes) : null,
          bootKey: boot?.key ?? null,
          clean,
          events: events.filter((record) => record.offset >= (tailStart < 0 ? end : tailStart)),
        };
        this.nextOffset = end;
      }
    }
    this.openSegment(segments.at(-1)?.name ?? segmentName(this.nextOffset));
    return saved;
  }

  /** Console bytes at `offset` (the buffer is kept, not copied: the caller must not reuse it). */
  append(offset: number, data: Buffer): void {
    if (this.closed || data.length === 0) return;
    this.take(recordHeader('data', data.length, offset, this.deps.now()), data, offset + data.length);
  }

  event(offset: number, event: LogEvent): void {
    if (this.closed) return;
    const payload = eventPayload(event);
    this.take(recordHeader('event', payload.length, offset, this.deps.now()), payload, offset);
  }

  /** Records the start of a boot (kept beside the segments, so a restart finds its head). */
  boot(offset: number, key: string): void {
    this.event(offset, { kind: 'boot', key });
    if (this.closed) return;
    try {
      const file = path.join(this.dir, BOOT_FILE);
      writeFileSync(`${file}.tmp`, JSON.stringify({ key, offset } satisfies BootMark));
      renameSync(`${file}.tmp`, file);
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'serial log: cannot save the boot mark');
    }
  }

  /** Writes what is pending (a `daemon-stop` record last) and closes; resolves when on disk. */
  /** Records are waiting for the timer or being written (a file's size may show a torn record). */
  get busy(): boolean {
    return this.writing || this.timer !== null;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.event(this.nextOffset, { kind: 'daemon-stop' });
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.writing) {
      this.finish();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.closeDone = resolve;
    });
  }

  private take(header: Buffer, payload: Buffer, end: number): void {
    this.nextOffset = Math.max(this.nextOffset, end);
    if (this.failing || this.pendingBytes > this.options.maxPendingBytes) {
      this.markLost(end - (header.readUInt8(0) === 1 ? payload.length : 0), end);
      return;
    }
    this.pending.push(header, payload);
    this.pendingBytes += header.length + payload.length;
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(this.flush, this.options.flushMs);
      this.timer.unref();
    }
  }

  private markLost(from: number, to: number): void {
    this.lost = this.lost
      ? { from: Math.min(this.lost.from, from), to: Math.max(this.lost.to, to) }
      : { from, to };
  }

  private readonly flush = (): void => {
    this.timer = null;
    if (this.writing || this.failing || this.pending.length === 0 || this.fd === null) return;
    const batch = this.pending;
    const bytes = this.pendingBytes;
    this.pending = [];
    this.pendingBytes = 0;
    try {
      if (this.segmentSize > MAGIC.length && this.segmentSize + bytes > this.options.segmentBytes)
        this.rotate(batch);
    } catch (error) {
      this.fail(error as Error, batch);
      return;
    }
    this.writing = true;
    writev(this.fd, batch, (error) => {
      this.writing = false;
      if (error) this.fail(error, batch);
      else this.segmentSize += bytes;
      if (this.closed) this.finish();
      else if (this.pending.length > 0 && !this.timer && !this.failing) {
        this.timer = setTimeout(this.flush, this.options.flushMs);
        this.timer.unref();
      }
    });
  };

  /** The last writes, synchronously (the daemon is stopping), then the file is closed. */
  private finish(): void {
    if (this.fd !== null && !this.failing && this.pending.length > 0) {
      try {
        for (const part of this.pending) writeSync(this.fd, part);
      } catch (error) {
        this.deps.logger.warn({ err: error, dir: this.dir }, 'serial log: the last records were not written');
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.closeDone?.();
    this.closeDone = null;
  }

  private fail(error: Error, batch: readonly Buffer[]): void {
    if (!this.failing) {
      this.deps.logger.warn(
        { err: error, dir: this.dir },
        'serial log: writing stopped; the console goes on, logging resumes when the disk allows',
      );
      this.deps.onStateChange?.(false);
    }
    this.failing = true;
    for (const records of [batch, this.pending]) {
      for (let i = 0; i + 1 < records.length; i += 2) {
        const header = records[i]!;
        const offset = header.readDoubleLE(8);
        this.markLost(offset, offset + (header.readUInt8(0) === 1 ? header.readUInt32LE(4) : 0));
      }
    }
    this.pending = [];
    this.pendingBytes = 0;
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    if (!this.closed) setTimeout(this.retry, this.options.retryMs).unref();
  }

  /** Opens a fresh segment and writes the `log-resumed` record; on failure, tries again later. */
  private readonly retry = (): void => {
    if (this.closed) return;
    const lost = this.lost ?? { from: this.nextOffset, to: this.nextOffset };
    try {
      mkdirSync(this.dir, { recursive: true, mode: 0o750 });
      this.openSegment(segmentName(this.nextOffset));
      const payload = eventPayload({ kind: 'log-resumed', lostFrom: lost.from, lostTo: lost.to });
      const record = Buffer.concat([
        recordHeader('event', payload.length, this.nextOffset, this.deps.now()),
        payload,
      ]);
      writeSync(this.fd!, record);
      this.segmentSize += record.length;
    } catch {
      if (this.fd !== null) closeSync(this.fd);
      this.fd = null;
      setTimeout(this.retry, this.options.retryMs).unref();
      return;
    }
    this.failing = false;
    this.lost = null;
    this.deps.logger.info({ dir: this.dir, lost }, 'serial log: writing resumed');
    this.deps.onStateChange?.(true);
  };

  /** Closes the current segment and opens the next, named by the batch's first offset. */
  private rotate(batch: readonly Buffer[]): void {
    const first = batch[0]!.readDoubleLE(8);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.openSegment(segmentName(first));
    this.prune();
    this.deps.onRotated?.();
  }

  private openSegment(name: string): void {
    const file = path.join(this.dir, name);
    const fd = openSync(file, 'a', 0o640);
    let size: number;
    try {
      size = fstatSync(fd).size;
      if (size === 0) writeSync(fd, MAGIC);
    } catch (error) {
      // A full disk may let the file be made and refuse its first bytes: not a leaked fd.
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
    this.segmentSize = Math.max(size, MAGIC.length);
  }

  /** Deletes this port's oldest segments past maxBytes or maxAgeMs (never the open one). */
  prune(): void {
    const segments = this.segments();
    let total = segments.reduce((sum, s) => sum + s.size, 0);
    const oldest = this.options.maxAgeMs > 0 ? this.deps.now() - this.options.maxAgeMs : -Infinity;
    for (const segment of segments.slice(0, -1)) {
      if (total <= this.options.maxBytes && segment.mtimeMs >= oldest) break;
      try {
        unlinkSync(path.join(this.dir, segment.name));
        total -= segment.size;
      } catch {
        // Gone already, or not ours to delete: the next prune tries again.
      }
    }
  }

  segments(): SegmentFile[] {
    return listSegments(this.dir);
  }

  /** Cuts a record torn by a crash off the end of the newest segment. */
  private repair(file: string, validBytes: number): void {
    const size = statSync(file).size;
    if (validBytes >= size || validBytes < MAGIC.length) return;
    const fd = openSync(file, 'r+');
    try {
      ftruncateSync(fd, validBytes);
    } finally {
      closeSync(fd);
    }
    this.deps.logger.warn({ file, cut: size - validBytes }, 'serial log: cut a torn last record');
  }

  private readBoot(): BootMark | null {
    try {
      const mark = JSON.parse(readFileSync(path.join(this.dir, BOOT_FILE), 'utf8')) as Partial<BootMark>;
      return typeof mark.key === 'string' && Number.isSafeInteger(mark.offset)
        ? { key: mark.key, offset: mark.offset! }
        : null;
    } catch {
      return null;
    }
  }

  /** The first `max` contiguous bytes from `start`, from the segments that hold them. */
  private readHead(
    segments: readonly { name: string; offset: number }[],
    start: number,
    max: number,
  ): { start: number; data: Buffer } | null {
    const parts: Buffer[] = [];
    let at = start;
    let held = 0;
    const first = segments.findLastIndex((s) => s.offset <= start);
    if (first < 0 || max === 0) return null;
    for (const segment of segments.slice(first)) {
      for (const record of decodeSegment(readFileSync(path.join(this.dir, segment.name))).records) {
        if (!isData(record) || record.offset + record.data.length <= at) continue;
        if (record.offset > at) return held > 0 ? { start, data: Buffer.concat(parts) } : null;
        const from = at - record.offset;
        const take = Math.min(record.data.length - from, max - held);
        parts.push(record.data.subarray(from, from + take));
        held += take;
        at += take;
        if (held >= max) return { start, data: Buffer.concat(parts) };
      }
    }
    return held > 0 ? { start, data: Buffer.concat(parts) } : null;
  }
}

export interface SegmentFile {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly mtimeMs: number;
}

/** A port folder's segment files, oldest first (none when the folder does not exist). */
export function listSegments(dir: string): SegmentFile[] {
  if (!existsSync(dir)) return [];
  const found: SegmentFile[] = [];
  for (const name of readdirSync(dir)) {
    const offset = segmentOffset(name);
    if (offset === null) continue;
    try {
      const stat = statSync(path.join(dir, name));
      found.push({ name, offset, size: stat.size, mtimeMs: stat.mtimeMs });
    } catch {
      // Deleted meanwhile.
    }
  }
  return found.sort((a, b) => a.offset - b.offset);
}

function isData(record: LogRecord): record is Extract<LogRecord, { type: 'data' }> {
  return record.type === 'data';
}
