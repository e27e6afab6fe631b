// One attached client of a serial mux: its transport and where it stands in the byte stream.
import type { Role } from '../types.js';
import type { OutputChunk } from './output.js';

/** What the mux needs from a client connection (a WebSocket in production, a fake in tests). */
export interface ClientTransport {
  /**
   * Console bytes (`chunk.data`; the same chunk goes to every caught-up client). `done` runs once
   * they left the process (or failed), perhaps before this returns: the client's in-flight measure.
   */
  sendBinary(chunk: OutputChunk, done: () => void): void;
  /** A control message (JSON text). `done` as for `sendBinary`: control bytes are bounded too. */
  sendText(text: string, done: () => void): void;
  /** Ends the connection with a WebSocket close code and reason. */
  close(code: number, reason: string): void;
  /** Stop and restart reading this client's input (upstream backpressure). */
  pauseInput(): void;
  resumeInput(): void;
}

export type Deferred = 'presence' | 'lock' | 'vm';

export class SerialClient {
  /** Absolute offset of the next console byte to send. */
  offset: number;
  /** Bytes handed to the transport and not yet reported `done`. */
  inflight = 0;
  /**
   * The same for control messages, apart: a reader at full pace has `inflight` near the limit,
   * which must not count against it; a client that stops reading while the VM is quiet still
   * receives presence and lock changes, which must not pile up without bound.
   */
  controlInflight = 0;
  /**
   * History backlog granted at attach (replaying history is not falling behind); it only
   * shrinks as the client catches up, so afterwards the queue limit alone applies.
   */
  allowance: number;
  /** Fell behind (policy resync): nothing is sent until its in-flight bytes are written. */
  behind = false;
  /**
   * State messages held back while behind or while its control bytes in flight exceed the
   * limit; the latest state is sent once it catches up.
   */
  readonly deferred = new Set<Deferred>();
  /** Already told (once per lock change) that its input was dropped. */
  toldLockRefused = false;
  /** pump() is running for this client; requests counted to serve the ones made meanwhile. */
  pumping = false;
  pumpRequests = 0;
  closed = false;
  /** Sequence number of the next stream marker (events.ts) this client has not had. */
  eventSeq = 0;
  /** When it attached (milliseconds since the epoch), shown in presence. */
  readonly since = Date.now();

  constructor(
    readonly id: string,
    readonly user: string,
    readonly role: Role,
    readonly transport: ClientTransport,
    offset: number,
    end: number,
    /** How presence names it besides the user (ConsoleSession.label and .window). */
    readonly tags: { readonly label?: string; readonly window?: string } = {},
  ) {
    this.offset = offset;
    this.allowance = end - offset;
  }

  /** Bytes produced for this client and not yet written out. */
  pending(end: number): number {
    return end - this.offset + this.inflight;
  }
}
