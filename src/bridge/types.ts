// The contract between the HTTP layer and the console bridges. The HTTP layer authenticates,
// checks ACL/Origin/route on the upgrade request, completes the WebSocket handshake and then
// hands the socket to the hub. Everything after the handshake belongs to the bridges.
import type { VncRecordings } from './vnc/recording/index.js';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { VwcError } from '../errors/index.js';
import type { ClientTransport } from './serial/client.js';
import type { LogRange, LogRecord } from './serial/log/index.js';
import type { SerialClientHandle } from './serial/mux.js';

export type { ClientTransport, SerialClientHandle };

/** `viewer`: serial read-only, VNC view-only (enforced by the bridges). `operator`: may type. */
export type Role = 'viewer' | 'operator';

/** Who is attaching; logged on attach and detach, shown to other clients (presence). */
export interface ConsoleSession {
  readonly user: string;
  readonly role: Role;
  /** Remote address, for logs. */
  readonly clientAddress: string;
  /**
   * What the other windows see besides the user name (src/bridge/label.ts): the browser and
   * system ("Chrome on Linux") or "ssh from 10.0.0.5". Absent: none shown.
   */
  readonly label?: string;
  /** A short tag the page chose for its window (`?window=`), already checked by windowTag(). */
  readonly window?: string;
}

/** Options of a SPICE channel connection (`?takeover=1`). */
export interface SpiceAttachOptions {
  /** The user agreed to disconnect whoever holds the SPICE console now. */
  readonly takeover?: boolean;
}

export interface SerialAttachOptions {
  /** Absolute byte offset a reconnecting client already has everything before. */
  readonly from?: number;
  /** Otherwise: start with (at most) the last `last` bytes of history. */
  readonly last?: number;
}

/** Bytes of a serial history, or the range that is gone. Offsets are absolute and monotonic. */
export interface HistoryRead {
  /** Offset of the first byte of `data`. */
  readonly start: number;
  readonly data: Buffer;
  /** Offset just past the newest byte in history (the total byte count). */
  readonly end: number;
  /** Requested bytes that are no longer kept, as [from, to) when any were asked for. */
  readonly missing: { readonly from: number; readonly to: number } | null;
}

/** The result of asking whether a console can take one more client right now. */
export type Availability = { readonly ok: true } | { readonly ok: false; readonly error: VwcError };

export interface ConsoleHub {
  /** Starts following the registry (serial sources are owned from the moment a VM runs). */
  start(): void;
  serialAvailable(vmName: string, index: number): Availability;
  /**
   * Takes over an open WebSocket for serial console `index` of `vmName`, with the socket under it
   * (as handed to handleUpgrade): console output frames are written on it.
   */
  attachSerial(
    ws: WebSocket,
    socket: Duplex,
    vmName: string,
    index: number,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): void;
  /**
   * Attaches a serial client that is not a WebSocket (an SSH channel) through its own transport:
   * the same mux, history, roles, write lock and presence as the browser's. Throws a VwcError
   * when the console cannot take it (the serialAvailable answer).
   */
  attachSerialClient(
    vmName: string,
    index: number,
    transport: ClientTransport,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): SerialClientHandle;
  /**
   * The on-disk log of serial console `index` in a time window (GET …/serial/:n/log); null when
   * the daemon keeps no logs or the domain has no such port. Absent on hubs without logs.
   */
  readSerialLog?(vmName: string, index: number, range: LogRange): AsyncGenerator<LogRecord> | null;
  /** History of serial console `index`, for GET …/serial/:n/history. */
  readSerialHistory(vmName: string, index: number, from: number, max: number): HistoryRead | undefined;
  vncAvailable(vmName: string): Availability;
  /**
   * Takes over an open WebSocket (subprotocol `binary`) for the VM's VNC console, with the
   * socket under it (as handed to handleUpgrade): the relay writes server frames on it.
   */
  attachVnc(ws: WebSocket, socket: Duplex, vmName: string, session: ConsoleSession): void;
  spiceAvailable(vmName: string): Availability;
  /**
   * Takes over an open WebSocket (subprotocol `binary`) carrying one SPICE channel of the VM
   * (spice-html5 opens one per channel), with the socket under it.
   */
  attachSpice(
    ws: WebSocket,
    socket: Duplex,
    vmName: string,
    session: ConsoleSession,
    options: SpiceAttachOptions,
  ): void;
  /**
   * Takes over an open WebSocket for the VM's VNC control channel (presence and the input lock,
   * JSON text frames; docs/vnc.md "Control lock").
   */
  attachVncControl(ws: WebSocket, vmName: string, session: ConsoleSession): void;
  /** Whether the VM has a VNC console whose control channel may be opened (no viewer limit). */
  vncControlAvailable(vmName: string): Availability;
  /** VNC session recordings (docs/vnc.md "Recording"); absent when recording is off. */
  readonly recordings?: VncRecordings;
  /** Closes every client with `reason`, releases every upstream. */
  stop(reason: string): Promise<void>;
}
