// A fleet host's list of revoked login sessions (docs/fleet-backend.md "Logins across
// entries"): an entry that logs a user out posts the session's digest here, and the host
// announces it on /api/fleet/events to every entry, now and to each entry that connects later,
// until the session would have timed out anyway. In memory and bounded: past `max`, the
// oldest revocation goes (logged), since a cookie that old is the least likely to be replayed.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { VwcError } from '../errors/index.js';
import { DIGEST_PATTERN, type SessionRevocation } from '../http/index.js';

/** The longest a login session lives (sessions.absoluteHours is at most 30 days), and a day. */
const MAX_LIFETIME_MS = 31 * 24 * 3_600_000;
export const DEFAULT_MAX_REVOCATIONS = 100_000;

export interface RevocationListOptions {
  readonly now: () => number;
  readonly logger: Logger;
  /** Revocations kept at most (default 100,000). */
  readonly max?: number;
}

/** `{ digest, expiresAt }` as an entry posts it, or VWC_ERR_BAD_REQUEST saying what is wrong. */
export function parseRevocation(body: unknown, now: number): SessionRevocation {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (
    typeof b.digest !== 'string' ||
    !DIGEST_PATTERN.test(b.digest) ||
    typeof b.expiresAt !== 'number' ||
    !Number.isSafeInteger(b.expiresAt) ||
    b.expiresAt > now + MAX_LIFETIME_MS
  ) {
    throw new VwcError(
      'VWC_ERR_BAD_REQUEST',
      'expected JSON { digest: <43 base64url characters>, expiresAt: <ms since the epoch, within 31 days> }',
    );
  }
  return { digest: b.digest, expiresAt: b.expiresAt };
}

export class RevocationList extends EventEmitter<{ revoked: [revocation: SessionRevocation] }> {
  /** digest → expiry, in arrival order: the first is the oldest. */
  private readonly revoked = new Map<string, number>();
  private readonly max: number;

  constructor(private readonly options: RevocationListOptions) {
    super();
    // One listener per entry's event stream.
    this.setMaxListeners(0);
    this.max = options.max ?? DEFAULT_MAX_REVOCATIONS;
  }

  get size(): number {
    return this.revoked.size;
  }

  /** Keeps and announces a revocation; one already known or already expired is not announced again. */
  add(revocation: SessionRevocation): void {
    if (revocation.expiresAt <= this.options.now() || this.revoked.has(revocation.digest)) return;
    // Pruned only when full: a scan per post would make a burst of logouts quadratic.
    if (this.revoked.size >= this.max) this.prune();
    if (this.revoked.size >= this.max) {
      const [digest, expiresAt] = this.revoked.entries().next().value!;
      this.revoked.delete(digest);
      this.options.logger.warn(
        { max: this.max, droppedExpiresAt: new Date(expiresAt).toISOString() },
        'fleet session revocations full: the oldest dropped (its cookie is taken again until it times out)',
      );
    }
    this.revoked.set(revocation.digest, revocation.expiresAt);
    this.emit('revoked', revocation);
  }

  /** Every revocation still in force. */
  list(): SessionRevocation[] {
    this.prune();
    return [...this.revoked].map(([digest, expiresAt]) => ({ digest, expiresAt }));
  }

  private prune(): void {
    const now = this.options.now();
    for (const [digest, expiresAt] of this.revoked) if (expiresAt <= now) this.revoked.delete(digest);
  }
}
