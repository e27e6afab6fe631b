// What a serial mux needs from an upstream (the VM's side of a console), whatever its kind.

/** Callbacks an upstream reports through; `closed` is called exactly once. */
export interface UpstreamHandlers {
  /** Output of the guest. `chunk` is valid only during the call (its memory may be reused). */
  data(chunk: Buffer): void;
  /** Input may be written again after `write` returned false. */
  drain(): void;
  closed(error: Error | null): void;
}

export interface SerialUpstream {
  /** For logs: e.g. `pty /dev/pts/3`. */
  readonly description: string;
  /** Sends input to the guest; false when the upstream's buffer is full (wait for `drain`). */
  write(data: Buffer): boolean;
  /**
   * Bytes of output the kernel is sure to hold while reading is paused, without blocking the
   * guest's writes (a pty buffers bytes; a socket a number of writes, however small).
   */
  readonly holdBytes: number;
  /**
   * Stops and restarts reading (the mux lets a slow chatty source's writes gather in the kernel
   * for its coalescing window: one read and one wake-up instead of one per guest write).
   */
  pause(): void;
  resume(): void;
  /**
   * Sends a serial break, when the source can carry one (QEMU turns telnet's IAC BREAK into a
   * UART break; a pty or a raw socket has no way to say it). Absent: it cannot.
   */
  sendBreak?(): void;
  /** Releases the source; `closed` follows. */
  close(): void;
}

/** Where a stream connection goes: the same shape as discovery's VncTarget. */
export type StreamTarget =
  | { readonly transport: 'unix'; readonly path: string }
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number };
