// What a serial mux needs from an upstream (the VM's side of a console), whatever its kind.

/** Callbacks an upstream reports through; `closed` is called exactly once. */
export interface UpstreamHandlers {
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
   * Stops and restarts reading (the mux lets small writes gather in the kernel for its coalescing
   * window: one read and one wake-up instead of one per guest write).
   */
  pause(): void;
  resume(): void;
  /** Releases the source; `closed` follows. */
  close(): void;
}

/** Where a stream connection goes: the same shape as discovery's VncTarget. */
export type StreamTarget =
  | { readonly transport: 'unix'; readonly path: string }
  | { readonly transport: 'tcp'; readonly host: string; readonly port: number };
