// Every VM's VNC recordings, under one folder (`<stateDir>/vnc-recordings`): a folder per domain
// (named as the serial logs' are: readable part + hash, never a path from XML), one file per
// recording (`<id>.vncrec`). At most one recording per VM at a time, started by an operator or
// by the config (`vncRecording.domains`) when the VM runs; everyone watching is told (onChange).
// Retention: a recording past maxBytesPerRecording goes on in a new file; recordings older than
// maxAgeMs, then the oldest past maxTotalBytes, are deleted (never one in progress).
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readSync,
  readdirSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { VwcError } from '../../../errors/index.js';
import type { Vm, VmRegistry } from '../../../discovery/types.js';
import type { SocketFactory } from '../../relay/index.js';
import { domainFolder } from '../../serial/log/store.js';
import { RECORDING_EXTENSION, decodeRecording, isRecordingId, newRecordingId } from './format.js';
import { Recorder } from './recorder.js';

export interface VncRecordingOptions {
  /** Recording may be started at all (by an operator or the config). */
  readonly enabled: boolean;
  /** Domains recorded whenever they run (the config's globs, compiled by the app). */
  readonly autoRecord: (vmName: string) => boolean;
  readonly maxBytesPerRecording: number;
  readonly maxTotalBytes: number;
  /** 0: no age limit. */
  readonly maxAgeMs: number;
  readonly flushMs: number;
  readonly updateIntervalMs: number;
}

export const DEFAULT_RECORDING_OPTIONS: VncRecordingOptions = {
  enabled: true,
  autoRecord: () => false,
  maxBytesPerRecording: 256 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
  maxAgeMs: 30 * 24 * 3600 * 1000,
  flushMs: 200,
  updateIntervalMs: 100,
};

/** The recording state every viewer of a console is shown. */
export interface RecordingState {
  readonly id: string;
  readonly by: string;
  /** ms since the epoch. */
  readonly since: number;
}

export interface RecordingSummary {
  readonly id: string;
  readonly domain: string;
  readonly by: string;
  readonly started: number;
  /** The last write (the end of a finished recording). */
  readonly ended: number;
  readonly bytes: number;
  readonly width: number;
  readonly height: number;
  readonly active: boolean;
  readonly continues: string | null;
}

export interface VncRecordingsDeps {
  readonly root: string;
  readonly registry: VmRegistry;
  readonly logger: Logger;
  readonly options?: Partial<VncRecordingOptions>;
  readonly connect?: SocketFactory;
  readonly now?: () => number;
  /**
   * The VM's VNC password, read when a recording starts, for a screen that asks for one (none:
   * such screens are refused). Passed only to the recorder's handshake.
   */
  readonly vncPassword?: (vm: Vm) => Promise<string | null>;
  /** Told whenever a VM's recording starts or stops (null), to push it to its viewers. */
  readonly onChange?: (vmName: string, state: RecordingState | null) => void;
}

const STOPPED = new Set(['shutoff', 'crashed']);

export class VncRecordings {
  readonly options: VncRecordingOptions;
  private readonly active = new Map<string, Recorder>();
  /** Starts under way, so two clicks make one recording. */
  private readonly starting = new Map<string, Promise<RecordingState>>();
  private readonly log: Logger;
  private readonly now: () => number;
  private stopping = false;
  private listening = false;
  /**
   * VMs whose recording a person stopped, with the libvirt id of that run: the config's globs
   * do not start it again until the VM starts anew.
   */
  private readonly stoppedByHand = new Map<string, number | null>();

  constructor(private readonly deps: VncRecordingsDeps) {
    this.options = { ...DEFAULT_RECORDING_OPTIONS, ...deps.options };
    this.log = deps.logger.child({ component: 'vnc-recording' });
    this.now = deps.now ?? Date.now;
  }

  /** Follows the registry: domains the config records start and stop with their VM. */
  start(): void {
    if (this.listening) return;
    this.listening = true;
    this.deps.registry.on('vm-added', this.onVm);
    this.deps.registry.on('vm-changed', this.onVm);
    this.deps.registry.on('vm-removed', this.onRemoved);
    for (const vm of this.deps.registry.snapshot()) this.onVm(vm);
    this.prune();
  }

  state(vmName: string): RecordingState | null {
    const recorder = this.active.get(vmName);
    return recorder ? { id: recorder.id, by: recorder.by, since: recorder.since } : null;
  }

  /** Starts recording `vmName` (or returns the recording under way); audited. */
  async begin(vmName: string, by: string, continues?: string): Promise<RecordingState> {
    const current = this.state(vmName);
    if (current) return current;
    const pending = this.starting.get(vmName);
    if (pending) return pending;
    const started = this.open(vmName, by, continues);
    this.starting.set(vmName, started);
    try {
      return await started;
    } finally {
      this.starting.delete(vmName);
    }
  }

  /** Stops the VM's recording; null when none was under way. */
  async end(vmName: string, reason: string, by?: string): Promise<RecordingState | null> {
    const state = this.state(vmName);
    const recorder = this.active.get(vmName);
    if (!state || !recorder) return null;
    this.active.delete(vmName);
    if (by) this.stoppedByHand.set(vmName, this.deps.registry.get(vmName)?.id ?? null);
    await recorder.stop(reason, by);
    this.log.info(
      { vm: vmName, id: state.id, reason, ...(by ? { user: by } : {}), bytes: recorder.bytes },
      'vnc recording stopped',
    );
    this.deps.onChange?.(vmName, null);
    this.prune();
    return state;
  }

  /** The VM's recordings, newest first. */
  list(vmName: string): RecordingSummary[] {
    const dir = this.domainDir(vmName);
    const out: RecordingSummary[] = [];
    for (const name of safeList(dir)) {
      const id = name.slice(0, -RECORDING_EXTENSION.length);
      if (!name.endsWith(RECORDING_EXTENSION) || !isRecordingId(id)) continue;
      const summary = this.summarize(vmName, id, path.join(dir, name));
      if (summary) out.push(summary);
    }
    return out.sort((a, b) => b.started - a.started || b.id.localeCompare(a.id));
  }

  /** The file of one recording; VWC_ERR_NOT_FOUND when there is none by that id. */
  file(vmName: string, id: string): string {
    const file = path.join(this.domainDir(vmName), `${id}${RECORDING_EXTENSION}`);
    if (!isRecordingId(id) || !existsSync(file))
      throw new VwcError('VWC_ERR_NOT_FOUND', `no recording ${id} of ${vmName}`);
    return file;
  }

  /** Ends every recording (`daemon stopping`) and stops following the registry. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.deps.registry.off('vm-added', this.onVm);
    this.deps.registry.off('vm-changed', this.onVm);
    this.deps.registry.off('vm-removed', this.onRemoved);
    await Promise.allSettled([...this.starting.values()]);
    await Promise.all([...this.active.keys()].map((vmName) => this.end(vmName, 'daemon stopping')));
  }

  private isStopping(): boolean {
    return this.stopping;
  }

  private domainDir(vmName: string): string {
    return path.join(this.deps.root, domainFolder(vmName));
  }

  private async open(vmName: string, by: string, continues?: string): Promise<RecordingState> {
    const vm = this.deps.registry.get(vmName);
    if (!this.options.enabled)
      throw new VwcError(
        'VWC_ERR_RECORDING_UNAVAILABLE',
        'VNC recording is off (vncRecording.enabled is false)',
      );
    if (this.stopping) throw new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', 'the daemon is stopping');
    if (!vm?.vnc) throw new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', `${vmName} has no VNC console`);
    if (STOPPED.has(vm.state) || !vm.vnc.target)
      throw new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', `${vmName} is not running`);
    const dir = this.domainDir(vmName);
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    const nameFile = path.join(dir, 'domain-name');
    if (!existsSync(nameFile)) writeFileSync(nameFile, `${vmName}\n`, { mode: 0o640 });
    // Asked every time: the password may have changed since the last recording.
    const password = (await this.deps.vncPassword?.(vm)) ?? null;
    const id = newRecordingId(this.now());
    const recorder: Recorder = new Recorder({
      id,
      vmName,
      by,
      file: path.join(dir, `${id}${RECORDING_EXTENSION}`),
      target: vm.vnc.target,
      connect: this.deps.connect ?? ((o) => net.connect(o)),
      logger: this.log.child({ vm: vmName }),
      now: this.now,
      flushMs: this.options.flushMs,
      maxBytes: this.options.maxBytesPerRecording,
      updateIntervalMs: this.options.updateIntervalMs,
      handshakeTimeoutMs: 15_000,
      detectMs: 1500,
      ...(continues ? { continues } : {}),
      password,
      onEnded: (reason) => {
        this.endedBySelf(vmName, recorder, reason);
      },
    });
    await recorder.ready;
    // The daemon may have begun to stop while the handshake ran.
    if (this.isStopping()) {
      await recorder.stop('daemon stopping');
      throw new VwcError('VWC_ERR_RECORDING_UNAVAILABLE', 'the daemon is stopping');
    }
    this.active.set(vmName, recorder);
    const state = this.state(vmName)!;
    this.log.info({ vm: vmName, id, user: by, ...(continues ? { continues } : {}) }, 'vnc recording started');
    this.deps.onChange?.(vmName, state);
    return state;
  }

  /** A recording ended by itself: a full one goes on in a new file; otherwise viewers are told. */
  private endedBySelf(vmName: string, recorder: Recorder, reason: string): void {
    if (this.active.get(vmName) !== recorder) return;
    this.active.delete(vmName);
    this.log.info({ vm: vmName, id: recorder.id, reason, bytes: recorder.bytes }, 'vnc recording stopped');
    this.prune();
    if (reason === 'size limit' && !this.stopping) {
      this.begin(vmName, recorder.by, recorder.id).catch((error: unknown) => {
        this.log.warn({ err: error, vm: vmName }, 'vnc recording: could not go on in a new file');
        this.deps.onChange?.(vmName, null);
      });
      return;
    }
    this.deps.onChange?.(vmName, null);
  }

  private readonly onVm = (vm: Vm): void => {
    if (this.stopping) return;
    const running = vm.vnc?.target && !STOPPED.has(vm.state);
    if (!running) {
      if (this.active.has(vm.name)) void this.end(vm.name, 'domain stopped');
      return;
    }
    if (!this.options.enabled || !this.options.autoRecord(vm.name)) return;
    if (this.active.has(vm.name) || this.starting.has(vm.name)) return;
    if (this.stoppedByHand.has(vm.name) && this.stoppedByHand.get(vm.name) === vm.id) return;
    this.stoppedByHand.delete(vm.name);
    this.begin(vm.name, 'config').catch((error: unknown) => {
      this.log.warn(
        { err: error, vm: vm.name },
        'vnc recording: the config asks to record this domain, but it cannot be',
      );
    });
  };

  private readonly onRemoved = (vm: Vm): void => {
    if (this.active.has(vm.name)) void this.end(vm.name, 'domain stopped');
  };

  private summarize(vmName: string, id: string, file: string): RecordingSummary | null {
    let size: number;
    let mtimeMs: number;
    let head: Buffer;
    try {
      ({ size, mtimeMs } = statSync(file));
      head = readHead(file, 64 * 1024);
    } catch {
      return null;
    }
    // A recording under way is described by its recorder (its start may not be on disk yet).
    const recorder = this.active.get(vmName);
    if (recorder?.id === id) {
      return {
        id,
        domain: vmName,
        by: recorder.by,
        started: recorder.since,
        ended: this.now(),
        bytes: Math.max(size, recorder.bytes),
        ...recorder.screen,
        active: true,
        continues: null,
      };
    }
    const decoded = decodeRecording(head);
    const start = decoded.start;
    return {
      id,
      domain: vmName,
      by: start?.by ?? 'unknown',
      started: decoded.startTime ?? mtimeMs,
      ended: mtimeMs,
      bytes: size,
      width: start?.width ?? 0,
      height: start?.height ?? 0,
      active: false,
      continues: start?.continues ?? null,
    };
  }

  /** Deletes recordings past maxAgeMs, then the oldest past maxTotalBytes (never an active one). */
  prune(): void {
    const activeIds = new Set([...this.active.values()].map((r) => r.id));
    const all: { file: string; size: number; mtimeMs: number }[] = [];
    let total = 0;
    for (const domain of safeList(this.deps.root)) {
      const dir = path.join(this.deps.root, domain);
      for (const name of safeList(dir)) {
        if (!name.endsWith(RECORDING_EXTENSION) || activeIds.has(name.slice(0, -RECORDING_EXTENSION.length)))
          continue;
        try {
          const stat = statSync(path.join(dir, name));
          all.push({ file: path.join(dir, name), size: stat.size, mtimeMs: stat.mtimeMs });
          total += stat.size;
        } catch {
          // Deleted meanwhile.
        }
      }
    }
    for (const recorder of this.active.values()) total += recorder.bytes;
    const oldest = this.options.maxAgeMs > 0 ? this.now() - this.options.maxAgeMs : -Infinity;
    all.sort((a, b) => a.mtimeMs - b.mtimeMs);
    for (const entry of all) {
      if (total <= this.options.maxTotalBytes && entry.mtimeMs >= oldest) break;
      try {
        unlinkSync(entry.file);
        total -= entry.size;
        this.log.info({ file: entry.file }, 'vnc recording deleted (retention)');
      } catch {
        // Gone already.
      }
    }
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function readHead(file: string, max: number): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(max);
    const n = readSync(fd, buffer, 0, max, 0);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}
