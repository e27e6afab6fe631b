// Keeps one upstream connection to a serial source while the VM runs: connects as soon as it
// is wanted, retries with a short backoff (a socket appears a moment after QEMU starts; a pty
// path arrives with the live XML), reconnects when the connection drops, and lets go when the
// VM stops. Input respects the upstream's drain: it is queued (bounded) and the caller is told
// to pause the writer.
import type { Logger } from 'pino';
import type { SerialSource } from '../../discovery/types.js';
import type { SerialConnector, SerialUpstream } from '../upstream/index.js';

const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 1000;
/** Input held while the upstream is not draining; beyond it, input is dropped. */
const MAX_QUEUED_INPUT = 64 * 1024;

export interface LinkEvents {
  data(chunk: Buffer): void;
  /** `blocked` true: stop reading input from the writer; false: go on. */
  inputBlocked(blocked: boolean): void;
  connected(description: string): void;
  disconnected(error: Error | null): void;
}

export class UpstreamLink {
  private upstream: SerialUpstream | null = null;
  private source: SerialSource | null = null;
  /** Bumped on every change of what is wanted: late results of older attempts are discarded. */
  private generation = 0;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryMs = FIRST_RETRY_MS;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private blocked = false;
  private lastError = '';

  constructor(
    private readonly connector: SerialConnector,
    private readonly events: LinkEvents,
    private readonly logger: Logger,
  ) {}

  get connected(): boolean {
    return this.upstream !== null;
  }

  /** Connect to `source` (a new boot or a new path), or let go when null. Always reconnects. */
  want(source: SerialSource | null): void {
    this.generation += 1;
    this.source = source;
    this.retryMs = FIRST_RETRY_MS;
    this.clearRetry();
    this.drop();
    if (source) this.attempt();
  }

  /** Writes input; queued while the upstream is not draining, dropped without an upstream. */
  write(data: Buffer): void {
    if (!this.upstream) return;
    if (this.blocked) {
      if (this.queuedBytes + data.length > MAX_QUEUED_INPUT) return;
      this.queued.push(data);
      this.queuedBytes += data.length;
      return;
    }
    if (!this.upstream.write(data)) this.setBlocked(true);
  }

  close(): void {
    this.want(null);
  }

  /** Sends a serial break; false when there is no upstream or it cannot carry one. */
  sendBreak(): boolean {
    if (!this.upstream?.sendBreak) return false;
    this.upstream.sendBreak();
    return true;
  }

  /** Bytes the kernel surely holds while reading is paused (0 without an upstream). */
  get holdBytes(): number {
    return this.upstream?.holdBytes ?? 0;
  }

  pauseReading(): void {
    this.upstream?.pause();
  }

  resumeReading(): void {
    this.upstream?.resume();
  }

  private attempt(): void {
    const generation = this.generation;
    const source = this.source;
    if (!source) return;
    this.connector(source, {
      data: (chunk) => {
        if (generation === this.generation) this.events.data(chunk);
      },
      drain: () => {
        if (generation === this.generation) this.drained();
      },
      closed: (error) => {
        if (generation !== this.generation) return;
        this.upstream = null;
        this.resetInput();
        this.events.disconnected(error);
        // Still wanted: the guest side may come back (socket reconnect, pty after a hiccup).
        this.scheduleRetry();
      },
    }).then(
      (upstream) => {
        if (generation !== this.generation) {
          upstream.close();
          return;
        }
        this.upstream = upstream;
        this.retryMs = FIRST_RETRY_MS;
        this.lastError = '';
        this.events.connected(upstream.description);
      },
      (error: unknown) => {
        if (generation !== this.generation) return;
        const message = error instanceof Error ? error.message : String(error);
        // Log each distinct failure once: retries of a source that is not there yet are normal.
        if (message !== this.lastError)
          this.logger.debug({ err: message }, 'serial upstream not reachable yet');
        this.lastError = message;
        this.scheduleRetry();
      },
    );
  }

  private scheduleRetry(): void {
    if (!this.source || this.retryTimer) return;
    const delay = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.attempt();
    }, delay);
  }

  private clearRetry(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private drop(): void {
    const upstream = this.upstream;
    this.upstream = null;
    this.resetInput();
    upstream?.close();
  }

  private drained(): void {
    while (this.upstream && this.queued.length > 0) {
      const next = this.queued.shift()!;
      this.queuedBytes -= next.length;
      if (!this.upstream.write(next)) return;
    }
    this.setBlocked(false);
  }

  private resetInput(): void {
    this.queued = [];
    this.queuedBytes = 0;
    this.setBlocked(false);
  }

  private setBlocked(blocked: boolean): void {
    if (this.blocked === blocked) return;
    this.blocked = blocked;
    this.events.inputBlocked(blocked);
  }
}
