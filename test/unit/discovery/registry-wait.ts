// Waits on registry events (never a fixed sleep): resolves as soon as `check` passes, checked
// now and after every registry event, or rejects at the deadline with what was last seen.
import type { Vm, VmRegistry } from '../../../src/discovery/index.js';

const EVENTS = ['vm-added', 'vm-changed', 'vm-removed', 'source-status'] as const;

export function waitForRegistry<T>(
  registry: VmRegistry,
  check: () => T | undefined | false,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const listener = (): void => {
      let value: T | undefined | false;
      try {
        value = check();
      } catch (error) {
        finish();
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      if (value !== undefined && value !== false) {
        finish();
        resolve(value);
      }
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const finish = (): void => {
      clearTimeout(timer);
      for (const event of EVENTS) registry.off(event, listener);
    };
    for (const event of EVENTS) registry.on(event, listener);
    listener();
  });
}

/** Waits until the VM `name` satisfies `check` (or, with `check` null, is gone). */
export function waitForVm(
  registry: VmRegistry,
  name: string,
  check: ((vm: Vm) => boolean) | null,
  what: string,
  timeoutMs?: number,
): Promise<Vm | true> {
  return waitForRegistry(
    registry,
    () => {
      const vm = registry.get(name);
      if (check === null) return vm === undefined ? true : undefined;
      return vm !== undefined && check(vm) ? vm : undefined;
    },
    `${name}: ${what}`,
    timeoutMs,
  );
}

export function ptyPathOf(vm: Vm, index = 0): string | null {
  const source = vm.serials[index]?.source;
  return source?.kind === 'pty' ? source.path : null;
}
