import { describe, expect, it, vi } from 'vitest';
import { createConsoleHub, type VncBridgeLike } from '../../../src/bridge/index.js';
import { FakeClient, FakeConnector, FakeRegistry, makeVm, settle, silentLogger } from './fakes.js';

function fakeVnc(): VncBridgeLike & { changed: string[] } {
  const changed: string[] = [];
  return {
    changed,
    available: () => ({ ok: true }),
    attach: vi.fn(),
    controlAvailable: () => ({ ok: true }),
    attachControl: vi.fn(),
    vmChanged: (vm) => changed.push(`changed ${vm.name}`),
    vmRemoved: (vm) => changed.push(`removed ${vm.name}`),
    stop: () => Promise.resolve(),
  };
}

describe('ConsoleHub', () => {
  it('follows the registry: muxes per port, refusals with codes, undefined closes clients', async () => {
    const registry = new FakeRegistry();
    const connector = new FakeConnector();
    const vnc = fakeVnc();
    const hub = createConsoleHub({ registry, logger: silentLogger, serialConnector: connector.connect, vnc });
    registry.set(
      makeVm('web-1', 'running', 4, [
        { kind: 'pty', path: '/dev/pts/7' },
        { kind: 'unsupported', type: 'file' },
      ]),
    );
    hub.start();
    await settle();
    expect(connector.sources).toEqual([{ kind: 'pty', path: '/dev/pts/7' }]);
    expect(hub.serialAvailable('web-1', 0)).toEqual({ ok: true });
    const refusal = (name: string, index: number): string | undefined => {
      const a = hub.serialAvailable(name, index);
      return a.ok ? undefined : a.error.code;
    };
    expect(refusal('nope', 0)).toBe('VWC_ERR_NOT_FOUND');
    expect(refusal('web-1', 5)).toBe('VWC_ERR_SERIAL_NOT_FOUND');
    expect(refusal('web-1', 1)).toBe('VWC_ERR_SERIAL_UNAVAILABLE');
    expect(hub.vncAvailable('web-1')).toEqual({ ok: true });
    expect(hub.vncAvailable('nope').ok).toBe(false);

    connector.latest.emit('booted\r\n');
    expect(hub.readSerialHistory('web-1', 0, 0, 100)?.data.toString()).toBe('booted\r\n');
    expect(hub.readSerialHistory('web-1', 9, 0, 100)).toBeUndefined();

    const client = new FakeClient();
    hub.serial.mux('web-1', 0)!.attach(client, { user: 'a', role: 'viewer', clientAddress: 'x' }, {});
    registry.set(makeVm('web-1', 'shutoff', null, [{ kind: 'pty', path: null }]));
    expect(vnc.changed).toEqual(['changed web-1']);
    expect(client.of('vm').at(-1)).toMatchObject({ state: 'shutoff' });
    registry.remove('web-1');
    expect(client.closedWith?.code).toBe(4102);
    expect(client.of('error').at(-1)).toMatchObject({ code: 'VWC_ERR_DOMAIN_UNDEFINED' });
    expect(vnc.changed).toEqual(['changed web-1', 'removed web-1']);
    await hub.stop('bye');
    expect(refusal('web-1', 0)).toBe('VWC_ERR_SHUTTING_DOWN');
  });

  it('answers for a VM the registry announced before the hub heard of it', () => {
    const registry = new FakeRegistry();
    const connector = new FakeConnector();
    const hub = createConsoleHub({
      registry,
      logger: silentLogger,
      serialConnector: connector.connect,
      vnc: fakeVnc(),
    });
    // Another listener asks during the same vm-added event, before the hub's own listener.
    let seen: boolean | undefined;
    registry.on('vm-added', (vm) => {
      seen = hub.serialAvailable(vm.name, 0).ok;
    });
    hub.start();
    registry.set(makeVm('late', 'running', 1));
    expect(seen).toBe(true);
  });
});
