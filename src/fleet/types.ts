// The fleet's wire shapes (docs/fleet.md): what an entry serves browsers, and a ticket's claims.
import type { Role } from '../bridge/types.js';
import type { DomainItem } from '../http/views.js';

/** The console a ticket opens: `serial/<n>` is serial port n. */
export type FleetConsole = 'vnc' | 'vnc-control' | 'spice' | `serial/${number}`;

/** What an entry signs and a host checks (docs/fleet.md "Tickets"). */
export interface TicketClaims {
  readonly user: string;
  readonly role: Role;
  /** The host's fleet name: any other host refuses the ticket. */
  readonly host: string;
  readonly domain: string;
  readonly console: FleetConsole;
  /** Expiry, milliseconds since the epoch; at most 30 s after signing. */
  readonly exp: number;
  /** Random, base64url: a host accepts each nonce once. */
  readonly nonce: string;
}

export type HostState = 'up' | 'unreachable';

/** GET /api/fleet/hosts at an entry. */
export interface FleetHostInfo {
  readonly name: string;
  readonly state: HostState;
  /** The host's VMs as last seen (kept while unreachable). */
  readonly vms: number;
  /** When the host entered this state (ISO time). */
  readonly since: string;
}

/** A row of GET /api/domains at an entry: a host's row, plus where it lives. */
export type FleetDomainItem = DomainItem & { readonly host: string; readonly hostState: HostState };

/** `event: host` on an entry's /api/events. */
export interface HostEvent {
  readonly name: string;
  readonly state: HostState;
}

/** POST /api/fleet/tickets body. */
export interface TicketRequest {
  readonly host: string;
  readonly domain: string;
  readonly console: FleetConsole;
}

/** POST /api/fleet/tickets answer. */
export interface TicketResponse {
  readonly ticket: string;
  /**
   * The WebSocket URL to open: ws(s)://… when the host's browserUrl is absolute, else a path on
   * the entry's site (`/h/h1/ws/…?ticket=…`) for the page to put behind ws(s)://<its host>.
   */
  readonly url: string;
  /** ISO time. */
  readonly expiresAt: string;
}
