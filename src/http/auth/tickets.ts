// Console tickets: short-lived, single-use credentials for a WebSocket URL, for browsers that
// do not send the page's Basic credentials on an upgrade. A ticket is bound to one user and one
// console; redeeming it removes it whether or not it still matches.
import { randomBytes } from 'node:crypto';
import type { Role } from '../../bridge/types.js';

export type ConsoleRef =
  | { readonly kind: 'vnc'; readonly domain: string }
  /** SPICE: one ticket serves every channel connection of the session until it expires (spice-html5 opens them all on one URL). */
  | { readonly kind: 'spice'; readonly domain: string }
  | {
      readonly kind: 'serial';
      readonly domain: string;
      readonly index: number;
    };

export interface Ticket {
  readonly user: string;
  readonly role: Role;
  readonly console: ConsoleRef;
  readonly expiresAt: number;
}

const MAX_OUTSTANDING = 10_000;
/**
 * Outstanding tickets per user: a page asks for one per connection attempt, so a few dozen is
 * plenty, and one user (or a script with their password) cannot push everybody else's
 * tickets out of the store.
 */
const MAX_PER_USER = 64;

export class TicketStore {
  private readonly tickets = new Map<string, Ticket>();
  private readonly perUser = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  issue(user: string, role: Role, consoleRef: ConsoleRef): { ticket: string; expiresAt: number } {
    this.prune();
    // Bounded memory whatever a client asks for: the oldest outstanding ticket goes first, the
    // user's own before anyone else's.
    if ((this.perUser.get(user) ?? 0) >= MAX_PER_USER) this.dropOldest((grant) => grant.user === user);
    if (this.tickets.size >= MAX_OUTSTANDING) this.dropOldest(() => true);
    const ticket = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(ticket, { user, role, console: consoleRef, expiresAt });
    this.perUser.set(user, (this.perUser.get(user) ?? 0) + 1);
    return { ticket, expiresAt };
  }

  /** The ticket's grant if it exists, has not expired and names this console; consumed either way. */
  redeem(ticket: string, consoleRef: ConsoleRef): Ticket | null {
    const grant = this.tickets.get(ticket);
    if (grant?.console.kind !== 'spice' || consoleRef.kind !== 'spice') this.remove(ticket);
    if (!grant || grant.expiresAt <= this.now()) return null;
    const same =
      grant.console.kind === consoleRef.kind &&
      grant.console.domain === consoleRef.domain &&
      (grant.console.kind === 'vnc' ||
        grant.console.kind === 'spice' ||
        (consoleRef.kind === 'serial' && grant.console.index === consoleRef.index));
    return same ? grant : null;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, grant] of this.tickets) if (grant.expiresAt <= now) this.remove(key);
  }

  /** Tickets are kept in issue order: the first match is the oldest. */
  private dropOldest(matches: (grant: Ticket) => boolean): void {
    for (const [key, grant] of this.tickets) {
      if (matches(grant)) {
        this.remove(key);
        return;
      }
    }
  }

  private remove(key: string): void {
    const grant = this.tickets.get(key);
    if (!grant) return;
    this.tickets.delete(key);
    const left = (this.perUser.get(grant.user) ?? 1) - 1;
    if (left > 0) this.perUser.set(grant.user, left);
    else this.perUser.delete(grant.user);
  }
}
