// One recording file being written, off the hot path the way a serial log port is
// (src/bridge/serial/log/port-log.ts): appends are array pushes, a timer writes what gathered
// every `flushMs` with one writev in libuv's pool, and close() writes the rest synchronously.
// A failed write ends the file (the recorder stops with reason `write failed`); unlike a serial
// log there is nothing to resume: a recording with a hole in its stream cannot be decoded on.
import { closeSync, openSync, writeSync, writev } from 'node:fs';
import { RECORDING_MAGIC } from './format.js';

export interface RecordingFileOptions {
  readonly flushMs: number;
  /** Told once when a write fails; nothing more is written. */
  readonly onFailed: (error: Error) => void;
}

export class RecordingFile {
  private fd: number | null;
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing = false;
  private closing: (() => void) | null = null;
  /** Bytes taken (written or pending), MAGIC included. */
  private taken = RECORDING_MAGIC.length;

  /** Creates the file (it must not exist) and writes its magic; throws when it cannot. */
  constructor(
    readonly file: string,
    private readonly options: RecordingFileOptions,
  ) {
    const fd = openSync(file, 'wx', 0o640);
    try {
      writeSync(fd, RECORDING_MAGIC);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    this.fd = fd;
  }

  get bytes(): number {
    return this.taken;
  }

  get failed(): boolean {
    return this.fd === null && this.closing === null;
  }

  /** Parts of whole records; kept as they are (the caller must not reuse their memory). */
  append(parts: readonly Buffer[]): void {
    if (this.fd === null) return;
    for (const part of parts) {
      this.pending.push(part);
      this.taken += part.length;
    }
    if (!this.timer && !this.writing) {
      this.timer = setTimeout(this.flush, this.options.flushMs);
      this.timer.unref();
    }
  }

  /** Writes what is pending and closes; resolves when it is on disk. */
  close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.fd === null) return Promise.resolve();
    if (!this.writing) {
      this.finish();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.closing = resolve;
    });
  }

  private readonly flush = (): void => {
    this.timer = null;
    if (this.fd === null || this.writing || this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.writing = true;
    writev(this.fd, batch, (error) => {
      this.writing = false;
      if (error) {
        this.fail(error);
        return;
      }
      if (this.closing) this.finish();
      else if (this.pending.length > 0 && !this.timer) {
        this.timer = setTimeout(this.flush, this.options.flushMs);
        this.timer.unref();
      }
    });
  };

  private finish(): void {
    const done = this.closing;
    this.closing = null;
    if (this.fd === null) return;
    try {
      for (const part of this.pending) writeSync(this.fd, part);
    } catch (error) {
      this.pending = [];
      closeSync(this.fd);
      this.fd = null;
      this.options.onFailed(error as Error);
      done?.();
      return;
    }
    this.pending = [];
    closeSync(this.fd);
    this.fd = null;
    done?.();
  }

  private fail(error: Error): void {
    const done = this.closing;
    this.closing = null;
    this.pending = [];
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.options.onFailed(error);
    done?.();
  }
}
