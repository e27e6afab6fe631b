// The shapes the pages read from the daemon (docs/interfaces.md), taken from the daemon's own
// types (type-only imports: nothing of the server is bundled), so a change of the agreement on
// one side fails the type-check of the other. Everything in them that comes from domain XML
// (name, title, description, labels) is untrusted text: only ever put it in the page with
// textContent or attribute setters, never as HTML.
import type { Role } from '../../src/bridge/types.js';
import type { ClientInfo, LockHolder, ServerMessage } from '../../src/bridge/serial/index.js';
import type { VncClientInfo, VncControlMessage, VncRecordingInfo } from '../../src/bridge/vnc/control.js';
import type { SourceStatus } from '../../src/discovery/types.js';
import type { DomainItem } from '../../src/http/index.js';

export type { DomainItem, LockHolder, Role, SourceStatus, VncRecordingInfo };
export type { RecordingEvent, RecordingSummary } from '../../src/bridge/vnc/recording/index.js';

/** `GET /api/session`. */
export interface Session {
  readonly user: string;
  readonly role: Role;
  /** How this page's requests authenticate: `session` (the login form's cookie) or `basic`. */
  readonly via?: 'basic' | 'session';
  /** `entry` at a fleet entry (docs/fleet.md); absent on a standalone host. */
  readonly fleet?: 'entry';
}

/** The SSE `snapshot` event. */
export interface Snapshot {
  readonly domains: readonly DomainItem[];
  readonly sources: readonly SourceStatus[];
}

/** Which console a console page shows: the VNC screen or serial port `index`. */
export type ConsoleRef =
  { readonly kind: 'vnc' } | { readonly kind: 'spice' } | { readonly kind: 'serial'; readonly index: number };

/** One entry of the serial protocol's presence list. */
export type SerialClient = ClientInfo;

/** The serial protocol's server → client control messages (text frames). */
export type SerialControl = ServerMessage;

/** The VNC control channel's server → page messages (docs/vnc.md "Control lock"). */
export type VncControl = VncControlMessage;

/** One attached window in either presence list (serial or VNC). */
export type ConsoleClient = ClientInfo | VncClientInfo;
