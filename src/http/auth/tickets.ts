// Console tickets: short-lived, single-use credentials for a WebSocket URL, for browsers that
// do not send the page's Basic credentials on an upgrade. A ticket is bound to one user and one
// console; redeeming it removes it whether or not it still matches.
import { randomBytes } from 'node:crypto';
import type { Role } from '../../bridge/types.js';

export type ConsoleRef =
  | { readonly kind: 'vnc'; readonly domain: string }
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

export class TicketStore {
  private readonly tickets = new Map<string, Ticket>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
  ) {}

  issue(user: string, role: Role, consoleRef: ConsoleRef): { ticket: string; expiresAt: number } {
    this.prune();
    // Bounded memory whatever a client asks for: the oldest outstanding ticket goes first.
    if (this.tickets.size >= MAX_OUTSTANDING) {
      const oldest = this.tickets.keys().next().value;
      if (oldest !== undefined) this.tickets.delete(oldest);
    }
    const ticket = randomBytes(24).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.tickets.set(ticket, { user, role, console: consoleRef, expiresAt });
    return { ticket, expiresAt };
  }

  /** The ticket's grant if it exists, has not expired and names this console; consumed either way. */
  redeem(ticket: string, consoleRef: ConsoleRef): Ticket | null {
    const grant = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    if (!grant || grant.expiresAt <= this.now()) return null;
    const same =
      grant.console.kind === consoleRef.kind &&
      grant.console.domain === consoleRef.domain &&
      (grant.console.kind === 'vnc' ||
        (consoleRef.kind === 'serial' && grant.console.index === consoleRef.index));
    return same ? grant : null;
  }

  private prune(): void {
    const now = this.now();
    for (const [key, grant] of this.tickets) if (grant.expiresAt <= now) this.tickets.delete(key);
  }
}
