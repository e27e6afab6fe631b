// The registry: the merged live view of every source, keyed by VM name, and the typed events the
// bridges and the HTTP layer follow. Each source keeps its own map; the merged entry for a name
// is the one of the highest-priority source that has it (libvirt before socket-folder: a VM
// libvirt manages is described best by libvirt). A clash is logged once, when it starts.
// Every source update recomputes the affected names, so an entry disappears as soon as no
// source reports it any more: nothing stale survives its VM.
import { EventEmitter } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import type { Logger } from 'pino';
import type { SourceSink } from './source.js';
import type { RegistryEvents, SourceStatus, Vm, VmChange, VmRegistry, VmSourceKind } from './types.js';

export const DEFAULT_PRIORITY: readonly VmSourceKind[] = ['libvirt', 'socket-folder'];

export interface RegistryOptions {
  readonly logger: Logger;
  /** Which source wins a name clash: first in the list. */
  readonly priority?: readonly VmSourceKind[];
}

/** What differs between two versions of a VM, in VmChange terms. */
export function diffVm(previous: Vm, next: Vm): VmChange[] {
  const changes: VmChange[] = [];
  if (previous.state !== next.state || previous.reason !== next.reason) changes.push('state');
  if (previous.id !== next.id) changes.push('id');
  if (!isDeepStrictEqual(previous.serials, next.serials)) changes.push('serials');
  if (!isDeepStrictEqual(previous.vnc, next.vnc)) changes.push('vnc');
  if (!isDeepStrictEqual(previous.spice ?? null, next.spice ?? null)) changes.push('spice');
  if (!isDeepStrictEqual(previous.graphics, next.graphics)) changes.push('graphics');
  const meta = ['uuid', 'title', 'description', 'source', 'persistent', 'qmp'] as const;
  if (meta.some((key) => previous[key] !== next[key])) changes.push('meta');
  return changes;
}

export class Registry extends EventEmitter<RegistryEvents> implements VmRegistry {
  private readonly merged = new Map<string, Vm>();
  private readonly bySource = new Map<VmSourceKind, Map<string, Vm>>();
  private readonly statuses = new Map<VmSourceKind, SourceStatus>();
  private readonly clashes = new Set<string>();
  private readonly priority: readonly VmSourceKind[];
  private readonly logger: Logger;

  constructor(options: RegistryOptions) {
    super();
    // Each open event stream (a list page) and each bridge listens; they remove their
    // listeners when they go, so many of them are no leak (and no warning).
    this.setMaxListeners(0);
    this.logger = options.logger;
    this.priority = options.priority ?? DEFAULT_PRIORITY;
  }

  snapshot(): readonly Vm[] {
    return [...this.merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): Vm | undefined {
    return this.merged.get(name);
  }

  sources(): readonly SourceStatus[] {
    return [...this.statuses.values()];
  }

  /** The sink a source reports through. */
  sinkFor(source: VmSourceKind): SourceSink {
    const own = new Map<string, Vm>();
    this.bySource.set(source, own);
    return {
      replaceAll: (vms) => {
        const names = new Set([...own.keys(), ...vms.map((vm) => vm.name)]);
        own.clear();
        for (const vm of vms) own.set(vm.name, { ...vm, source });
        for (const name of names) this.recompute(name);
      },
      upsert: (vm) => {
        own.set(vm.name, { ...vm, source });
        this.recompute(vm.name);
      },
      remove: (name) => {
        if (own.delete(name)) this.recompute(name);
      },
      reset: (name) => {
        const vm = this.merged.get(name);
        if (vm && own.has(name)) this.emit('vm-reset', vm);
      },
      status: (up, detail) => {
        this.setStatus({ source, up, detail: up ? null : detail });
      },
    };
  }

  private setStatus(status: SourceStatus): void {
    const previous = this.statuses.get(status.source);
    if (previous?.up === status.up && previous.detail === status.detail) return;
    this.statuses.set(status.source, status);
    const log = { source: status.source, detail: status.detail };
    if (status.up) this.logger.info(log, 'discovery source up');
    else this.logger.warn(log, 'discovery source down');
    this.emit('source-status', status);
  }

  private winner(name: string): Vm | undefined {
    const holders = this.priority.flatMap((source) => {
      const vm = this.bySource.get(source)?.get(name);
      return vm ? [vm] : [];
    });
    if (holders.length > 1 && !this.clashes.has(name)) {
      this.clashes.add(name);
      this.logger.warn(
        { vm: name, sources: holders.map((vm) => vm.source), winner: holders[0]!.source },
        'VM name reported by several sources; the first source wins',
      );
    } else if (holders.length <= 1) {
      this.clashes.delete(name);
    }
    return holders[0];
  }

  private recompute(name: string): void {
    const previous = this.merged.get(name);
    const next = this.winner(name);
    if (next === undefined) {
      if (previous === undefined) return;
      this.merged.delete(name);
      this.emit('vm-removed', previous);
      return;
    }
    this.merged.set(name, next);
    if (previous === undefined) {
      this.emit('vm-added', next);
      return;
    }
    const changes = diffVm(previous, next);
    if (changes.length > 0) this.emit('vm-changed', next, previous, changes);
  }
}
