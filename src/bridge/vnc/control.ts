// Who may type into a VM's VNC screen: the serial write lock's model for VNC. Pure state per VM,
// no I/O. Every RFB connection (a relay) is a seat; one operator seat holds the input lock and
// only its key, pointer and clipboard messages reach QEMU (the RFB filter asks `allow`); the
// others watch until they take control. Watchers are the pages' control channels
// (control-socket.ts): they get presence and lock changes, and take or release the lock for
// the seats of their window (same user, same `?window=` tag). In `shared` mode every
// operator's input passes and nobody holds anything (docs/vnc.md "Control lock").
import type { ClientMessage } from '../serial/protocol.js';
import type { ConsoleSession, Role } from '../types.js';

export type InputLockMode = 'exclusive' | 'shared';

/** What an input message does, as far as the lock cares. */
export type InputKind =
  /** KeyEvent, QEMU extended key: takes a free lock. */
  | 'key'
  /** PointerEvent with a button down: takes a free lock. */
  | 'click'
  /** PointerEvent with no button: never takes the lock, dropped without a word if not held. */
  | 'move'
  /** Clipboard, resize, power (xvp), GII: takes a free lock. */
  | 'other';

export interface VncClientInfo {
  readonly id: string;
  readonly user: string;
  readonly role: Role;
  readonly label?: string;
  readonly window?: string;
  /** When it attached (milliseconds since the epoch). */
  readonly since: number;
}

export interface VncLockHolder {
  readonly id: string;
  readonly user: string;
  readonly label?: string;
  readonly window?: string;
}

/** A recording under way (docs/vnc.md "Recording"): every watcher is shown it. */
export interface VncRecordingInfo {
  readonly id: string;
  /** Who started it (`config` for a domain the config records). */
  readonly by: string;
  readonly since: number;
}

/** Server → page messages on the control channel (JSON text frames). */
export type VncControlMessage =
  | {
      readonly type: 'hello';
      readonly user: string;
      readonly role: Role;
      /** The window tag this channel speaks for (null: it can watch, not take). */
      readonly window: string | null;
      readonly mode: InputLockMode;
      readonly holder: VncLockHolder | null;
      readonly clients: readonly VncClientInfo[];
      readonly count: number;
      readonly recording: VncRecordingInfo | null;
    }
  | { readonly type: 'recording'; readonly recording: VncRecordingInfo | null }
  | { readonly type: 'presence'; readonly clients: readonly VncClientInfo[]; readonly count: number }
  | {
      readonly type: 'lock';
      readonly mode: InputLockMode;
      readonly holder: VncLockHolder | null;
      /** The holder before this change, so the one who lost it learns who took it. */
      readonly previous: VncLockHolder | null;
      /** Only when true: sent because input of this window was just dropped (once per change). */
      readonly inputDropped?: true;
    }
  | { readonly type: 'error'; readonly code: string; readonly message: string };

/** Page → server: the serial protocol's `take-lock` / `release-lock` (parseClientMessage). */
export type VncControlRequest = ClientMessage;

/** Presence lists at most this many seats (with the total count). */
const PRESENCE_LIST_MAX = 64;

class Seat {
  readonly since = Date.now();
  /** Told (once per lock change) that its input was dropped. */
  toldDropped = false;
  constructor(
    readonly id: string,
    readonly session: ConsoleSession,
  ) {}

  info(): VncClientInfo {
    return { ...this.holderInfo(), role: this.session.role, since: this.since };
  }

  holderInfo(): VncLockHolder {
    const { user, label, window } = this.session;
    return {
      id: this.id,
      user,
      ...(label ? { label } : {}),
      ...(window ? { window } : {}),
    };
  }
}

interface Watcher {
  readonly session: ConsoleSession;
  readonly send: (message: VncControlMessage) => void;
}

/** What a relay holds: asks before forwarding input, leaves when it closes. */
export interface VncSeat {
  readonly id: string;
  /** Whether this input may reach the guest now (may take a free lock); a bound function. */
  readonly allow: (kind: InputKind) => boolean;
  leave(): void;
}

/** What a control channel holds. */
export interface VncWatch {
  request(request: VncControlRequest): void;
  leave(): void;
}

export class VncControl {
  private readonly seats = new Map<string, Seat>();
  private readonly watchers = new Set<Watcher>();
  private holder: Seat | null = null;
  private nextId = 1;

  constructor(
    readonly mode: InputLockMode,
    private recording: VncRecordingInfo | null = null,
  ) {}

  /** A recording started or stopped: every watcher is told. */
  setRecording(recording: VncRecordingInfo | null): void {
    this.recording = recording;
    for (const watcher of this.watchers) watcher.send({ type: 'recording', recording });
  }

  /** No seat and no watcher: the bridge may forget this VM's state. */
  get empty(): boolean {
    return this.seats.size === 0 && this.watchers.size === 0;
  }

  get holderId(): string | null {
    return this.holder?.id ?? null;
  }

  /** A new RFB connection. The first operator gets the lock when it is free. */
  join(session: ConsoleSession): VncSeat {
    const seat = new Seat(`v${this.nextId++}`, session);
    this.seats.set(seat.id, seat);
    this.broadcastPresence();
    if (this.mode === 'exclusive' && this.holder === null && session.role === 'operator') {
      this.setHolder(seat);
    }
    return {
      id: seat.id,
      allow: (kind) => this.allow(seat, kind),
      leave: () => {
        this.leave(seat);
      },
    };
  }

  /** A control channel: hello now, then every presence and lock change. */
  watch(session: ConsoleSession, send: (message: VncControlMessage) => void): VncWatch {
    const watcher: Watcher = { session, send };
    this.watchers.add(watcher);
    send({
      type: 'hello',
      user: session.user,
      role: session.role,
      window: session.window ?? null,
      mode: this.mode,
      holder: this.holder?.holderInfo() ?? null,
      ...this.presence(),
      recording: this.recording,
    });
    return {
      request: (request) => {
        this.request(watcher, request);
      },
      leave: () => {
        this.watchers.delete(watcher);
      },
    };
  }

  private allow(seat: Seat, kind: InputKind): boolean {
    if (this.mode === 'shared' || this.holder === seat) return true;
    if (!this.seats.has(seat.id)) return false;
    if (this.holder === null) {
      // A free lock: nobody's moves are anyone's business; a key or a click takes it.
      if (kind !== 'move') this.setHolder(seat);
      return true;
    }
    if (kind !== 'move' && !seat.toldDropped) {
      seat.toldDropped = true;
      this.sendToWindow(seat.session, this.lockMessage(null, true));
    }
    return false;
  }

  private request(watcher: Watcher, request: VncControlRequest): void {
    if (!this.watchers.has(watcher)) return;
    const seat = this.seatOf(watcher.session);
    if (request.type === 'take-lock') {
      if (this.mode === 'exclusive' && seat && seat.session.role === 'operator' && this.holder !== seat) {
        this.setHolder(seat);
        return;
      }
    } else if (seat && this.holder === seat) {
      this.setHolder(null);
      return;
    }
    // Nothing changed (a viewer, shared mode, no seat yet): the state as it is, to this one.
    watcher.send(this.lockMessage(this.holder, false));
  }

  /** The newest seat of the watcher's window (same user, same tag), if it named one. */
  private seatOf(session: ConsoleSession): Seat | null {
    if (!session.window) return null;
    let found: Seat | null = null;
    for (const seat of this.seats.values()) {
      if (seat.session.window === session.window && seat.session.user === session.user) found = seat;
    }
    return found;
  }

  private leave(seat: Seat): void {
    if (!this.seats.delete(seat.id)) return;
    if (this.holder === seat) this.setHolder(null);
    this.broadcastPresence();
  }

  private setHolder(seat: Seat | null): void {
    const previous = this.holder;
    this.holder = seat;
    for (const s of this.seats.values()) s.toldDropped = false;
    const message = this.lockMessage(previous, false);
    for (const watcher of this.watchers) watcher.send(message);
  }

  private lockMessage(previous: Seat | null, inputDropped: boolean): VncControlMessage {
    return {
      type: 'lock',
      mode: this.mode,
      holder: this.holder?.holderInfo() ?? null,
      previous: previous?.holderInfo() ?? null,
      ...(inputDropped ? { inputDropped: true as const } : {}),
    };
  }

  private sendToWindow(session: ConsoleSession, message: VncControlMessage): void {
    if (!session.window) return;
    for (const watcher of this.watchers) {
      if (watcher.session.window === session.window && watcher.session.user === session.user) {
        watcher.send(message);
      }
    }
  }

  private presence(): { clients: VncClientInfo[]; count: number } {
    const clients: VncClientInfo[] = [];
    for (const seat of this.seats.values()) {
      if (clients.length >= PRESENCE_LIST_MAX) break;
      clients.push(seat.info());
    }
    return { clients, count: this.seats.size };
  }

  private broadcastPresence(): void {
    if (this.watchers.size === 0) return;
    const message: VncControlMessage = { type: 'presence', ...this.presence() };
    for (const watcher of this.watchers) watcher.send(message);
  }
}
