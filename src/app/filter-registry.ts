// A view of the registry limited to the domains `discovery.include` names, so a daemon can
// serve (and own the serial sources of) only part of a host's VMs.
import { EventEmitter } from 'node:events';
import type { RegistryEvents, SourceStatus, Vm, VmRegistry } from '../discovery/types.js';
import { globToRegExp } from '../http/index.js';

export function filterRegistry(inner: VmRegistry, include: readonly string[]): VmRegistry {
  if (include.length === 0) return inner;
  const patterns = include.map(globToRegExp);
  const wanted = (vm: Vm): boolean => patterns.some((re) => re.test(vm.name));
  const emitter = new EventEmitter();
  // One listener per open event stream: many are no leak (see Registry).
  emitter.setMaxListeners(0);
  inner.on('vm-added', (vm) => {
    if (wanted(vm)) emitter.emit('vm-added', vm);
  });
  inner.on('vm-changed', (vm, previous, changes) => {
    if (wanted(vm)) emitter.emit('vm-changed', vm, previous, changes);
  });
  inner.on('vm-removed', (vm) => {
    if (wanted(vm)) emitter.emit('vm-removed', vm);
  });
  inner.on('vm-reset', (vm) => {
    if (wanted(vm)) emitter.emit('vm-reset', vm);
  });
  inner.on('source-status', (status) => {
    emitter.emit('source-status', status);
  });
  const view: VmRegistry = {
    snapshot: () => inner.snapshot().filter(wanted),
    get: (name) => {
      const vm = inner.get(name);
      return vm && wanted(vm) ? vm : undefined;
    },
    sources: (): readonly SourceStatus[] => inner.sources(),
    on<E extends keyof RegistryEvents>(event: E, listener: (...args: RegistryEvents[E]) => void) {
      emitter.on(event, listener as (...args: unknown[]) => void);
      return view;
    },
    off<E extends keyof RegistryEvents>(event: E, listener: (...args: RegistryEvents[E]) => void) {
      emitter.off(event, listener as (...args: unknown[]) => void);
      return view;
    },
  };
  return view;
}
