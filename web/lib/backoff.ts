// Reconnect delays: 1 s, 2 s, 4 s … capped at 30 s, back to 1 s after a good connection.
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly firstMs = 1000,
    private readonly maxMs = 30_000,
  ) {}

  /** The delay before the next attempt; each call doubles the following one. */
  next(): number {
    const delay = Math.min(this.maxMs, this.firstMs * 2 ** this.attempt);
    if (delay < this.maxMs) this.attempt += 1;
    return delay;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/**
 * One pending reconnect timer; `now()` fires it early (e.g. when the VM is seen running again).
 */
export class Retry {
  private timer: ReturnType<typeof setTimeout> | null = null;
  readonly backoff = new Backoff();

  constructor(private readonly run: () => void) {}

  get pending(): boolean {
    return this.timer !== null;
  }

  /** Schedules the next attempt after the backoff delay; returns that delay. */
  schedule(): number {
    this.cancel();
    const delay = this.backoff.next();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run();
    }, delay);
    return delay;
  }

  now(): void {
    if (!this.pending) return;
    this.cancel();
    this.run();
  }

  /** The thing we wait for is back (e.g. the VM runs again): retry at once, from a fresh backoff. */
  restartIfWaiting(): void {
    if (!this.pending) return;
    this.backoff.reset();
    this.now();
  }

  cancel(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
