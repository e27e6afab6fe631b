// Every open event stream (a list page) listens to the registry: a dozen browser tabs are not a
// listener leak, and must not print Node's MaxListenersExceededWarning.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { filterRegistry } from '../../../src/app/filter-registry.js';
import { Registry } from '../../../src/discovery/index.js';

describe('registry listeners', () => {
  it('takes many listeners per event without a leak warning', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning);
    };
    process.on('warning', onWarning);
    try {
      const registry = new Registry({ logger: pino({ level: 'silent' }) });
      // The daemon's view when `discovery.include` is set.
      const filtered = filterRegistry(registry, ['web-*']);
      const listeners = Array.from({ length: 50 }, () => (): void => undefined);
      for (const listener of listeners) registry.on('vm-changed', listener);
      for (const listener of listeners) filtered.on('vm-changed', listener);
      await new Promise((r) => setTimeout(r, 20));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      for (const listener of listeners) registry.off('vm-changed', listener);
      expect(registry.listenerCount('vm-changed')).toBe(1);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
