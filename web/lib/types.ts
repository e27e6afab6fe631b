// The shapes the pages read from the daemon (docs/interfaces.md). Everything in them that comes
// from domain XML (name, title, description, labels) is untrusted text: only ever put it in the
// page with textContent or attribute setters, never as HTML.

export type Role = 'viewer' | 'operator';

export interface Session {
  readonly user: string;
  readonly role: Role;
}

export interface SerialConsoleInfo {
  readonly index: number;
  readonly label: string;
  readonly kind: string;
  readonly available: boolean;
}

export interface DomainItem {
  readonly name: string;
  readonly title: string | null;
  readonly description: string | null;
  readonly state: string;
  readonly source: string;
  readonly consoles: {
    readonly vnc: { readonly available: boolean; readonly passwordSet: boolean } | null;
    readonly serials: readonly SerialConsoleInfo[];
    readonly unsupportedGraphics: readonly string[];
  };
  readonly access: { readonly role: Role; readonly canType: boolean };
}

export interface SourceStatus {
  readonly source: string;
  readonly up: boolean;
  readonly detail: string | null;
}

export interface Snapshot {
  readonly domains: readonly DomainItem[];
  readonly sources: readonly SourceStatus[];
}

/** Which console a console page shows: the VNC screen or serial port `index`. */
export type ConsoleRef = { readonly kind: 'vnc' } | { readonly kind: 'serial'; readonly index: number };

/** The serial protocol's server → client control messages. */
export interface SerialClient {
  readonly id: string;
  readonly user: string;
  readonly role: Role;
}
export interface LockHolder {
  readonly id: string;
  readonly user: string;
}
export interface VmStatus {
  readonly state: string;
  readonly boot: number;
}
export type SerialControl =
  | {
      readonly type: 'hello';
      readonly clientId: string;
      readonly user: string;
      readonly role: Role;
      readonly offset: number;
      readonly history: { readonly start: number; readonly end: number };
      readonly vm: VmStatus;
      readonly lock: LockHolder | null;
      readonly clients: readonly SerialClient[];
    }
  /** `clients` may be capped (the bridge lists at most 64); `count` is the total. */
  | { readonly type: 'presence'; readonly clients: readonly SerialClient[]; readonly count?: number }
  | { readonly type: 'lock'; readonly holder: LockHolder | null }
  /**
   * Bytes [from, to) are skipped; the server sent a visible marker of `marker` bytes in their
   * place just before (counted as console bytes from `from`); the next byte comes from `to`.
   */
  | {
      readonly type: 'gap';
      readonly from: number;
      readonly to: number;
      readonly reason: string;
      readonly marker?: number;
    }
  | ({ readonly type: 'vm'; readonly offset?: number } & VmStatus)
  | { readonly type: 'error'; readonly code: string; readonly message: string };
