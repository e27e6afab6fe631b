// One browser connection relayed to its own upstream connection, browser bytes through a
// protocol filter (RFB, SPICE), backpressure both ways:
// - server→browser: each upstream read becomes one binary frame written on the browser's socket
//   (frames.ts); when the kernel does not take it whole, upstream reads stop until it is
//   written. At most one read (from a websocket upstream: one socket read's messages) waits in
//   user space per browser; the server then stops writing.
// - browser→server: when the upstream socket's buffer is full, the browser socket stops being
//   read until the upstream drains.
// Lifecycle: closed with a VwcError's code and message, or 1001 on shutdown; an upstream that
// hangs up first keeps the browser open for a grace period, waiting for the bridge to say why
// (the VM stopped), else closes with the bridge's "server closed" error.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { VwcError, isVwcError } from '../../errors/index.js';
import { BrowserFrames } from './frames.js';
import type { Upstream, UpstreamEvents } from './upstream.js';

/** A browser→server protocol filter: frames the client stream, drops or refuses messages. */
export interface ClientFilter {
  /** True while the filter still needs to see server bytes (handshake); false afterwards. */
  readonly needsServer: boolean;
  /** Server bytes, while `needsServer`. Throws VwcError to refuse the connection. */
  observeServer(chunk: Buffer): void;
  /** Browser bytes; what may pass is appended to `out`. Throws VwcError to refuse. */
  push(data: Buffer, out: Buffer[]): void;
}

export interface ByteRelayOptions {
  readonly ws: WebSocket;
  /** The socket under `ws` (as handed to handleUpgrade): server frames are written on it. */
  readonly socket: Duplex;
  readonly vmName: string;
  /** Logger with the connection's fields (vm, user, role …). */
  readonly logger: Logger;
  /** `vnc`, `spice`: in log messages. */
  readonly label: string;
  readonly filter: ClientFilter;
  readonly openUpstream: (events: UpstreamEvents) => Upstream;
  /** Browser bytes already read and checked before the relay started (SPICE's link message): written upstream as they are. */
  readonly preamble?: Buffer;
  /** Browser bytes already read after the preamble: through the filter, like any later ones. */
  readonly initial?: Buffer;
  readonly maxFrameBytes: number;
  /** Close reason for a text frame (1003). */
  readonly textFrameReason: string;
  /** How long a browser whose upstream closed waits for the VM-stopped notice (for the reason). */
  readonly upstreamCloseGraceMs: number;
  /** The error when the server closes the connection by itself. */
  readonly serverClosed: () => VwcError;
  /** Fields for the detach log line. */
  readonly detachFields?: () => Record<string, unknown>;
  /** Called once, when both sides are closed. */
  readonly onClosed: (relay: ByteRelay) => void;
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const MAX_REASON = 120;

export class ByteRelay {
  private readonly upstream: Upstream;
  private readonly out: Buffer[] = [];
  private readonly frames: BrowserFrames;
  private upstreamGone = false;
  private closed = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private toBrowser = 0;
  private toServer = 0;
  private readonly log: Logger;

  constructor(private readonly options: ByteRelayOptions) {
    const { ws } = options;
    this.log = options.logger;
    this.frames = new BrowserFrames(options.socket, () => {
      if (!this.closed) this.upstream.resume();
    });
    this.upstream = options.openUpstream({
      data: (chunk, headroom) => {
        this.fromServer(chunk, headroom);
      },
      drain: () => {
        ws.resume();
      },
      end: (error) => {
        this.upstreamEnded(error);
      },
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.fromBrowser(data, isBinary);
    });
    ws.on('close', () => {
      this.finish();
    });
    ws.on('error', (error) => {
      this.log.debug({ err: error }, `${options.label} browser socket error`);
      this.finish();
    });
    this.log.info(`${options.label} viewer attached`);
    if (options.preamble) {
      this.toServer += options.preamble.length;
      if (!this.upstream.write([options.preamble])) ws.pause();
    }
    if (options.initial && options.initial.length > 0) this.fromBrowser(options.initial, true);
  }

  get vmName(): string {
    return this.options.vmName;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Closes the browser side with the error's close code and message, and the upstream. */
  close(error: VwcError): void {
    this.closeWith(error.wsCloseCode, error.message);
  }

  closeWith(code: number, reason: string): void {
    if (this.closed) return;
    const { ws } = this.options;
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) {
      ws.close(code, truncate(reason));
    }
    this.finish();
  }

  /** Resolves when the browser socket is closed (terminated after `timeoutMs`). */
  closedPromise(timeoutMs: number): Promise<void> {
    const { ws } = this.options;
    if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        ws.terminate();
        resolve();
      }, timeoutMs);
      ws.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private fromServer(chunk: Buffer, headroom: number): void {
    const { filter } = this.options;
    if (filter.needsServer) {
      try {
        filter.observeServer(chunk);
      } catch (error) {
        this.refuse(error);
      }
    }
    if (this.closed || this.options.ws.readyState !== WebSocket.OPEN) return;
    this.toBrowser += chunk.length;
    // Not taken whole: the socket holds a view of the read buffer; resumed once written.
    if (!this.frames.write(chunk, headroom)) this.upstream.pause();
  }

  private fromBrowser(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.closeWith(1003, this.options.textFrameReason);
      return;
    }
    if (data.length > this.options.maxFrameBytes) {
      this.close(
        new VwcError(
          'VWC_ERR_FRAME_TOO_LARGE',
          `frame of ${data.length} bytes over ${this.options.maxFrameBytes}`,
        ),
      );
      return;
    }
    if (this.upstreamGone) return;
    const out = this.out;
    out.length = 0;
    try {
      this.options.filter.push(data, out);
    } catch (error) {
      this.refuse(error);
      return;
    }
    if (out.length === 0) return;
    for (const chunk of out) this.toServer += chunk.length;
    if (!this.upstream.write(out)) this.options.ws.pause();
  }

  /** A filter error (VwcError) closes this connection with its reason; anything else is a bug. */
  private refuse(error: unknown): void {
    if (!isVwcError(error)) throw error;
    this.log.warn({ code: error.code }, `${this.options.label} viewer refused: ${error.message}`);
    this.close(error);
  }

  private upstreamEnded(error: VwcError | null): void {
    this.upstreamGone = true;
    if (this.closed) return;
    const reason = error ?? this.options.serverClosed();
    if (error) this.log.warn({ err: error }, `${this.options.label} upstream failed`);
    // QEMU closes its sockets before libvirt reports the stop: wait a moment for the bridge to
    // say "domain stopped" so the page shows why, else report the upstream close.
    this.graceTimer = setTimeout(() => {
      this.close(reason);
    }, this.options.upstreamCloseGraceMs);
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.graceTimer);
    this.upstream.close();
    this.log.info(
      { toBrowser: this.toBrowser, toServer: this.toServer, ...this.options.detachFields?.() },
      `${this.options.label} viewer detached`,
    );
    this.options.onClosed(this);
  }
}

/** A close reason cut to the WebSocket limit (123 bytes of UTF-8), at a character boundary. */
export function truncate(reason: string): string {
  const bytes = Buffer.from(reason);
  if (bytes.length <= MAX_REASON) return reason;
  return bytes
    .subarray(0, MAX_REASON)
    .toString()
    .replace(/\uFFFD$/, '');
}
