// An entry's side of logouts across entries (docs/fleet-backend.md "Logins across entries"):
// every logout here is posted to every host, which announces it to every entry. A host that
// cannot take it now keeps it queued here, retried every few seconds and at once when its link
// is back, until the session would have timed out anyway. Queued in memory only: an entry
// that dies with revocations unsent loses them (its siblings then accept that cookie until
// its absolute timeout).
import type { Logger } from 'pino';
import type { SessionRevocation } from '../http/index.js';

/** Where revocations go: a host, through its link's authenticated POST. */
export interface RevocationTarget {
  readonly name: string;
  post(path: string, body: unknown): Promise<void>;
}

export interface RevocationSenderOptions {
  readonly targets: readonly RevocationTarget[];
  readonly now: () => number;
  readonly logger: Logger;
  /** Wait before another try at a host that refused or did not answer (default 5 s). */
  readonly retryMs?: number;
  /** Unsent revocations kept per host (default 10,000); past it the oldest go, logged. */
  readonly maxPending?: number;
}

export const REVOCATIONS_PATH = '/api/fleet/revocations';

export class RevocationSender {
  /** host → digest → expiry, oldest first. */
  private readonly pending = new Map<string, Map<string, number>>();
  /** Per host, the drain under way: sends to one host go one at a time. */
  private readonly draining = new Map<string, Promise<void>>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: RevocationSenderOptions) {
    for (const target of options.targets) this.pending.set(target.name, new Map());
  }

  /** A logout here: to every host now, and later to those that cannot take it now. */
  send(revocation: SessionRevocation): void {
    const { targets, logger } = this.options;
    for (const target of targets) this.queue(target.name, revocation);
    void Promise.all(targets.map((target) => this.drain(target))).then(() => {
      const missed = targets.filter((t) => this.pending.get(t.name)!.has(revocation.digest));
      if (missed.length === 0) return;
      const fields = {
        hosts: missed.map((t) => t.name),
        until: new Date(revocation.expiresAt).toISOString(),
      };
      if (missed.length === targets.length) {
        logger.warn(
          fields,
          'logout reached no fleet host: other entries accept this session until a host takes it (retrying until it expires)',
        );
      } else logger.info(fields, 'logout not yet told to some fleet hosts (retrying until it expires)');
    });
  }

  /** The host's link is back: what it missed goes now. */
  hostUp(name: string): void {
    const target = this.options.targets.find((t) => t.name === name);
    if (target && this.pending.get(name)!.size > 0) void this.drain(target);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.retries.values()) clearTimeout(timer);
    this.retries.clear();
  }

  private queue(host: string, revocation: SessionRevocation): void {
    const queue = this.pending.get(host)!;
    queue.set(revocation.digest, revocation.expiresAt);
    if (queue.size <= (this.options.maxPending ?? 10_000)) return;
    const [digest] = queue.keys();
    queue.delete(digest!);
    this.options.logger.warn(
      { host },
      'too many logouts queued for an unreachable fleet host: the oldest dropped',
    );
  }

  private drain(target: RevocationTarget): Promise<void> {
    const next = (this.draining.get(target.name) ?? Promise.resolve()).then(() => this.sendAll(target));
    this.draining.set(target.name, next);
    return next;
  }

  private async sendAll(target: RevocationTarget): Promise<void> {
    const queue = this.pending.get(target.name)!;
    for (const [digest, expiresAt] of [...queue]) {
      if (this.stopped) return;
      if (expiresAt <= this.options.now()) {
        queue.delete(digest);
        continue;
      }
      try {
        await target.post(REVOCATIONS_PATH, { digest, expiresAt });
        queue.delete(digest);
      } catch (error) {
        this.options.logger.debug({ host: target.name, err: error }, 'fleet host did not take a logout');
        this.retryLater(target);
        return;
      }
    }
  }

  private retryLater(target: RevocationTarget): void {
    if (this.stopped || this.retries.has(target.name)) return;
    const timer = setTimeout(() => {
      this.retries.delete(target.name);
      void this.drain(target);
    }, this.options.retryMs ?? 5_000);
    timer.unref();
    this.retries.set(target.name, timer);
  }
}
