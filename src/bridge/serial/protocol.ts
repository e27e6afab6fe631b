// The serial WebSocket protocol (docs/interfaces.md, docs/serial.md): binary frames carry console
// bytes; text frames carry these JSON control messages. Pure: no I/O here.
import type { Role } from '../types.js';

/**
 * One attached window. `label`, `window` and `since` came later (additive: older pages ignore
 * them): they tell two windows of one user apart (docs/interfaces.md).
 */
export interface ClientInfo {
  readonly id: string;
  readonly user: string;
  readonly role: Role;
  /** "Chrome on Linux", "ssh from 10.0.0.5"; absent when unknown. */
  readonly label?: string;
  /** The tag the page chose for its window (`?window=`), if any. */
  readonly window?: string;
  /** When it attached (milliseconds since the epoch); absent from daemons before labels. */
  readonly since?: number;
}

export interface LockHolder {
  readonly id: string;
  readonly user: string;
  readonly label?: string;
  readonly window?: string;
}

export interface VmStatus {
  readonly state: string;
  /** Starts of the VM seen by this mux (0 before the first). */
  readonly boot: number;
}

export type StreamEventKind = 'start' | 'stop' | 'state' | 'reboot' | 'daemon-restart';

export interface StreamEvent {
  readonly offset: number;
  readonly time: number;
  readonly kind: StreamEventKind;
  /** What a page shows, e.g. "VM rebooted" (the page adds the time in its own zone). */
  readonly text: string;
}

/** Why bytes were skipped: the client fell behind, or they had left history before it asked. */
export type GapReason = 'slow-client' | 'out-of-history';

export type ServerMessage =
  | {
      readonly type: 'hello';
      readonly clientId: string;
      readonly user: string;
      readonly role: Role;
      /** Absolute offset of the next console byte this client receives. */
      readonly offset: number;
      readonly history: { readonly start: number; readonly end: number };
      readonly vm: VmStatus;
      readonly lock: LockHolder | null;
      readonly clients: readonly ClientInfo[];
    }
  /** `clients` lists at most 64 (the first attached); `count` is the total. */
  | { readonly type: 'presence'; readonly clients: readonly ClientInfo[]; readonly count: number }
  /**
   * `inputDropped` (only when true): sent because this client's input was just dropped, the lock
   * being someone else's; once per lock change, so a page can say so instead of staying silent.
   */
  | { readonly type: 'lock'; readonly holder: LockHolder | null; readonly inputDropped?: true }
  /**
   * Bytes [from, to) are skipped. Sent right after the marker: a binary frame of `marker` bytes
   * (≤ to − from, possibly 0) that stands in for the first bytes of the skipped range, so a
   * client that counts every binary byte stays right; on this message it moves to `to`.
   */
  | {
      readonly type: 'gap';
      readonly from: number;
      readonly to: number;
      readonly reason: GapReason;
      readonly marker: number;
    }
  | ({ readonly type: 'vm'; readonly offset: number } & VmStatus)
  /**
   * Something that happened to the console (VM started, stopped, rebooted; the daemon restarted)
   * at byte `offset`, `time` in ms since the epoch. Sent in stream order: after the bytes before
   * `offset` and before the bytes from it, so a page can draw a marker line where it happened.
   * Not console bytes: offsets stay byte-exact. Added later; older pages ignore it.
   */
  | ({ readonly type: 'event' } & StreamEvent)
  | { readonly type: 'error'; readonly code: string; readonly message: string };

export type ClientMessage = { readonly type: 'take-lock' } | { readonly type: 'release-lock' };

export function encode(message: ServerMessage): string {
  return JSON.stringify(message);
}

/** Parses a control text frame; `undefined` when it is not JSON with a known `type`. */
export function parseClientMessage(text: string): ClientMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const type = (value as { type?: unknown }).type;
  if (type === 'take-lock' || type === 'release-lock') return { type };
  return undefined;
}

/**
 * The visible line written into a client's terminal where bytes were skipped: never longer than
 * the skipped range it stands in for (shorter forms for small gaps, nothing below 3 bytes).
 */
export function gapMarker(skipped: number, reason: GapReason): Buffer {
  const why = reason === 'slow-client' ? 'client fell behind' : 'no longer in history';
  const forms = [
    `\r\n[virt-webconsole: ${skipped} bytes skipped, ${why}]\r\n`,
    `\r\n[${skipped} bytes skipped]\r\n`,
    `[${skipped} skipped]`,
    '[~]',
  ];
  const fit = forms.find((form) => form.length <= skipped) ?? '';
  return Buffer.from(fit, 'latin1');
}
