// The VNC bridge against a real guest's VNC UNIX socket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleProbe } from '../../helpers/console-io.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { ERRORS } from '../../../src/errors/index.js';
import type { Vm } from '../../../src/discovery/types.js';
import { startHarness, vncVm, type Harness } from '../../../harness/vnc-server.js';
import { RfbTestClient } from './rfb-client.js';

describe('VNC bridge with a real guest', () => {
  const domains = new TestDomains();
  let domain: TestDomain;
  let vm: Vm;
  let harness: Harness;
  let serial: ConsoleProbe;

  beforeAll(async () => {
    domain = await domains.create({ label: 'vnc', serials: ['pty'], vnc: 'unix' });
    vm = vncVm(domain.name, { transport: 'unix', path: domain.vncSocket! });
    harness = await startHarness((name) => (name === vm.name ? vm : undefined), {
      upstreamCloseGraceMs: 10_000,
    });
    serial = ConsoleProbe.pty(await domain.ptyPath(0));
    await serial.waitFor(BOOT_BANNER, 60_000);
  });
  afterAll(async () => {
    serial.close();
    await harness.close();
    await domains.cleanup();
  });

  it('two viewers receive framebuffer updates at the same time', async () => {
    const a = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    const b = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    try {
      expect(a.serverInit?.width).toBeGreaterThan(0);
      expect(harness.bridge.viewerCount(vm.name)).toBe(2);
      await Promise.all([a.requestUpdate(), b.requestUpdate()]);
      expect(a.updates).toBeGreaterThan(0);
      expect(b.updates).toBeGreaterThan(0);
    } finally {
      a.close();
      b.close();
    }
  });

  it('a client asking for exclusive access does not disconnect the others', async () => {
    const a = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    const b = await RfbTestClient.overWebSocket(harness.url(vm.name, 'operator'));
    const exclusive = await RfbTestClient.overWebSocket(harness.url(vm.name, 'operator'), { shared: false });
    try {
      await exclusive.requestUpdate();
      // QEMU handles a client's messages in order: an answered update means it saw ClientInit.
      await Promise.all([a.requestUpdate(), b.requestUpdate()]);
      expect(a.closed).toBeNull();
      expect(b.closed).toBeNull();
    } finally {
      for (const c of [a, b, exclusive]) c.close();
    }
  });

  it('control: straight to QEMU, an exclusive client does disconnect the others', async () => {
    const a = await RfbTestClient.direct(domain.vncSocket!);
    const exclusive = await RfbTestClient.direct(domain.vncSocket!, { shared: false });
    try {
      await exclusive.requestUpdate();
      await a.waitClosed();
    } finally {
      a.close();
      exclusive.close();
    }
  });

  it('keys from an operator reach the guest, keys from a viewer do not', async () => {
    const operator = await RfbTestClient.overWebSocket(harness.url(vm.name, 'operator'));
    const viewer = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    try {
      // tty1's shell comes up a little after the banner: type until the first line lands.
      const deadline = Date.now() + 60_000;
      for (let attempt = 1; ; attempt++) {
        operator.type(`echo vnc-ok-${attempt} > /dev/ttyS0\n`);
        try {
          await serial.waitFor(/vnc-ok-\d+/, 3_000);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      viewer.type('echo vnc-viewer-typed > /dev/ttyS0\n');
      // The viewer's keys (if any got through) are processed before this update is answered.
      await viewer.requestUpdate();
      operator.type('echo vnc-after > /dev/ttyS0\n');
      await serial.waitFor('vnc-after');
      expect(serial.text).not.toContain('vnc-viewer-typed');
      expect(viewer.closed).toBeNull();
    } finally {
      operator.close();
      viewer.close();
    }
  });

  it('refuses a viewer over the per-VM limit with a reason', async () => {
    const limited = await startHarness((name) => (name === vm.name ? vm : undefined), { maxViewersPerVm: 1 });
    try {
      const first = await RfbTestClient.overWebSocket(limited.url(vm.name, 'viewer'));
      const second = RfbTestClient.overWebSocket(limited.url(vm.name, 'viewer'));
      await expect(second).rejects.toThrow(/closed \(4202 .*limit 1/);
      expect(first.closed).toBeNull();
      first.close();
    } finally {
      await limited.close();
    }
  });

  it('closes viewers with "domain stopped" when the VM is destroyed; new ones work after a start', async () => {
    const a = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    const b = await RfbTestClient.overWebSocket(harness.url(vm.name, 'operator'));
    await domain.destroy();
    // What discovery reports once libvirt says the domain is shut off.
    const running = vm;
    vm = { ...vm, state: 'shutoff', id: null };
    harness.bridge.vmChanged(vm, running);
    for (const c of [a, b]) {
      expect(await c.waitClosed()).toEqual({
        code: ERRORS.VWC_ERR_DOMAIN_STOPPED.ws,
        reason: 'domain stopped',
      });
    }
    expect(harness.bridge.viewerCount(vm.name)).toBe(0);
    expect(harness.bridge.available(vm)).toMatchObject({
      ok: false,
      error: { code: 'VWC_ERR_DOMAIN_STOPPED' },
    });

    await domain.start();
    vm = { ...vm, state: 'running', id: 2 };
    const again = await RfbTestClient.overWebSocket(harness.url(vm.name, 'viewer'));
    await again.requestUpdate();
    again.close();
  });

  it('relays a VNC server on TCP (autoport on loopback)', async () => {
    const tcp = await domains.create({ label: 'vnc-tcp', serials: ['pty'], vnc: 'tcp' });
    const port = Number(/<graphics type='vnc' port='(\d+)'/.exec(await tcp.liveXml())?.[1]);
    expect(port).toBeGreaterThan(5899);
    const tcpVm = vncVm(tcp.name, { transport: 'tcp', host: '127.0.0.1', port });
    const own = await startHarness((name) => (name === tcpVm.name ? tcpVm : undefined));
    try {
      const viewer = await RfbTestClient.overWebSocket(own.url(tcpVm.name, 'viewer'));
      await viewer.requestUpdate();
      expect(viewer.serverInit?.width).toBeGreaterThan(0);
      viewer.close();
    } finally {
      await own.close();
      await tcp.undefine();
    }
  });
});
