// What a discovery source reports to the registry, and how the registry drives it.
import type { Vm, VmSourceKind } from './types.js';

/** The registry's side of one source. Every call carries this source's view only. */
export interface SourceSink {
  /** Everything the source sees now; names not in `vms` are removed. */
  replaceAll(vms: readonly Vm[]): void;
  upsert(vm: Vm): void;
  remove(name: string): void;
  /** The guest of `name` reset itself (an in-guest reboot); optional for sources that cannot see it. */
  reset?(name: string): void;
  /** Whether the source can currently see what it watches (e.g. libvirtd answers). */
  status(up: boolean, detail: string | null): void;
}

export interface VmSource {
  readonly kind: VmSourceKind;
  /** Resolves once the first full view has been reported (or the source reported itself down). */
  start(sink: SourceSink): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A domain name from virsh output or an event, safe to turn into `<folder>/<name>.xml` (libvirt
 * itself refuses `/` in names; anything else odd is refused here rather than trusted).
 */
export function isSafeFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[/\0]/.test(name);
}
