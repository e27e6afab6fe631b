// One recording in progress: the daemon's own RFB connection to the VM's VNC server (raw or
// QEMU's websocket listener, detected as for viewers), a shared, silent client. Its server bytes
// go to a RecordingFile with their arrival time; a timer asks for incremental updates (QEMU
// answers each request with at most one update, when something changed). Viewers' relays are
// not touched: recording costs them nothing, and each recording starts on a connection of its
// own, so it holds the whole stream from the handshake and a first full frame (docs/vnc.md
// "Recording").
import type { Logger } from 'pino';
import { VwcError, isVwcError } from '../../../errors/index.js';
import type { VncTarget } from '../../../discovery/types.js';
import type { SocketFactory } from '../../relay/index.js';
import { openUpstream, type Upstream } from '../upstream.js';
import { RecordingFile } from './file.js';
import { dataRecord, eventRecord, type RecordingEvent } from './format.js';
import { PLAYBACK_HANDSHAKE, RecorderHandshake, updateRequest } from './handshake.js';

export interface RecorderOptions {
  readonly id: string;
  readonly vmName: string;
  readonly by: string;
  readonly file: string;
  readonly target: VncTarget;
  readonly connect: SocketFactory;
  readonly logger: Logger;
  readonly now: () => number;
  readonly flushMs: number;
  /** Past this many bytes the recording ends with `size limit` (the manager goes on in a new one). */
  readonly maxBytes: number;
  /** How often an incremental update is asked for (the recording's most frames per second). */
  readonly updateIntervalMs: number;
  /** The handshake must be done within this. */
  readonly handshakeTimeoutMs: number;
  readonly detectMs: number;
  readonly continues?: string;
  /** The VM's VNC password, for VNC authentication (null: none known). Never logged nor recorded. */
  readonly password?: string | null;
  /** Called once when the recording ended by itself (not by stop()): server closed, size limit, write failed. */
  readonly onEnded: (reason: string) => void;
}

export class Recorder {
  readonly since: number;
  private readonly upstream: Upstream;
  private readonly handshake: RecorderHandshake;
  private file: RecordingFile | null = null;
  private offset = 0;
  private size = { width: 0, height: 0 };
  private initialSize = { width: 0, height: 0 };
  private timer: NodeJS.Timeout | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private settle: { resolve: () => void; reject: (error: VwcError) => void } | null = null;
  /** Resolves when the first frame was asked for (the file exists); rejects with why not. */
  readonly ready: Promise<void>;

  constructor(private readonly options: RecorderOptions) {
    this.since = options.now();
    this.handshake = new RecorderHandshake(options.password ?? null);
    this.ready = new Promise((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Nobody may be waiting (a rotation): the failure is also logged and reported through onEnded.
    this.ready.catch(() => undefined);
    this.upstream = openUpstream(
      {
        target: options.target,
        connect: options.connect,
        detectMs: options.detectMs,
        maxFrameBytes: 16 * 1024 * 1024,
        highWaterMark: 1024 * 1024,
      },
      {
        // A raw upstream's chunk is a view of a reused read buffer: the recording keeps a copy.
        data: (chunk) => {
          this.fromServer(Buffer.from(chunk));
        },
        drain: () => undefined,
        end: (error) => {
          this.endBySelf('server closed', error ?? undefined);
        },
      },
    );
    this.handshakeTimer = setTimeout(() => {
      this.endBySelf(
        'handshake timeout',
        new VwcError('VWC_ERR_VNC_UPSTREAM', 'the VNC server did not complete the handshake in time'),
      );
    }, options.handshakeTimeoutMs);
  }

  get id(): string {
    return this.options.id;
  }

  get by(): string {
    return this.options.by;
  }

  get bytes(): number {
    return this.file?.bytes ?? 0;
  }

  /** The screen size at the start of the recording. */
  get screen(): { readonly width: number; readonly height: number } {
    return this.initialSize;
  }

  /** Ends the recording: an `end` record, the file closed, the connection closed. */
  async stop(reason: string, by?: string): Promise<void> {
    if (this.ended) return;
    await this.end({ kind: 'end', reason, ...(by ? { by } : {}) });
  }

  private fromServer(chunk: Buffer): void {
    if (this.ended) return;
    if (this.file) {
      this.record(chunk);
      return;
    }
    let step;
    try {
      step = this.handshake.push(chunk);
    } catch (error) {
      this.endBySelf('handshake failed', isVwcError(error) ? error : undefined);
      return;
    }
    if (step.reply.length > 0) this.upstream.write(step.reply);
    if (!step.done) return;
    clearTimeout(this.handshakeTimer);
    const { width, height, name, serverInit, rest } = step.done;
    this.size = { width, height };
    this.initialSize = { width, height };
    try {
      this.file = new RecordingFile(this.options.file, {
        flushMs: this.options.flushMs,
        onFailed: (error) => {
          this.options.logger.warn(
            { err: error, id: this.id },
            'vnc recording: writing failed; recording stopped',
          );
          this.endBySelf('write failed');
        },
      });
    } catch (error) {
      this.endBySelf(
        'write failed',
        new VwcError('VWC_ERR_INTERNAL', `cannot create the recording file: ${(error as Error).message}`, {
          cause: error,
        }),
      );
      return;
    }
    const now = this.options.now();
    const start: RecordingEvent = {
      kind: 'start',
      domain: this.options.vmName,
      by: this.options.by,
      width,
      height,
      name,
      ...(this.options.continues ? { continues: this.options.continues } : {}),
    };
    this.file.append(eventRecord(0, now, start));
    this.record(Buffer.concat([PLAYBACK_HANDSHAKE, serverInit]), now);
    if (rest.length > 0) this.record(rest, now);
    this.timer = setInterval(() => {
      this.upstream.write([updateRequest(true, this.size.width, this.size.height)]);
    }, this.options.updateIntervalMs);
    this.timer.unref();
    this.settle?.resolve();
    this.settle = null;
  }

  private record(data: Buffer, time = this.options.now()): void {
    const file = this.file!;
    file.append(dataRecord(this.offset, time, data));
    this.offset += data.length;
    trackDesktopSize(data, this.size);
    if (file.bytes > this.options.maxBytes) this.endBySelf('size limit');
  }

  private endBySelf(reason: string, error?: VwcError): void {
    if (this.ended) return;
    if (this.settle) {
      this.settle.reject(
        error ?? new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', `recording could not start: ${reason}`),
      );
      this.settle = null;
    } else if (error) {
      this.options.logger.warn({ err: error, id: this.id }, `vnc recording ended: ${reason}`);
    }
    void this.end({ kind: 'end', reason }).then(() => {
      this.options.onEnded(reason);
    });
  }

  private async end(event: RecordingEvent): Promise<void> {
    this.ended = true;
    clearInterval(this.timer);
    clearTimeout(this.handshakeTimer);
    this.upstream.close();
    if (this.settle) {
      this.settle.reject(
        new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', 'recording stopped before it started'),
      );
      this.settle = null;
    }
    const file = this.file;
    if (!file) return;
    file.append(eventRecord(this.offset, this.options.now(), event));
    await file.close();
  }
}

/**
 * Follows the screen size for the update requests: a FramebufferUpdate with one DesktopSize
 * rectangle (what QEMU sends when the guest changes mode) at the start of a chunk. Best effort:
 * a request bigger or smaller than the screen is clipped by the server anyway.
 */
function trackDesktopSize(data: Buffer, size: { width: number; height: number }): void {
  if (data.length >= 16 && data[0] === 0 && data.readUInt16BE(2) === 1 && data.readInt32BE(12) === -223) {
    size.width = data.readUInt16BE(8);
    size.height = data.readUInt16BE(10);
  }
}
