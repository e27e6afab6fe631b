import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { diffVm, Registry } from '../../../src/discovery/registry.js';
import type { Vm, VmChange } from '../../../src/discovery/types.js';
import { makeVm } from './make-vm.js';

function recording(registry: Registry): string[] {
  const log: string[] = [];
  registry.on('vm-added', (vm) => log.push(`added ${vm.name} ${vm.source}`));
  registry.on('vm-changed', (vm, _previous, changes) => log.push(`changed ${vm.name} ${changes.join(',')}`));
  registry.on('vm-removed', (vm) => log.push(`removed ${vm.name}`));
  registry.on('source-status', (s) => log.push(`status ${s.source} ${s.up} ${s.detail ?? ''}`));
  return log;
}

describe('Registry', () => {
  it('passes on a guest reset of a known VM as vm-reset, and nothing for an unknown one', () => {
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const resets: string[] = [];
    registry.on('vm-reset', (vm) => resets.push(`${vm.name} ${vm.state}`));
    const sink = registry.sinkFor('libvirt');
    sink.upsert(makeVm('a', { state: 'running', id: 3 }));
    sink.reset?.('a');
    sink.reset?.('nobody');
    expect(resets).toEqual(['a running']);
  });

  it('emits added / changed with the changes / removed, and never keeps a removed VM', () => {
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const log = recording(registry);
    const sink = registry.sinkFor('libvirt');
    sink.upsert(makeVm('a'));
    sink.upsert(makeVm('a'));
    sink.upsert(makeVm('a', { state: 'running', id: 3 }));
    sink.remove('a');
    sink.remove('a');
    expect(log).toEqual(['added a libvirt', 'changed a state,id', 'removed a']);
    expect(registry.get('a')).toBeUndefined();
    expect(registry.snapshot()).toEqual([]);
  });

  it('replaceAll adds, changes and removes to match the new view', () => {
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const sink = registry.sinkFor('libvirt');
    sink.replaceAll([makeVm('b'), makeVm('a'), makeVm('c')]);
    const log = recording(registry);
    sink.replaceAll([makeVm('a'), makeVm('c', { title: 'new' }), makeVm('d')]);
    expect(log.sort()).toEqual(['added d libvirt', 'changed c meta', 'removed b']);
    expect(registry.snapshot().map((vm) => vm.name)).toEqual(['a', 'c', 'd']);
  });

  it('resolves a name clash by source priority (libvirt first) and falls back when the winner goes', () => {
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const libvirt = registry.sinkFor('libvirt');
    const folder = registry.sinkFor('socket-folder');
    const log = recording(registry);
    folder.upsert(makeVm('x', { state: 'running' }));
    expect(registry.get('x')?.source).toBe('socket-folder');
    libvirt.upsert(makeVm('x', { state: 'shutoff' }));
    expect(registry.get('x')).toMatchObject({ source: 'libvirt', state: 'shutoff' });
    folder.upsert(makeVm('x', { state: 'paused' }));
    expect(registry.get('x')?.state).toBe('shutoff');
    libvirt.remove('x');
    expect(registry.get('x')).toMatchObject({ source: 'socket-folder', state: 'paused' });
    folder.remove('x');
    expect(log).toEqual([
      'added x socket-folder',
      'changed x state,meta',
      'changed x state,meta',
      'removed x',
    ]);
  });

  it('reports source status changes once each', () => {
    const registry = new Registry({ logger: pino({ level: 'silent' }) });
    const sink = registry.sinkFor('libvirt');
    const log = recording(registry);
    sink.status(false, 'libvirtd down');
    sink.status(false, 'libvirtd down');
    sink.status(true, 'ignored when up');
    sink.status(true, null);
    expect(log).toEqual(['status libvirt false libvirtd down', 'status libvirt true ']);
    expect(registry.sources()).toEqual([{ source: 'libvirt', up: true, detail: null }]);
  });
});

describe('diffVm', () => {
  const base = makeVm('v');
  const cases: [Partial<Vm>, VmChange[]][] = [
    [{}, []],
    [{ reason: 'destroyed' }, ['state']],
    [{ id: 9 }, ['id']],
    [{ serials: [] }, ['serials']],
    [{ vnc: null }, ['vnc']],
    [{ spice: { target: { transport: 'unix', path: '/s' }, tlsPort: null, passwordSet: false } }, ['spice']],
    [{ graphics: [{ type: 'rdp', supported: false }] }, ['graphics']],
    [{ description: 'd' }, ['meta']],
    [{ persistent: false }, ['meta']],
  ];
  it.each(cases)('%j → %j', (change, expected) => {
    expect(diffVm(base, { ...base, ...change })).toEqual(expected);
  });
});
