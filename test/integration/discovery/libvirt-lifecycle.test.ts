// The libvirt source against the real libvirtd, in both modes: each lifecycle step of a test
// domain must reach the registry as an event.
import { closeSync, constants, openSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery, type Vm } from '../../../src/discovery/index.js';
import { TestDomains } from '../../../harness/libvirt/domains.js';
import { TEST_URI } from '../../../harness/libvirt/virsh.js';
import { ptyPathOf, waitForVm } from '../../unit/discovery/registry-wait.js';

const logger = pino({ level: 'silent' });

describe.each(['files', 'virsh'] as const)('libvirt source in %s mode', (mode) => {
  const domains = new TestDomains();
  let discovery: Discovery | undefined;
  afterAll(async () => {
    await discovery?.stop();
    await domains.cleanup();
  });

  it('follows define → start → destroy → start → undefine', async () => {
    discovery = createDiscovery({ logger, uri: TEST_URI, libvirtMode: mode, reconcileMs: 30_000 });
    await discovery.start();
    const { registry } = discovery;
    expect(registry.sources()).toContainEqual({ source: 'libvirt', up: true, detail: null });

    const domain = await domains.create({
      label: `life-${mode}`,
      serials: ['pty'],
      vnc: 'unix',
      start: false,
    });
    const defined = (await waitForVm(registry, domain.name, (vm) => vm.state === 'shutoff', 'defined')) as Vm;
    expect(defined).toMatchObject({ source: 'libvirt', persistent: true, id: null });
    expect(ptyPathOf(defined)).toBeNull();

    const startAndWait = async (what: string): Promise<{ vm: Vm; pty: string }> => {
      await domain.start();
      const vm = await waitForVm(
        registry,
        domain.name,
        (v) => v.state === 'running' && ptyPathOf(v) !== null,
        what,
      );
      return { vm: vm as Vm, pty: await domain.ptyPath(0) };
    };
    const { vm: running, pty: firstPty } = await startAndWait('running with a pty path');
    expect(ptyPathOf(running)).toBe(firstPty);
    expect(running.id).toBeGreaterThan(0);
    expect(running.vnc?.target).toEqual({ transport: 'unix', path: domain.vncSocket });

    // Holding the old pty open keeps its number taken, so the next boot must get another one.
    const held = openSync(firstPty, constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK);
    try {
      await domain.destroy();
      const stopped = (await waitForVm(
        registry,
        domain.name,
        (vm) => vm.state === 'shutoff',
        'stopped',
      )) as Vm;
      expect(stopped.id).toBeNull();
      expect(ptyPathOf(stopped)).toBeNull();

      const { vm: again, pty: secondPty } = await startAndWait('running again');
      expect(secondPty).not.toBe(firstPty);
      expect(ptyPathOf(again)).toBe(secondPty);
    } finally {
      closeSync(held);
    }

    await domain.undefine();
    await waitForVm(registry, domain.name, null, 'gone after undefine');
    expect(registry.snapshot().some((vm) => vm.name === domain.name)).toBe(false);
  });
});
