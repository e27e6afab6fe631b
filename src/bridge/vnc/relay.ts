// One browser connection: a WebSocket (subprotocol `binary`, raw RFB) relayed to its own
// upstream connection, browser bytes through the RFB filter, backpressure both ways:
// - server→browser: each upstream read becomes one binary frame written on the browser's socket
//   (src/bridge/relay/frames.ts); when the kernel does not take it whole, upstream reads stop until it is
//   written. At most one read (from a QEMU websocket upstream: one socket read's messages)
//   waits in user space per viewer; QEMU then stops writing.
// - browser→server: when the upstream socket's buffer is full, the browser socket stops being
//   read until the upstream drains.
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { WebSocket } from 'ws';
import { VwcError, isVwcError } from '../../errors/index.js';
import type { VncTarget } from '../../discovery/types.js';
import type { ConsoleSession } from '../types.js';
import { BrowserFrames } from '../relay/index.js';
import type { VncSeat } from './control.js';
import { RfbClientFilter } from './rfb-filter.js';
import { openUpstream, type SocketFactory, type Upstream } from './upstream.js';

export interface RelayOptions {
  readonly ws: WebSocket;
  /** The socket under `ws` (as handed to handleUpgrade): server frames are written on it. */
  readonly socket: Duplex;
  readonly vmName: string;
  readonly target: VncTarget;
  readonly session: ConsoleSession;
  readonly logger: Logger;
  readonly connect: SocketFactory;
  readonly maxFrameBytes: number;
  /** Browser bytes queued towards a QEMU websocket upstream before the browser is paused. */
  readonly highWaterMark: number;
  readonly detectMs: number;
  readonly maxCutTextBytes: number;
  /** How long a viewer whose upstream closed waits for the VM-stopped notice (for the reason). */
  readonly upstreamCloseGraceMs: number;
  /** Its place under the VM's input lock (control.ts); left when the relay closes. */
  readonly seat?: VncSeat;
  /** Called once, when both sides are closed. */
  readonly onClosed: (relay: VncRelay) => void;
}

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const MAX_REASON = 120;

export class VncRelay {
  private readonly filter: RfbClientFilter;
  private readonly upstream: Upstream;
  private readonly out: Buffer[] = [];
  private readonly frames: BrowserFrames;
  private upstreamGone = false;
  private closed = false;
  private graceTimer: NodeJS.Timeout | undefined;
  private toBrowser = 0;
  private toServer = 0;
  private readonly log: Logger;

  constructor(private readonly options: RelayOptions) {
    const { ws, session } = options;
    this.log = options.logger.child({
      vm: options.vmName,
      user: session.user,
      role: session.role,
      client: session.clientAddress,
    });
    this.filter = new RfbClientFilter({
      viewOnly: session.role !== 'operator',
      maxCutTextBytes: options.maxCutTextBytes,
      ...(options.seat ? { inputGate: options.seat.allow } : {}),
    });
    this.frames = new BrowserFrames(options.socket, () => {
      if (!this.closed) this.upstream.resume();
    });
    this.upstream = openUpstream(
      {
        target: options.target,
        connect: options.connect,
        detectMs: options.detectMs,
        maxFrameBytes: options.maxFrameBytes,
        highWaterMark: options.highWaterMark,
      },
      {
        data: (chunk, headroom) => {
          this.fromServer(chunk, headroom);
        },
        drain: () => {
          ws.resume();
        },
        end: (error) => {
          this.upstreamEnded(error);
        },
      },
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.fromBrowser(data, isBinary);
    });
    ws.on('close', () => {
      this.finish();
    });
    ws.on('error', (error) => {
      this.log.debug({ err: error }, 'vnc browser socket error');
      this.finish();
    });
    this.log.info('vnc viewer attached');
  }

  get vmName(): string {
    return this.options.vmName;
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
    if (this.filter.needsServer) {
      try {
        this.filter.observeServer(chunk);
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
    if (!isBinary) {
      this.closeWith(1003, 'RFB travels in binary frames');
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
      this.filter.push(data, out);
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
    this.log.warn({ code: error.code }, `vnc viewer refused: ${error.message}`);
    this.close(error);
  }

  private upstreamEnded(error: VwcError | null): void {
    this.upstreamGone = true;
    if (this.closed) return;
    const reason = error ?? new VwcError('VWC_ERR_VNC_UPSTREAM', 'the VNC server closed the connection');
    if (error) this.log.warn({ err: error }, 'vnc upstream failed');
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
    this.options.seat?.leave();
    this.log.info(
      {
        toBrowser: this.toBrowser,
        toServer: this.toServer,
        dropped: this.filter.messagesDropped,
        exclusiveRequested: this.filter.exclusiveRequested,
      },
      'vnc viewer detached',
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
