// The thumbnail part as the daemon uses it: capturer + converter + cache, and the registry
// followed so a VM that stops or goes away loses its picture (a restarted VM shows no stale one).
import type { Vm, VmRegistry } from '../../discovery/types.js';
import type { VirshRunner } from '../../discovery/virsh.js';
import { createScreenCapturer } from './capture.js';
import { toThumbnail } from './convert.js';
import { createThumbnailService, type ThumbnailService } from './service.js';

export interface ThumbnailsDeps {
  /** A runner of the part's own: stop() cancels its captures under way. */
  readonly virsh: VirshRunner;
  readonly registry: VmRegistry;
  readonly intervalSeconds: number;
  readonly maxConcurrent: number;
  readonly width: number;
  readonly onCapture?: (result: 'ok' | 'error') => void;
  /** Where the private capture folder is made (default the OS temp folder). */
  readonly tmpRoot?: string;
}

export interface Thumbnails {
  readonly service: ThumbnailService;
  stop(): void;
}

const SHOWING: ReadonlySet<Vm['state']> = new Set(['running', 'blocked', 'paused']);

export function createThumbnails(deps: ThumbnailsDeps): Thumbnails {
  const capturer = createScreenCapturer({
    virsh: deps.virsh,
    ...(deps.tmpRoot === undefined ? {} : { tmpRoot: deps.tmpRoot }),
  });
  const service = createThumbnailService({
    capture: (vm) => capturer.capture(vm),
    convert: (raw) => toThumbnail(raw, deps.width),
    intervalMs: deps.intervalSeconds * 1000,
    maxConcurrent: deps.maxConcurrent,
    ...(deps.onCapture ? { onCapture: deps.onCapture } : {}),
  });
  const onChanged = (vm: Vm): void => {
    if (!SHOWING.has(vm.state)) service.forget(vm.name);
  };
  const onRemoved = (vm: Vm): void => {
    service.forget(vm.name);
  };
  deps.registry.on('vm-changed', onChanged);
  deps.registry.on('vm-removed', onRemoved);
  return {
    service,
    stop() {
      deps.registry.off('vm-changed', onChanged);
      deps.registry.off('vm-removed', onRemoved);
      deps.virsh.cancelAll();
      capturer.stop();
    },
  };
}
