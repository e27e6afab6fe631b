// Fleet tickets: an entry signs, with its Ed25519 key, who may open which console on which host
// until when; the host checks the signature with the entry's public key, so neither side keeps
// per-ticket state except the host's short list of nonces already used. A ticket is
// `base64url(JSON claims).base64url(signature over the first part)`: the dot tells it apart from
// the daemon's own opaque tickets (src/http/auth/tickets.ts).
import { randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import type { Role } from '../bridge/types.js';
import type { FleetConsole, TicketClaims } from './types.js';

/** Clocks of entry and host may differ by this much either way. */
export const CLOCK_SKEW_MS = 5_000;
/** The longest life a ticket may have (issue #20): a leaked URL is worthless half a minute later. */
export const MAX_TICKET_TTL_MS = 30_000;

export function isFleetTicket(ticket: string): boolean {
  return ticket.includes('.');
}

export interface TicketGrant {
  readonly user: string;
  readonly role: Role;
  readonly host: string;
  readonly domain: string;
  readonly console: FleetConsole;
}

export function signTicket(
  privateKey: KeyObject,
  grant: TicketGrant,
  ttlMs: number,
  now: number,
): { ticket: string; claims: TicketClaims } {
  const claims: TicketClaims = { ...grant, exp: now + ttlMs, nonce: randomBytes(16).toString('base64url') };
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const signature = sign(null, Buffer.from(payload), privateKey).toString('base64url');
  return { ticket: `${payload}.${signature}`, claims };
}

export type TicketRefusal = 'malformed' | 'forged' | 'host' | 'domain' | 'console' | 'expired' | 'replayed';

export type TicketCheck =
  | { readonly ok: true; readonly claims: TicketClaims }
  | { readonly ok: false; readonly reason: TicketRefusal; readonly message: string };

export interface VerifierOptions {
  /** This host's fleet name. */
  readonly host: string;
  /** Any of these may have signed (several during a key rotation). */
  readonly publicKeys: readonly KeyObject[];
  readonly now: () => number;
  /** The longest lifetime a ticket may claim (default MAX_TICKET_TTL_MS). */
  readonly maxTtlMs?: number;
}

const MESSAGES: Readonly<Record<TicketRefusal, string>> = {
  malformed: 'the fleet ticket is malformed',
  forged: 'the fleet ticket is not signed by a trusted entry key',
  host: 'the fleet ticket is for another host',
  domain: 'the fleet ticket is for another domain',
  console: 'the fleet ticket is for another console',
  expired: 'the fleet ticket has expired; ask the entry for a new one',
  replayed: 'the fleet ticket was already used; ask the entry for a new one',
};

const refuse = (reason: TicketRefusal): TicketCheck => ({ ok: false, reason, message: MESSAGES[reason] });

function parseClaims(payload: string): TicketClaims | null {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, 'base64url').toString());
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const c = value as Record<string, unknown>;
  const ok =
    typeof c.user === 'string' &&
    (c.role === 'viewer' || c.role === 'operator') &&
    typeof c.host === 'string' &&
    typeof c.domain === 'string' &&
    typeof c.console === 'string' &&
    /^(vnc|vnc-control|spice|serial\/\d{1,6})$/.test(c.console) &&
    typeof c.exp === 'number' &&
    Number.isFinite(c.exp) &&
    typeof c.nonce === 'string' &&
    c.nonce.length >= 16;
  return ok ? (value as TicketClaims) : null;
}

/** A host's check of entry tickets; remembers used nonces until their ticket could no longer pass. */
export class TicketVerifier {
  /** nonce → the time after which its ticket is refused as expired anyway. */
  private readonly used = new Map<string, number>();
  private readonly maxTtlMs: number;
  private prunedAt = 0;

  constructor(private readonly options: VerifierOptions) {
    this.maxTtlMs = options.maxTtlMs ?? MAX_TICKET_TTL_MS;
  }

  /**
   * Checks a ticket for `domain`/`console` and, when it passes, marks it used. A SPICE ticket
   * stays valid for every channel connection until it expires: spice-html5 opens its main,
   * display, inputs… channels on one URL (the same rule as the daemon's own tickets).
   */
  redeem(ticket: string, domain: string, console: FleetConsole): TicketCheck {
    const dot = ticket.indexOf('.');
    if (dot <= 0 || ticket.length > 4096) return refuse('malformed');
    const payload = ticket.slice(0, dot);
    const signature = Buffer.from(ticket.slice(dot + 1), 'base64url');
    const signed = this.options.publicKeys.some((key) => {
      try {
        return verify(null, Buffer.from(payload), key, signature);
      } catch {
        return false;
      }
    });
    if (!signed) return refuse('forged');
    const claims = parseClaims(payload);
    if (!claims) return refuse('malformed');
    if (claims.host !== this.options.host) return refuse('host');
    if (claims.domain !== domain) return refuse('domain');
    if (claims.console !== console) return refuse('console');
    const now = this.options.now();
    // Past its expiry (with the skew), or claiming a longer life than any entry gives.
    if (claims.exp + CLOCK_SKEW_MS <= now || claims.exp > now + this.maxTtlMs + CLOCK_SKEW_MS) {
      return refuse('expired');
    }
    this.prune(now);
    if (console !== 'spice') {
      if (this.used.has(claims.nonce)) return refuse('replayed');
      this.used.set(claims.nonce, claims.exp + CLOCK_SKEW_MS);
    }
    return { ok: true, claims };
  }

  /** Nonces remembered now (tests, metrics). */
  get remembered(): number {
    return this.used.size;
  }

  /** At most once a second: a burst of upgrades does not walk the list each time. */
  private prune(now: number): void {
    if (now - this.prunedAt < 1000) return;
    this.prunedAt = now;
    for (const [nonce, until] of this.used) if (until <= now) this.used.delete(nonce);
  }
}
