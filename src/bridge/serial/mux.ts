// SerialMux: the one owner of a VM's serial port. It reads the upstream from the moment the VM
// runs (whether or not anyone watches), keeps the bytes in a byte-addressed history and fans
// them out to any number of clients, each from its own offset. Clients are served from the
// shared history, so a client costs only its in-flight bytes; one that falls behind is resynced
// with a visible gap or closed (policy), and never slows the upstream or the others. Exactly one
// operator's input reaches the guest: the write-lock holder's.
import type { Logger } from 'pino';
import type { DomainState, SerialSource, Vm } from '../../discovery/types.js';
import { VwcError } from '../../errors/index.js';
import type { ConsoleSession, HistoryRead, SerialAttachOptions } from '../types.js';
import { unsupportedReason, type SerialConnector } from '../upstream/index.js';
import { SerialClient, type ClientTransport, type Deferred } from './client.js';
import { ConsoleEvents } from './events.js';
import { SerialHistory } from './history.js';
import { UpstreamLink } from './link.js';
import type { LogEvent, PortLog } from './log/index.js';
import type { SerialOptions } from './options.js';
import { OutputChunk, OutputCoalescer } from './output.js';
import {
  encode,
  gapMarker,
  type ClientInfo,
  type ClientMessage,
  type GapReason,
  type LockHolder,
  type ServerMessage,
} from './protocol.js';

/** Largest binary frame sent to a client when replaying history. */
const MAX_CHUNK = 64 * 1024;
/** Presence is sent at most this often (many clients attaching at once cost one broadcast). */
const PRESENCE_DELAY_MS = 50;
/** Presence lists at most this many clients (with the total count). */
const PRESENCE_LIST_MAX = 64;
/** States in which QEMU runs, so the serial source exists. */
const ALIVE: ReadonlySet<DomainState> = new Set(['running', 'blocked', 'paused', 'pmsuspended', 'shutdown']);

export interface SerialMuxDeps {
  readonly vmName: string;
  readonly index: number;
  readonly options: SerialOptions;
  readonly connector: SerialConnector;
  readonly logger: Logger;
  /** Milliseconds on a monotonic clock (the coalescing window); performance.now by default. */
  readonly now?: () => number;
  /** Wall clock in ms since the epoch (event times); Date.now by default. */
  readonly clock?: () => number;
  /** Told each time a slow client is resynced past bytes it missed (metrics). */
  readonly onResync?: () => void;
  /** The port's log on disk: history survives restarts (src/bridge/serial/log). */
  readonly log?: PortLog;
}

export interface SerialMuxStats {
  readonly upstream: boolean;
  readonly boot: number;
  readonly history: { readonly start: number; readonly end: number };
  readonly lock: LockHolder | null;
  readonly clients: readonly (ClientInfo & {
    readonly offset: number;
    readonly inflight: number;
    readonly behind: boolean;
  })[];
}

/** What a transport adapter calls for one attached client. */
export interface SerialClientHandle {
  readonly id: string;
  /** Console input (binary frame) from the client. */
  input(data: Buffer): void;
  control(message: ClientMessage): void;
  /**
   * Sends a serial break for this client, under the same rules as its input (operators only,
   * taking a free write lock); null when sent, else why not (for the client to show).
   */
  sendBreak(): string | null;
  /** The connection is gone. */
  detach(): void;
}

export class SerialMux {
  readonly vmName: string;
  readonly index: number;
  private readonly options: SerialOptions;
  private readonly logger: Logger;
  private readonly history: SerialHistory;
  private readonly link: UpstreamLink;
  private readonly clients = new Map<string, SerialClient>();
  private nextClientId = 1;
  private lockHolder: SerialClient | null = null;
  private inputBlocked = false;
  private readonly output: OutputCoalescer;
  private presenceTimer: NodeJS.Timeout | null = null;
  private vmState: DomainState = 'unknown';
  private boot = 0;
  private bootKey: string | null = null;
  private sourceKey: string | null = null;
  private source: SerialSource | null = null;
  private closed = false;
  private log: PortLog | null;
  /** Markers for the live stream (VM started, stopped, rebooted; daemon restarts). */
  private readonly events = new ConsoleEvents();
  private readonly clock: () => number;
  /** The log's boot key at start: the same boot still running is no new boot. */
  private restoredBootKey: string | null = null;
  /** Resolves when the log has what this mux saw, after close(). */
  logClosed: Promise<void> = Promise.resolve();

  private readonly onResync: (() => void) | undefined;

  constructor(deps: SerialMuxDeps) {
    this.onResync = deps.onResync;
    this.vmName = deps.vmName;
    this.index = deps.index;
    this.options = deps.options;
    this.logger = deps.logger;
    this.history = new SerialHistory(deps.options);
    this.log = deps.log ?? null;
    this.clock = deps.clock ?? Date.now;
    const now = deps.now ?? (() => performance.now());
    this.output = new OutputCoalescer({
      windowMs: deps.options.coalesceMs,
      now,
      reading: {
        holdBytes: () => this.link.holdBytes,
        pause: () => {
          this.link.pauseReading();
        },
        resume: () => {
          this.link.resumeReading();
        },
      },
      send: (chunk) => {
        this.fanOut(chunk);
      },
    });
    this.link = new UpstreamLink(
      deps.connector,
      {
        data: (chunk) => {
          this.output.push(chunk);
        },
        inputBlocked: (blocked) => {
          this.setInputBlocked(blocked);
        },
        connected: (description) => {
          this.logger.info({ upstream: description }, 'serial upstream connected');
        },
        disconnected: (error) => {
          this.flush();
          this.logger.info({ err: error?.message }, 'serial upstream disconnected');
        },
      },
      deps.logger,
    );
    // Last: restoring notes an event, which flushes the output coalescer.
    this.restoreFromLog();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Whether the upstream is connected right now. */
  get upstreamConnected(): boolean {
    return this.link.connected;
  }

  /** A snapshot for diagnostics and tests: where each client stands, what history holds. */
  stats(): SerialMuxStats {
    return {
      upstream: this.link.connected,
      boot: this.boot,
      history: { start: this.history.start, end: this.history.end },
      lock: this.holderInfo(),
      clients: [...this.clients.values()].map((c) => ({
        id: c.id,
        user: c.user,
        role: c.role,
        offset: c.offset,
        inflight: c.inflight,
        behind: c.behind,
      })),
    };
  }

  /** Why clients cannot attach, or null. */
  unavailableReason(): string | null {
    if (this.closed) return 'the serial console is closed';
    return this.source ? unsupportedReason(this.source) : 'the serial port is not known';
  }

  /**
   * Follows the VM: connects when it runs, lets go when it stops. A new libvirt id, or running
   * after not running, is a new boot: its first bytes become the history's new head.
   */
  update(vm: Vm): void {
    if (this.closed) return;
    const source = vm.serials[this.index]?.source ?? null;
    this.source = source;
    const alive = ALIVE.has(vm.state);
    const bootKey = alive ? String(vm.id) : null;
    const newBoot = alive && bootKey !== this.bootKey && bootKey !== this.restoredBootKey;
    this.restoredBootKey = null;
    const attachable =
      alive &&
      source !== null &&
      unsupportedReason(source) === null &&
      !(source.kind === 'pty' && !source.path);
    const sourceKey = attachable ? JSON.stringify(source) : null;
    if (newBoot) {
      this.flush();
      this.boot += 1;
      this.history.newBoot();
      if (bootKey !== null) this.note({ kind: 'boot', key: bootKey });
    }
    this.bootKey = bootKey;
    if (newBoot || sourceKey !== this.sourceKey) {
      this.sourceKey = sourceKey;
      this.link.want(attachable ? source : null);
    }
    if (newBoot || vm.state !== this.vmState) {
      if (vm.state !== this.vmState) this.note({ kind: 'state', state: vm.state });
      this.vmState = vm.state;
      this.broadcast('vm');
    }
  }

  /**
   * The guest reset itself (libvirt's `reboot` event: an in-guest reboot, or `virsh reboot`).
   * The same QEMU runs on, so the history goes on; the stream and the log get a marker.
   */
  reset(): void {
    if (this.closed || !ALIVE.has(this.vmState)) return;
    this.note({ kind: 'reset' });
  }

  /** Bytes of history (for the HTTP history endpoint). */
  read(from: number, max: number): HistoryRead {
    this.flush();
    return this.history.read(from, max);
  }

  attach(
    transport: ClientTransport,
    session: ConsoleSession,
    options: SerialAttachOptions,
  ): SerialClientHandle {
    if (this.closed) throw new VwcError('VWC_ERR_SERIAL_UNAVAILABLE', 'the serial console is closed');
    if (this.clients.size >= this.options.maxClientsPerPort) {
      throw new VwcError(
        'VWC_ERR_SERIAL_TOO_MANY_CLIENTS',
        `serial console ${this.index} of ${this.vmName} has ${this.clients.size} clients already`,
      );
    }
    this.flush();
    const end = this.history.end;
    const offset =
      options.from !== undefined
        ? Math.max(0, Math.min(options.from, end))
        : options.last !== undefined
          ? Math.max(0, end - options.last)
          : this.history.start;
    const id = `c${this.nextClientId++}`;
    const tags = {
      ...(session.label ? { label: session.label } : {}),
      ...(session.window ? { window: session.window } : {}),
    };
    const client = new SerialClient(id, session.user, session.role, transport, offset, end, tags);
    client.eventSeq = this.events.seqAt(offset);
    this.clients.set(id, client);
    this.logger.info(
      { client: id, user: session.user, role: session.role, from: offset },
      'serial client attached',
    );
    this.sendControl(client, {
      type: 'hello',
      clientId: id,
      user: session.user,
      role: session.role,
      offset,
      history: { start: this.history.start, end },
      vm: { state: this.vmState, boot: this.boot },
      lock: this.holderInfo(),
      clients: this.clientList(),
    });
    this.schedulePresence();
    this.pump(client);
    return {
      id,
      input: (data) => {
        this.input(client, data);
      },
      control: (message) => {
        this.control(client, message);
      },
      sendBreak: () => this.sendBreak(client),
      detach: () => {
        this.detach(client);
      },
    };
  }

  /** Closes every client with `error` and lets go of the upstream. */
  close(error: VwcError): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    if (this.log) this.logClosed = this.log.close();
    this.link.close();
    this.output.close();
    if (this.presenceTimer) clearTimeout(this.presenceTimer);
    for (const client of [...this.clients.values()]) this.closeClient(client, error);
  }

  /** Takes the history the log kept over a restart; a log that cannot be read is not used. */
  private restoreFromLog(): void {
    if (!this.log) return;
    try {
      const saved = this.log.load(this.options);
      if (saved) {
        this.history.restore(saved);
        this.restoredBootKey = saved.bootKey;
        this.events.continueFrom(saved.events);
        this.logger.info(
          { from: saved.tail.start, end: saved.end, clean: saved.clean },
          'serial history restored from the log',
        );
      }
      this.note({ kind: 'daemon-start', unclean: saved !== null && !saved.clean });
    } catch (error) {
      this.logger.warn(
        { err: error, dir: this.log.dir },
        'serial log cannot be opened; this port is not logged',
      );
      this.log = null;
    }
  }

  // -- upstream → clients

  private flush(): void {
    this.output.flush();
  }

  /**
   * An event at the current end of the stream: into the log, and as a marker to every client
   * (each gets it when its offset reaches the event's; the output so far is flushed first, so
   * an event never falls inside a chunk).
   */
  private note(event: LogEvent): void {
    this.flush();
    const offset = this.history.end;
    if (event.kind === 'boot') this.log?.boot(offset, event.key);
    else this.log?.event(offset, event);
    if (!this.events.add(offset, this.clock(), event)) return;
    for (const client of this.clients.values()) this.pump(client);
  }

  /**
   * Sends the client the markers up to its offset that it has not had yet. A marker is part of
   * the stream: it counts in the client's in-flight bytes like console bytes, so a client that
   * stops reading gets no more of them than of bytes, and its bytes wait behind a marker that
   * waits (false) and fall behind as they would anyway.
   */
  private sendEvents(client: SerialClient): boolean {
    client.eventSeq = Math.max(client.eventSeq, this.events.startSeq);
    while (client.eventSeq < this.events.endSeq && !client.closed) {
      const event = this.events.get(client.eventSeq);
      if (!event || event.offset > client.offset) return true;
      if (client.inflight >= this.options.clientQueueBytes) return false;
      client.eventSeq += 1;
      const text = encode({ type: 'event', ...event });
      const bytes = Buffer.byteLength(text);
      client.inflight += bytes;
      client.transport.sendText(text, () => {
        client.inflight -= bytes;
        this.pumpAfterDone(client);
      });
    }
    return true;
  }

  /** Where the next marker after the client's offset is (a read stops there), or Infinity. */
  private nextEventOffset(client: SerialClient): number {
    const event = this.events.get(Math.max(client.eventSeq, this.events.startSeq));
    return client.eventSeq < this.events.endSeq && event ? event.offset : Infinity;
  }

  /** One chunk of output (see output.ts for when): into history, then to every client. */
  private fanOut(chunk: OutputChunk): void {
    const start = this.history.end;
    this.history.append(chunk.data);
    this.log?.append(start, chunk.data);
    for (const client of this.clients.values()) this.pump(client, start, chunk);
  }

  /**
   * Sends a client what it lacks, from `fresh` (the chunk just read, shared by every client that
   * is caught up) or from history. Stops at the client's in-flight limit; its `done` callbacks
   * call back in. A client whose pending bytes exceed its limit is resynced or closed.
   */
  private pump(client: SerialClient, freshStart = -1, fresh?: OutputChunk): void {
    // Not re-entrant: a transport may report `done` synchronously; that asks for one more round.
    client.pumpRequests += 1;
    if (client.pumping) return;
    client.pumping = true;
    try {
      let chunk = fresh;
      let served = 0;
      while (served !== client.pumpRequests && !client.closed) {
        served = client.pumpRequests;
        this.pumpOnce(client, freshStart, chunk);
        chunk = undefined;
      }
    } finally {
      client.pumping = false;
    }
  }

  private pumpOnce(client: SerialClient, freshStart: number, fresh: OutputChunk | undefined): void {
    if (client.closed) return;
    const limit = this.options.clientQueueBytes;
    const end = this.history.end;
    if (client.behind) {
      if (client.inflight > 0) return;
      this.resync(client, end);
    }
    while (client.offset < end) {
      if (client.pending(end) > client.allowance + limit) {
        this.overflow(client);
        return;
      }
      if (client.inflight >= limit || !this.sendEvents(client)) return;
      let chunk: OutputChunk;
      if (fresh && client.offset === freshStart && freshStart + fresh.data.length === end) {
        chunk = fresh;
      } else {
        // A read stops at the next marker, which goes out between the bytes around it.
        const upTo = Math.min(end, this.nextEventOffset(client), client.offset + MAX_CHUNK);
        const read = this.history.read(client.offset, Math.max(1, upTo - client.offset));
        if (read.missing) {
          client.offset = read.start;
          this.gap(client, read.missing.from, read.missing.to, 'out-of-history');
          continue;
        }
        client.offset = read.start;
        if (read.data.length === 0) return;
        chunk = new OutputChunk(read.data, 0);
      }
      // Advance before sending: a transport may report `done` synchronously and re-enter.
      client.offset += chunk.data.length;
      client.allowance = Math.min(client.allowance, end - client.offset);
      this.sendBinary(client, chunk);
    }
    this.sendEvents(client);
  }

  private sendBinary(client: SerialClient, chunk: OutputChunk): void {
    const bytes = chunk.data.length;
    client.inflight += bytes;
    client.transport.sendBinary(chunk, () => {
      client.inflight -= bytes;
      this.pumpAfterDone(client);
    });
  }

  private pumpAfterDone(client: SerialClient): void {
    if (client.behind || client.offset < this.history.end || client.eventSeq < this.events.endSeq)
      this.pump(client);
  }

  private overflow(client: SerialClient): void {
    if (this.options.slowClientPolicy === 'disconnect') {
      this.closeClient(
        client,
        new VwcError(
          'VWC_ERR_CLIENT_TOO_SLOW',
          `client fell more than ${this.options.clientQueueBytes} bytes behind`,
        ),
      );
      return;
    }
    // Send nothing more until what is in flight is written; then skip to the live end.
    client.behind = true;
    this.logger.debug({ client: client.id, offset: client.offset }, 'serial client fell behind');
    if (client.inflight === 0) this.pump(client);
  }

  private resync(client: SerialClient, end: number): void {
    client.behind = false;
    client.allowance = 0;
    const from = client.offset;
    client.offset = end;
    // The markers of the skipped range go with its bytes (the gap marker stands for both).
    client.eventSeq = Math.max(client.eventSeq, this.events.seqAt(end));
    if (from < end) {
      this.onResync?.();
      this.gap(client, from, end, 'slow-client');
    }
    this.sendDeferred(client);
  }

  /**
   * Writes the visible marker in place of the first skipped bytes, then tells the client the
   * range is skipped (see the `gap` message: counting clients stay right either way).
   */
  private gap(client: SerialClient, from: number, to: number, reason: GapReason): void {
    const marker = gapMarker(to - from, reason);
    if (marker.length > 0) this.sendBinary(client, new OutputChunk(marker, 0));
    this.sendControl(client, { type: 'gap', from, to, reason, marker: marker.length });
  }

  // -- clients → upstream

  private input(client: SerialClient, data: Buffer): void {
    if (client.closed || client.role !== 'operator' || data.length === 0) return;
    if (this.lockHolder === null) this.setLock(client);
    if (this.lockHolder !== client) {
      // Dropped; say who has the lock, once per lock change (not once per keystroke).
      if (!client.toldLockRefused) {
        client.toldLockRefused = true;
        this.offerState(client, 'lock');
      }
      return;
    }
    this.link.write(data);
    this.output.inputSent();
  }

  private sendBreak(client: SerialClient): string | null {
    if (client.closed) return 'detached';
    if (client.role !== 'operator') return 'viewers cannot send a break';
    if (this.lockHolder === null) this.setLock(client);
    if (this.lockHolder !== client)
      return `the write lock is held by ${this.lockHolder?.user ?? 'another client'}`;
    if (!this.link.connected) return 'the serial source is not connected';
    if (!this.link.sendBreak()) {
      return `this serial source (${this.source?.kind ?? 'unknown'}) cannot carry a break; a telnet socket chardev can`;
    }
    return null;
  }

  private control(client: SerialClient, message: ClientMessage): void {
    if (client.closed) return;
    if (message.type === 'take-lock') {
      if (client.role === 'operator' && this.lockHolder !== client) this.setLock(client);
      else this.offerState(client, 'lock');
    } else if (this.lockHolder === client) {
      this.setLock(null);
    }
  }

  private detach(client: SerialClient): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client.id);
    this.logger.info({ client: client.id, user: client.user }, 'serial client detached');
    if (this.lockHolder === client) this.setLock(null);
    this.schedulePresence();
  }

  private setLock(holder: SerialClient | null): void {
    const previous = this.lockHolder;
    this.lockHolder = holder;
    if (this.inputBlocked) {
      if (previous && !previous.closed) previous.transport.resumeInput();
      holder?.transport.pauseInput();
    }
    for (const client of this.clients.values()) client.toldLockRefused = false;
    this.logger.debug({ holder: holder?.id ?? null, user: holder?.user ?? null }, 'serial write lock');
    this.broadcast('lock');
  }

  private setInputBlocked(blocked: boolean): void {
    this.inputBlocked = blocked;
    const holder = this.lockHolder;
    if (!holder || holder.closed) return;
    if (blocked) holder.transport.pauseInput();
    else holder.transport.resumeInput();
  }

  // -- control messages

  private closeClient(client: SerialClient, error: VwcError): void {
    if (client.closed) return;
    this.sendControl(client, { type: 'error', code: error.code, message: error.message });
    this.detach(client);
    // A close reason is at most 123 bytes.
    client.transport.close(error.wsCloseCode, Buffer.from(error.message).subarray(0, 120).toString());
  }

  private schedulePresence(): void {
    if (this.presenceTimer || this.closed) return;
    this.presenceTimer = setTimeout(() => {
      this.presenceTimer = null;
      this.broadcast('presence');
    }, PRESENCE_DELAY_MS);
  }

  /** Sends the current state of `kind` to every client; those behind get it when they resync. */
  private broadcast(kind: Deferred): void {
    for (const client of this.clients.values()) this.offerState(client, kind);
  }

  /**
   * Sends the state of `kind` now, or holds it back (coalesced: only the latest state is sent)
   * while the client is behind or has more control bytes in flight than its limit, so one that
   * stops reading costs O(1) however often presence or the lock change. Under the disconnect
   * policy such a client is closed instead, as for console bytes.
   */
  private offerState(client: SerialClient, kind: Deferred): void {
    if (client.closed) return;
    // A vm notice marks where a boot starts in the byte stream (its offset) and comes once per
    // VM state change: held back and coalesced it would land after the new boot's bytes, or
    // merge a stop and a start. So it goes past the congestion limit, up to twice the limit;
    // beyond that the client is treated as fallen behind (below).
    const room =
      kind === 'vm'
        ? client.controlInflight <= 2 * this.options.clientQueueBytes
        : !this.controlCongested(client);
    if (!client.behind && room) {
      this.sendState(client, kind);
      return;
    }
    if (!client.behind && this.options.slowClientPolicy === 'disconnect') {
      this.controlOverflow(client);
      return;
    }
    // A vm notice past even that: the client resyncs to the live end once it drains, and gets
    // the notice right after the gap marker, where its stream picks up again.
    if (kind === 'vm') client.behind = true;
    client.deferred.add(kind);
  }

  /** A client that leaves too many control bytes unread: closed, or resynced (policy). */
  private controlOverflow(client: SerialClient): void {
    if (this.options.slowClientPolicy === 'disconnect') {
      this.closeClient(
        client,
        new VwcError(
          'VWC_ERR_CLIENT_TOO_SLOW',
          `client left more than ${this.options.clientQueueBytes} bytes of control messages unread`,
        ),
      );
      return;
    }
    client.behind = true;
  }

  private controlCongested(client: SerialClient): boolean {
    return client.controlInflight > this.options.clientQueueBytes;
  }

  /** Sends the held-back states, one by one while the client is not congested again. */
  private sendDeferred(client: SerialClient): void {
    for (const kind of [...client.deferred]) {
      if (client.closed || client.behind || this.controlCongested(client)) return;
      // A transport may report `done` synchronously and re-enter: it may have sent this one.
      if (!client.deferred.delete(kind)) continue;
      this.sendState(client, kind);
    }
  }

  private sendState(client: SerialClient, kind: Deferred): void {
    if (kind === 'presence') {
      this.sendControl(client, { type: 'presence', clients: this.clientList(), count: this.clients.size });
    } else if (kind === 'lock') {
      // Sent because its input was dropped (see input()): say so, so the page can show it.
      this.sendControl(client, {
        type: 'lock',
        holder: this.holderInfo(),
        ...(client.toldLockRefused ? { inputDropped: true as const } : {}),
      });
    } else {
      this.sendControl(client, {
        type: 'vm',
        state: this.vmState,
        boot: this.boot,
        offset: this.history.end,
      });
    }
  }

  /** Always sends (hello, gap and error are bounded by the console-byte logic); see offerState. */
  private sendControl(client: SerialClient, message: ServerMessage): void {
    const text = encode(message);
    const bytes = Buffer.byteLength(text);
    client.controlInflight += bytes;
    client.transport.sendText(text, () => {
      client.controlInflight -= bytes;
      if (client.deferred.size > 0) this.sendDeferred(client);
    });
  }

  private holderInfo(): LockHolder | null {
    const holder = this.lockHolder;
    return holder ? { id: holder.id, user: holder.user, ...holder.tags } : null;
  }

  private clientList(): ClientInfo[] {
    const list: ClientInfo[] = [];
    for (const client of this.clients.values()) {
      if (list.length >= PRESENCE_LIST_MAX) break;
      list.push({ id: client.id, user: client.user, role: client.role, ...client.tags, since: client.since });
    }
    return list;
  }
}
