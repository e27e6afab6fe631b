// One noVNC connection: the relay core (src/bridge/relay/relay.ts) with the RFB filter on the
// browser's bytes and a VNC upstream (raw RFB or QEMU's websocket listener, detected).
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import { VwcError } from '../../errors/index.js';
import type { VncTarget } from '../../discovery/types.js';
import type { ConsoleSession } from '../types.js';
import { ByteRelay } from '../relay/index.js';
import type { VncSeat } from './control.js';
import { RfbClientFilter } from './rfb-filter.js';
import { openUpstream, type SocketFactory } from './upstream.js';

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

export type VncRelay = ByteRelay;

export function createVncRelay(options: RelayOptions): VncRelay {
  const { session } = options;
  const filter = new RfbClientFilter({
    viewOnly: session.role !== 'operator',
    maxCutTextBytes: options.maxCutTextBytes,
    ...(options.seat ? { inputGate: options.seat.allow } : {}),
  });
  return new ByteRelay({
    ws: options.ws,
    socket: options.socket,
    vmName: options.vmName,
    logger: options.logger.child({
      vm: options.vmName,
      user: session.user,
      role: session.role,
      client: session.clientAddress,
    }),
    label: 'vnc',
    filter,
    openUpstream: (events) =>
      openUpstream(
        {
          target: options.target,
          connect: options.connect,
          detectMs: options.detectMs,
          maxFrameBytes: options.maxFrameBytes,
          highWaterMark: options.highWaterMark,
        },
        events,
      ),
    maxFrameBytes: options.maxFrameBytes,
    textFrameReason: 'RFB travels in binary frames',
    upstreamCloseGraceMs: options.upstreamCloseGraceMs,
    serverClosed: () => new VwcError('VWC_ERR_VNC_UPSTREAM', 'the VNC server closed the connection'),
    detachFields: () => ({
      dropped: filter.messagesDropped,
      exclusiveRequested: filter.exclusiveRequested,
    }),
    onClosed: (relay) => {
      options.seat?.leave();
      options.onClosed(relay);
    },
  });
}
