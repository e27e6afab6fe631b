// Login sessions of the login form: a random 256-bit id in an HttpOnly cookie names one entry
// here. An entry ends when unused for the idle timeout, at the absolute timeout whatever its
// use, on logout, or when its user's line in the users file changes or goes (the caller checks
// the credential stamp). In memory only: a restart logs everybody out, which is also what a
// password reset by restart would want.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export interface SessionLimits {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** Sessions per user; a new login past it ends that user's oldest session. */
  readonly maxPerUser: number;
  /** Sessions in all; a new login past it ends the oldest session of anyone. */
  readonly maxTotal: number;
}

export interface LoginSession {
  readonly user: string;
  /** The user's credential stamp at login (UserStore.verifyStamped); a different one ends it. */
  readonly stamp: string;
  readonly createdAt: number;
  readonly lastSeen: number;
}

/** The store keys sessions by a digest of the id, so a heap dump holds no usable cookie. */
const keyOf = (id: string): string => createHash('sha256').update(id).digest('base64url');

/** base64url of 32 bytes, 43 characters: a plain id, and the digest of any id. */
export const DIGEST_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const ID_PATTERN = DIGEST_PATTERN;
/** A sealed id: base64url(JSON { u, s, c, r }) "." base64url(HMAC-SHA256). */
const SEALED_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.[A-Za-z0-9_-]{43}$/;

const MAX_ENDED = 100_000;

/**
 * A sealed session ended by a logout, as fleet entries tell each other through their hosts
 * (docs/fleet-backend.md "Logins across entries"): the digest the stores key it by (never the
 * cookie itself) and when it would have timed out anyway.
 */
export interface SessionRevocation {
  readonly digest: string;
  readonly expiresAt: number;
}

/** A fleet entry's way to spread its logouts and to hear of its siblings' (src/fleet). */
export interface SessionRevocations {
  /** A sealed session ended here: tell the siblings. */
  ended(revocation: SessionRevocation): void;
  /** Calls `revoke` for each sibling's logout from now on. */
  follow(revoke: (revocation: SessionRevocation) => void): void;
}

const mac = (seal: Buffer, payload: string): Buffer => createHmac('sha256', seal).update(payload).digest();

export class SessionStore {
  /** In creation order: the first entry is the oldest. */
  private readonly sessions = new Map<string, LoginSession>();
  /**
   * Sealed sessions ended here (logout, changed password) → when they would time out anyway:
   * their cookie must not be taken in again as a sibling's.
   */
  private readonly ended = new Map<string, number>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
    /**
     * Fleet entries (src/fleet) seal their session ids with a key they share: an id another
     * entry made is taken in here, so a user logged in at one entry is logged in at every one
     * (no load-balancer affinity). Its absolute timeout still counts from the first login.
     */
    private readonly seal: Buffer | null = null,
    /** Told of each sealed session ended by `end` (a logout), to spread it (src/fleet). */
    private readonly onEnd: ((revocation: SessionRevocation) => void) | null = null,
  ) {}

  private valid(id: string): boolean {
    return ID_PATTERN.test(id) || (this.seal !== null && SEALED_PATTERN.test(id));
  }

  /** A session sealed by a sibling entry, checked and taken in; null when the seal does not hold. */
  private adopt(id: string): LoginSession | null {
    if (this.seal === null) return null;
    const [payload = '', signature = ''] = id.split('.');
    const expected = mac(this.seal, payload);
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString());
    } catch {
      return null;
    }
    const p = parsed as { u?: unknown; s?: unknown; c?: unknown };
    if (typeof p.u !== 'string' || typeof p.s !== 'string' || typeof p.c !== 'number') return null;
    const session: LoginSession = { user: p.u, stamp: p.s, createdAt: p.c, lastSeen: this.now() };
    if (this.expired(session) || this.ended.has(keyOf(id))) return null;
    this.make(p.u);
    this.sessions.set(keyOf(id), session);
    return session;
  }

  /** Room for one more session of `user`, under both limits. */
  private make(user: string): void {
    this.prune();
    const mine = [...this.sessions].filter(([, s]) => s.user === user);
    for (const [key] of mine.slice(0, Math.max(0, mine.length - this.limits.maxPerUser + 1))) {
      this.sessions.delete(key);
    }
    while (this.sessions.size >= this.limits.maxTotal) {
      const oldest = this.sessions.keys().next();
      if (oldest.done === true) break;
      this.sessions.delete(oldest.value);
    }
  }

  get size(): number {
    return this.sessions.size;
  }

  /** A new session for `user`; the id goes into the cookie and nowhere else. */
  create(user: string, stamp: string): { readonly id: string; readonly expiresAt: number } {
    this.make(user);
    const now = this.now();
    let id = randomBytes(32).toString('base64url');
    if (this.seal !== null) {
      const payload = Buffer.from(JSON.stringify({ u: user, s: stamp, c: now, r: id })).toString('base64url');
      id = `${payload}.${mac(this.seal, payload).toString('base64url')}`;
    }
    this.sessions.set(keyOf(id), { user, stamp, createdAt: now, lastSeen: now });
    return { id, expiresAt: now + this.limits.absoluteMs };
  }

  /** The live session of that id, marked as used now; null (and forgotten) when it has timed out. */
  use(id: string): LoginSession | null {
    if (!this.valid(id)) return null;
    const key = keyOf(id);
    const session = this.sessions.get(key) ?? this.adopt(id);
    if (!session) return null;
    if (this.expired(session)) {
      this.forget(key);
      return null;
    }
    const used = { ...session, lastSeen: this.now() };
    this.sessions.set(key, used);
    return used;
  }

  /** Ends the session of that id (logout); whether there was one. */
  end(id: string): boolean {
    if (!this.valid(id)) return false;
    const key = keyOf(id);
    const session = this.sessions.get(key);
    if (!session || !this.forget(key)) return false;
    if (this.seal !== null)
      this.onEnd?.({ digest: key, expiresAt: session.createdAt + this.limits.absoluteMs });
    return true;
  }

  /** A sibling entry's logout: that session is refused here until `expiresAt`. */
  revoke(revocation: SessionRevocation): void {
    if (this.seal === null || revocation.expiresAt <= this.now()) return;
    this.sessions.delete(revocation.digest);
    this.remember(revocation.digest, revocation.expiresAt);
  }

  /** Ends every session `ended` says is over (a removed user, a changed password); how many. */
  endWhere(ended: (session: LoginSession) => boolean): number {
    let count = 0;
    for (const [key, session] of this.sessions) {
      if (ended(session)) {
        this.forget(key);
        count++;
      }
    }
    return count;
  }

  /** Drops a session; a sealed one is remembered as ended until it would time out anyway. */
  private forget(key: string): boolean {
    const session = this.sessions.get(key);
    if (!session) return false;
    if (this.seal !== null) this.remember(key, session.createdAt + this.limits.absoluteMs);
    return this.sessions.delete(key);
  }

  /** A sealed session that must not be taken in again before `until`. */
  private remember(key: string, until: number): void {
    this.ended.set(key, Math.max(until, this.ended.get(key) ?? 0));
    // Bounded whatever the churn: the oldest go first (a cookie that old is rarely replayed).
    if (this.ended.size > MAX_ENDED) this.ended.delete(this.ended.keys().next().value!);
  }

  private expired(session: LoginSession): boolean {
    const now = this.now();
    return now - session.lastSeen >= this.limits.idleMs || now - session.createdAt >= this.limits.absoluteMs;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, until] of this.ended) if (until <= now) this.ended.delete(key);
    this.endWhere((session) => this.expired(session));
  }
}
