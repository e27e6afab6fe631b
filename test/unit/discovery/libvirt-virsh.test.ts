import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery } from '../../../src/discovery/index.js';
import { waitForRegistry } from './registry-wait.js';
import { FakeVirsh, virshFailure } from './fake-virsh.js';

const CAPTURED = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/xml/captured');
const fixture = (label: string, kind: string): string =>
  readFileSync(path.join(CAPTURED, `${label}.${kind}.xml`), 'utf8');

interface FakeDomain {
  state: 'running' | 'paused' | 'shutoff';
  persistent: boolean;
  xml: string;
}

/** A pretend libvirtd behind the fake virsh: `list` filters and `dumpxml`. */
class FakeLibvirt {
  up = true;
  readonly domains = new Map<string, FakeDomain>();
  answer = (args: readonly string[]): string => {
    if (!this.up) throw virshFailure(args, 'error: failed to connect to the hypervisor');
    const entries = [...this.domains.entries()];
    if (args[0] === 'list') {
      const keep = entries.filter(([, d]) => {
        if (args.includes('--state-running')) return d.state === 'running';
        if (args.includes('--state-paused')) return d.state === 'paused';
        if (args.includes('--state-shutoff')) return d.state === 'shutoff';
        if (args.includes('--persistent')) return d.persistent;
        return args.includes('--all') || d.state !== 'shutoff';
      });
      return keep.map(([name]) => `${name}\n`).join('') + '\n';
    }
    if (args[0] === 'domstats') {
      const only = args.includes('--') ? args.at(-1) : undefined;
      if (only !== undefined && !this.domains.has(only))
        throw virshFailure(args, `error: failed to get domain '${only}'`);
      const codes = {
        running: '1\n  state.reason=1',
        paused: '3\n  state.reason=1',
        shutoff: '5\n  state.reason=2',
      };
      return entries
        .filter(([name]) => only === undefined || name === only)
        .map(([name, d]) => `Domain: '${name}'\n  state.state=${codes[d.state]}\n\n`)
        .join('');
    }
    if (args[0] === 'dumpxml') {
      const domain = this.domains.get(args[2]!);
      if (!domain) throw virshFailure(args, `error: failed to get domain '${args[2]!}'`);
      return domain.xml;
    }
    throw virshFailure(args, `unexpected ${args.join(' ')}`);
  };
}

describe('libvirt source through virsh (fake libvirtd)', () => {
  let discovery: Discovery | undefined;
  afterEach(async () => {
    await discovery?.stop();
  });

  function setup(mode: 'virsh' | 'files' = 'virsh'): { libvirt: FakeLibvirt; virsh: FakeVirsh } {
    const libvirt = new FakeLibvirt();
    libvirt.domains.set('vwc-fixture-two-ports', {
      state: 'running',
      persistent: true,
      xml: fixture('two-ports', 'live'),
    });
    libvirt.domains.set('vwc-fixture-pty-vnc-unix', {
      state: 'shutoff',
      persistent: true,
      xml: fixture('pty-vnc-unix', 'inactive'),
    });
    const virsh = new FakeVirsh(libvirt.answer);
    discovery = createDiscovery({
      logger: pino({ level: 'silent' }),
      virsh,
      libvirtMode: mode,
      reconcileMs: 0,
      // File mode on empty folders: only the status logic is under test there.
      runDir: '/nonexistent-vwc-run',
      configDir: '/nonexistent-vwc-etc',
    });
    return { libvirt, virsh };
  }

  it('lists every domain with its state and persistence, and follows events', async () => {
    const { libvirt, virsh } = setup();
    await discovery!.start();
    const { registry } = discovery!;
    expect(registry.snapshot().map((vm) => [vm.name, vm.state, vm.persistent, vm.reason])).toEqual([
      ['vwc-fixture-pty-vnc-unix', 'shutoff', true, 'destroyed'],
      ['vwc-fixture-two-ports', 'running', true, 'booted'],
    ]);
    expect(registry.sources()).toEqual([{ source: 'libvirt', up: true, detail: null }]);
    expect(virsh.last.args).toEqual(['event', '--all', '--loop']);

    libvirt.domains.set('vwc-fixture-pty-vnc-unix', {
      state: 'running',
      persistent: true,
      xml: fixture('pty-vnc-unix', 'live'),
    });
    virsh.last.line("event 'lifecycle' for domain 'vwc-fixture-pty-vnc-unix': Started Booted");
    await waitForRegistry(
      registry,
      () => registry.get('vwc-fixture-pty-vnc-unix')?.state === 'running',
      'condition',
    );

    libvirt.domains.delete('vwc-fixture-two-ports');
    virsh.last.line("event 'lifecycle' for domain 'vwc-fixture-two-ports': Undefined Removed");
    await waitForRegistry(registry, () => registry.get('vwc-fixture-two-ports') === undefined, 'condition');
  });

  it('stopping during a reconcile cancels it without dropping domains or blaming libvirtd', async () => {
    const libvirt = new FakeLibvirt();
    libvirt.domains.set('vwc-fixture-two-ports', {
      state: 'running',
      persistent: true,
      xml: fixture('two-ports', 'live'),
    });
    const virsh = new FakeVirsh(libvirt.answer);
    // A full re-read every 50 ms, and no event stream: what runs at stop is a reconcile.
    const own = createDiscovery({
      logger: pino({ level: 'silent' }),
      virsh,
      libvirtMode: 'virsh',
      reconcileMs: 50,
      events: false,
    });
    await own.start();
    const { registry } = own;
    const removed: string[] = [];
    registry.on('vm-removed', (vm) => removed.push(vm.name));
    // libvirtd hangs on the next dumpxml: only the cancellation at stop ends it.
    virsh.handler = (args) =>
      args[0] === 'dumpxml' ? new Promise<string>(() => undefined) : libvirt.answer(args);
    const calls = virsh.calls.length;
    while (!virsh.calls.slice(calls).some((c) => c[0] === 'dumpxml')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await own.stop();
    expect(virsh.cancelled).toBe(true);
    expect(removed).toEqual([]);
    expect(registry.get('vwc-fixture-two-ports')?.state).toBe('running');
    expect(registry.sources()).toEqual([{ source: 'libvirt', up: true, detail: null }]);
  });

  it('starts with libvirtd down, reports it, and recovers when libvirtd answers again', async () => {
    const { libvirt, virsh } = setup();
    libvirt.up = false;
    await discovery!.start();
    const { registry } = discovery!;
    expect(registry.snapshot()).toEqual([]);
    expect(registry.sources()[0]).toMatchObject({ source: 'libvirt', up: false });
    expect(registry.sources()[0]?.detail).toContain('failed to connect to the hypervisor');

    libvirt.up = true;
    virsh.last.exit('error: failed to connect to the hypervisor');
    await waitForRegistry(
      registry,
      () => registry.sources()[0]?.up === true && registry.snapshot().length === 2,
      'condition',
    );
    expect(virsh.processes).toHaveLength(2);
  });

  it('in file mode, reports down while the event stream is dead and up after a good probe', async () => {
    const { libvirt, virsh } = setup('files');
    await discovery!.start();
    const { registry } = discovery!;
    expect(registry.sources()).toEqual([{ source: 'libvirt', up: true, detail: null }]);
    libvirt.up = false;
    virsh.last.exit('error: Disconnected from qemu:///system due to end of file');
    await waitForRegistry(registry, () => registry.sources()[0]?.up === false, 'condition');
    expect(registry.sources()[0]?.detail).toContain('Disconnected');
    libvirt.up = true;
    await waitForRegistry(registry, () => registry.sources()[0]?.up === true, 'condition');
  });
});
