import type { Vm } from '../../../src/discovery/types.js';

/** A small valid VM for registry tests. */
export function makeVm(name: string, overrides: Partial<Vm> = {}): Vm {
  return {
    name,
    uuid: null,
    id: null,
    title: null,
    description: null,
    state: 'shutoff',
    reason: null,
    source: 'libvirt',
    persistent: true,
    vnc: { target: { transport: 'unix', path: `/run/${name}.vnc` }, websocketPort: null, passwordSet: false },
    graphics: [{ type: 'vnc', supported: true }],
    serials: [
      {
        index: 0,
        element: 'serial',
        port: 0,
        targetType: 'isa-serial',
        alias: null,
        source: { kind: 'pty', path: null },
        logFile: null,
      },
    ],
    ...overrides,
  };
}
