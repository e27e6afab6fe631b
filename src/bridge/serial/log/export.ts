// A serial log as a download, apart from I/O: records in, text out, in one of three formats.
//
// - `raw`: the console bytes as the guest wrote them.
// - `text`: the bytes as UTF-8 text, events as their own lines (`--- 2026-12-06T19:00:01Z VM
//   running ---`); with `strip`, terminal escape sequences and carriage returns removed, for
//   grep and less.
// - `asciicast`: asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/) with the records'
//   real times: a header line, `[seconds, "o", text]` for output and `[seconds, "m", label]`
//   markers for events, which asciinema-player shows on its timeline and `asciinema cat` skips.
import { StringDecoder } from 'node:string_decoder';
import type { LogEvent, LogRecord } from './records.js';

export type LogFormat = 'raw' | 'text' | 'asciicast';

export const LOG_FORMATS: readonly LogFormat[] = ['raw', 'text', 'asciicast'];

export interface ExportOptions {
  readonly format: LogFormat;
  /** `text` only: remove escape sequences and carriage returns. */
  readonly strip?: boolean;
  /** asciicast header: the title and the terminal size the player starts with. */
  readonly title?: string;
  readonly width?: number;
  readonly height?: number;
}

// CSI (ESC [ … final), OSC (ESC ] … BEL or ESC \), other two-byte escapes, and lone CRs.
// eslint-disable-next-line no-control-regex -- terminal control sequences are the point
const ESCAPES = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\r(?!\n)|\r/g;

export function describeEvent(event: LogEvent): string {
  switch (event.kind) {
    case 'boot':
      return 'VM booted';
    case 'state':
      return `VM ${event.state}`;
    case 'reset':
      return 'VM rebooted (guest reset)';
    case 'daemon-start':
      return event.unclean
        ? 'daemon started after a crash (the last moments may be missing)'
        : 'daemon started';
    case 'daemon-stop':
      return 'daemon stopped (output while it was away is not in this log)';
    case 'log-resumed':
      return `logging resumed (bytes ${event.lostFrom}-${event.lostTo} could not be written)`;
  }
}

export class LogExporter {
  private readonly decoder = new StringDecoder('utf8');
  private firstTime: number | null = null;
  /** Seconds of the last asciicast event (the end's event may not go back in time). */
  private lastAt = 0;

  constructor(private readonly options: ExportOptions) {}

  get contentType(): string {
    if (this.options.format === 'raw') return 'application/octet-stream';
    if (this.options.format === 'asciicast') return 'application/x-asciicast';
    return 'text/plain; charset=utf-8';
  }

  get extension(): string {
    return { raw: 'log', text: 'txt', asciicast: 'cast' }[this.options.format];
  }

  /** What one record becomes in the download (empty: nothing). */
  record(record: LogRecord): string | Buffer {
    const { format } = this.options;
    if (format === 'raw') return record.type === 'data' ? record.data : '';
    let out = '';
    if (format === 'asciicast' && this.firstTime === null) {
      this.firstTime = record.time;
      out += `${JSON.stringify({
        version: 2,
        width: this.options.width ?? 80,
        height: this.options.height ?? 24,
        timestamp: Math.floor(record.time / 1000),
        ...(this.options.title ? { title: this.options.title } : {}),
      })}\n`;
    }
    if (format === 'asciicast') {
      const seconds = Math.max(0, (record.time - this.firstTime!) / 1000);
      const at = Number(seconds.toFixed(6));
      this.lastAt = at;
      if (record.type === 'event') return `${out}${JSON.stringify([at, 'm', describeEvent(record.event)])}\n`;
      const text = this.decoder.write(record.data);
      return text ? `${out}${JSON.stringify([at, 'o', text])}\n` : out;
    }
    if (record.type === 'event') {
      return `\n--- ${new Date(record.time).toISOString()} ${describeEvent(record.event)} ---\n`;
    }
    const text = this.decoder.write(record.data);
    return this.options.strip ? text.replace(ESCAPES, '') : text;
  }

  /** What ends the download (an incomplete UTF-8 sequence left at the end). */
  end(): string {
    if (this.options.format === 'raw') return '';
    const rest = this.decoder.end();
    if (!rest) return '';
    return this.options.format === 'asciicast' ? `${JSON.stringify([this.lastAt, 'o', rest])}\n` : rest;
  }
}
