// Tunables of the serial multiplexer. The config layer maps `Config.serial` onto these; every
// field has a default so tests and the bench can pass only what they vary.

/** What happens to a client whose pending output exceeds `clientQueueBytes`. */
export type SlowClientPolicy = 'resync' | 'disconnect';

export interface SerialOptions {
  /** First bytes of each boot kept for good (the boot log). */
  readonly headBytes: number;
  /** Latest bytes kept in the ring. */
  readonly tailBytes: number;
  /** Output a client may have pending (not yet written to its socket) before it counts as slow. */
  readonly clientQueueBytes: number;
  /** `resync`: skip it to the live end with a `gap` notice and a marker; `disconnect`: close it. */
  readonly slowClientPolicy: SlowClientPolicy;
  /** Window in which upstream reads are gathered into one message; 0 sends every read at once. */
  readonly coalesceMs: number;
  /** Largest WebSocket frame a client may send (binary input or control text). */
  readonly maxInputFrameBytes: number;
  /** Clients per serial port; more are refused. */
  readonly maxClientsPerPort: number;
}

export const DEFAULT_SERIAL_OPTIONS: SerialOptions = {
  headBytes: 256 * 1024,
  tailBytes: 1024 * 1024,
  clientQueueBytes: 256 * 1024,
  slowClientPolicy: 'resync',
  // 5 ms: a chatty guest's 1-16 byte writes cost about a quarter to a half of websockify's CPU
  // per KiB (bench/results/serial.md); typing latency stays far below what a person notices.
  coalesceMs: 5,
  maxInputFrameBytes: 64 * 1024,
  maxClientsPerPort: 2048,
};

export function serialOptions(partial: Partial<SerialOptions> = {}): SerialOptions {
  const options = { ...DEFAULT_SERIAL_OPTIONS, ...partial };
  for (const [key, value] of Object.entries(options)) {
    if (typeof value === 'number' && (!Number.isFinite(value) || value < 0)) {
      throw new RangeError(`serial option ${key} must be a finite number ≥ 0, got ${value}`);
    }
  }
  return options;
}
