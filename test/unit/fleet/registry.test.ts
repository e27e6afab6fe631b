// The entry's aggregated view: a host's snapshot replaces what was known with the differences
// announced, a lost host keeps its rows, and state changes are events.
import { describe, expect, it } from 'vitest';
import { FleetRegistry } from '../../../src/fleet/index.js';
import type { DomainItem } from '../../../src/http/index.js';

const item = (name: string, state: DomainItem['state'] = 'running'): DomainItem => ({
  name,
  title: null,
  description: null,
  state,
  source: 'libvirt',
  consoles: { vnc: null, spice: null, serials: [], unsupportedGraphics: [] },
  access: { role: 'operator', canType: true },
  actions: [],
});

describe('FleetRegistry', () => {
  it('starts every host unreachable and announces each change', () => {
    let now = 1000;
    const registry = new FleetRegistry(['h1', 'h2'], () => now);
    const events: unknown[][] = [];
    for (const name of ['domain-added', 'domain-changed', 'domain-removed', 'host'] as const) {
      registry.on(name, (...args: unknown[]) =>
        events.push([name, ...args.map((a) => (typeof a === 'object' ? (a as DomainItem).name : a))]),
      );
    }
    expect(registry.hostList().map((h) => h.state)).toEqual(['unreachable', 'unreachable']);
    registry.snapshot('h1', [item('a'), item('b')]);
    expect(events).toEqual([
      ['domain-added', 'h1', 'a'],
      ['domain-added', 'h1', 'b'],
      ['host', 'h1', 'up'],
    ]);
    events.length = 0;
    now = 2000;
    registry.down('h1');
    expect(registry.hostList()[0]).toEqual({
      name: 'h1',
      state: 'unreachable',
      vms: 2,
      since: new Date(2000).toISOString(),
    });
    expect([...registry.entries()].map((e) => [e.host, e.hostState, e.item.name])).toEqual([
      ['h1', 'unreachable', 'a'],
      ['h1', 'unreachable', 'b'],
    ]);
    // Back with b changed, a gone and c new; an unchanged row is not announced.
    registry.snapshot('h1', [item('b', 'shutoff'), item('c')]);
    expect(events).toEqual([
      ['host', 'h1', 'unreachable'],
      ['domain-removed', 'h1', 'a'],
      ['domain-changed', 'h1', 'b'],
      ['domain-added', 'h1', 'c'],
      ['host', 'h1', 'up'],
    ]);
    events.length = 0;
    registry.snapshot('h1', [item('b', 'shutoff'), item('c')]);
    registry.snapshot('h9', [item('x')]);
    expect(events).toEqual([]);
    expect(registry.get('h1', 'b')?.state).toBe('shutoff');
    expect(registry.get('h2', 'b')).toBeNull();
  });
});
