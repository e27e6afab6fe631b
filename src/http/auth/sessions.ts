// Login sessions of the login form: a random 256-bit id in an HttpOnly cookie names one entry
// here. An entry ends when unused for the idle timeout, at the absolute timeout whatever its
// use, on logout, or when its user's line in the users file changes or goes (the caller checks
// the credential stamp). In memory only: a restart logs everybody out, which is also what a
// password reset by restart would want.
import { createHash, randomBytes } from 'node:crypto';

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

/** base64url of 32 random bytes: 43 characters. */
const ID_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export class SessionStore {
  /** In creation order: the first entry is the oldest. */
  private readonly sessions = new Map<string, LoginSession>();

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  /** A new session for `user`; the id goes into the cookie and nowhere else. */
  create(user: string, stamp: string): { readonly id: string; readonly expiresAt: number } {
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
    const id = randomBytes(32).toString('base64url');
    const now = this.now();
    this.sessions.set(keyOf(id), { user, stamp, createdAt: now, lastSeen: now });
    return { id, expiresAt: now + this.limits.absoluteMs };
  }

  /** The live session of that id, marked as used now; null (and forgotten) when it has timed out. */
  use(id: string): LoginSession | null {
    if (!ID_PATTERN.test(id)) return null;
    const key = keyOf(id);
    const session = this.sessions.get(key);
    if (!session) return null;
    if (this.expired(session)) {
      this.sessions.delete(key);
      return null;
    }
    const used = { ...session, lastSeen: this.now() };
    this.sessions.set(key, used);
    return used;
  }

  /** Ends the session of that id (logout); whether there was one. */
  end(id: string): boolean {
    return ID_PATTERN.test(id) && this.sessions.delete(keyOf(id));
  }

  /** Ends every session `ended` says is over (a removed user, a changed password); how many. */
  endWhere(ended: (session: LoginSession) => boolean): number {
    let count = 0;
    for (const [key, session] of this.sessions) {
      if (ended(session)) {
        this.sessions.delete(key);
        count++;
      }
    }
    return count;
  }

  private expired(session: LoginSession): boolean {
    const now = this.now();
    return now - session.lastSeen >= this.limits.idleMs || now - session.createdAt >= this.limits.absoluteMs;
  }

  private prune(): void {
    this.endWhere((session) => this.expired(session));
  }
}
