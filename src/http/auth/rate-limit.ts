// Failed logins per client address: after `maxFailures` failures within `windowMs`, the address
// is refused (429) until the oldest failure leaves the window. Successes are not counted.

/** Told of each failed login and each address that reaches the limit (metrics). */
export interface LoginObserver {
  failure(): void;
  lockout(): void;
}

export class LoginRateLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number,
    private readonly observer?: LoginObserver,
  ) {}

  /**
   * Seconds until the address may try again, or 0 when it may try now. `pending` counts checks
   * of other credentials still under way from the address, as if they had failed.
   */
  retryAfter(address: string, pending = 0): number {
    const list = this.recent(address);
    if (list.length + pending < this.maxFailures) return 0;
    // Refused only because of checks under way: those end within a second or so.
    if (list.length < this.maxFailures) return 1;
    const oldest = list[list.length - this.maxFailures]!;
    return Math.max(1, Math.ceil((oldest + this.windowMs - this.now()) / 1000));
  }

  recordFailure(address: string): void {
    const list = this.recent(address);
    list.push(this.now());
    this.failures.set(address, list);
    this.observer?.failure();
    if (list.length === this.maxFailures) this.observer?.lockout();
    if (this.failures.size > 10_000) this.prune();
  }

  private recent(address: string): number[] {
    const since = this.now() - this.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    if (list.length === 0) this.failures.delete(address);
    else this.failures.set(address, list);
    return list;
  }

  private prune(): void {
    for (const address of [...this.failures.keys()]) this.recent(address);
  }
}
