// A registry filled by hand, VM records and a VNC bridge that serves nothing: for tests and
// benches that run the real serial hub without discovery.
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { VncBridgeLike } from '../src/bridge/index.js';
import type {
  DomainState,
  RegistryEvents,
  SerialSource,
  SourceStatus,
  Vm,
  VmRegistry,
} from '../src/discovery/types.js';

export const silentLogger = pino({ level: 'silent' });

export function makeVm(
  name: string,
  state: DomainState,
  id: number | null,
  sources: readonly SerialSource[] = [{ kind: 'unix', path: '/run/x/serial0.sock', mode: 'bind' }],
): Vm {
  return {
    name,
    uuid: null,
    id,
    title: null,
    description: null,
    state,
    reason: null,
    source: 'libvirt',
    persistent: true,
    vnc: null,
    graphics: [],
    serials: sources.map((source, index) => ({
      index,
      element: 'serial' as const,
      port: index,
      targetType: 'isa-serial',
      alias: `serial${index}`,
      source,
      logFile: null,
    })),
  };
}

/** A VNC bridge that refuses nothing and serves nothing (serial-only tests and bench). */
export function stubVnc(): VncBridgeLike {
  return {
    available: () => ({ ok: true }),
    attach: (ws) => {
      ws.close();
    },
    controlAvailable: () => ({ ok: true }),
    attachControl: (ws) => {
      ws.close();
    },
    vmChanged: () => undefined,
    vmRemoved: () => undefined,
    stop: () => Promise.resolve(),
  };
}

export class FakeRegistry extends EventEmitter implements VmRegistry {
  private readonly vms = new Map<string, Vm>();

  snapshot(): readonly Vm[] {
    return [...this.vms.values()];
  }
  get(name: string): Vm | undefined {
    return this.vms.get(name);
  }
  sources(): readonly SourceStatus[] {
    return [{ source: 'libvirt', up: true, detail: null }];
  }
  override on<E extends keyof RegistryEvents>(
    event: E,
    listener: (...args: RegistryEvents[E]) => void,
  ): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override off<E extends keyof RegistryEvents>(
    event: E,
    listener: (...args: RegistryEvents[E]) => void,
  ): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }

  /** Adds or replaces a VM, emitting what discovery would. */
  set(vm: Vm): void {
    const previous = this.vms.get(vm.name);
    this.vms.set(vm.name, vm);
    if (previous) this.emit('vm-changed', vm, previous, ['state', 'id', 'serials']);
    else this.emit('vm-added', vm);
  }

  remove(name: string): void {
    const vm = this.vms.get(name);
    if (!vm) return;
    this.vms.delete(name);
    this.emit('vm-removed', vm);
  }
}
