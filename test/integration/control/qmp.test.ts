// Power actions of a VM started without libvirt, through its QMP socket (NAME.qmp): a real QEMU
// running the test guest. Discovery's naming gives the Vm; the control part sends the commands.
import { mkdtempSync, rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BOOT_BANNER, spawnHandQemu } from '../../../harness/libvirt/guest.js';
import { createPowerControl, qmpCommand } from '../../../src/control/index.js';
import { vmFromSockets } from '../../../src/discovery/socket-naming.js';
import type { Vm } from '../../../src/discovery/types.js';
import { until } from '../http/stack.js';

// Socket-folder VMs never reach virsh: a runner that fails the test if it is used.
const noVirsh = {
  uri: 'qemu:///system',
  run: () => Promise.reject(new Error('virsh must not run for a QMP VM')),
  spawn: () => {
    throw new Error('unused');
  },
  checkAvailable: () => Promise.resolve(),
  cancelAll: () => undefined,
};

interface HandVm {
  readonly vm: Vm;
  readonly qemu: ChildProcess;
  readonly exited: Promise<number | null>;
  serial: string;
}

describe('QMP power actions on a QEMU started by hand', () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanups.splice(0)) c();
  });

  async function start(): Promise<HandVm> {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-qmp-'));
    const qmp = path.join(dir, 'hand.qmp');
    const serial = path.join(dir, 'hand.serial0');
    const qemu = spawnHandQemu([
      ...['-qmp', `unix:${qmp},server=on,wait=off`],
      ...['-chardev', `socket,id=s0,path=${serial},server=on,wait=off`, '-serial', 'chardev:s0'],
    ]);
    const exited = new Promise<number | null>((resolve) => qemu.once('exit', resolve));
    cleanups.push(() => {
      qemu.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    await until('the QMP socket', () =>
      qmpCommand(qmp, 'query-status').then(
        () => true,
        () => false,
      ),
    );
    const vm = vmFromSockets(
      'hand',
      [
        { vmName: 'hand', role: { kind: 'qmp' }, path: qmp },
        { vmName: 'hand', role: { kind: 'serial', port: 0, websocket: false }, path: serial },
      ],
      'running',
    );
    const hand: HandVm = { vm, qemu, exited, serial: '' };
    const socket = net.connect(serial);
    socket.on('data', (b: Buffer) => (hand.serial += b.toString('latin1')));
    socket.on('error', () => undefined);
    cleanups.unshift(() => socket.destroy());
    return hand;
  }

  const power = createPowerControl({ virsh: noVirsh });
  const banners = (h: HandVm): number => h.serial.split(BOOT_BANNER).length - 1;

  it('pauses, resumes, resets (the guest boots again) and refuses start', async () => {
    const hand = await start();
    await until('the first boot', () => banners(hand) === 1);
    await power.run(hand.vm, 'pause');
    expect(await qmpCommand(hand.vm.qmp!, 'query-status')).toMatchObject({ status: 'paused' });
    await power.run(hand.vm, 'resume');
    expect(await qmpCommand(hand.vm.qmp!, 'query-status')).toMatchObject({ status: 'running' });
    await power.run(hand.vm, 'reset');
    await until('the boot after the reset', () => banners(hand) === 2);
    await expect(power.run(hand.vm, 'start')).rejects.toMatchObject({ code: 'VWC_ERR_ACTION_UNSUPPORTED' });
    await expect(power.run(hand.vm, 'reboot')).rejects.toMatchObject({ code: 'VWC_ERR_ACTION_UNSUPPORTED' });
  });

  it('shuts the guest down through ACPI (system_powerdown): QEMU exits', async () => {
    const hand = await start();
    await until('the boot', () => banners(hand) === 1);
    await power.run(hand.vm, 'shutdown');
    expect(await hand.exited).toBe(0);
    expect(hand.serial).toContain('POWER BUTTON');
    await expect(power.run(hand.vm, 'force-off')).rejects.toMatchObject({
      code: 'VWC_ERR_ACTION_CONFLICT',
      message: expect.stringMatching(/not running/) as unknown,
    });
  });

  it('forces QEMU off (quit)', async () => {
    const hand = await start();
    await power.run(hand.vm, 'force-off');
    expect(await hand.exited).toBe(0);
  });

  it('offers nothing to a socket-folder VM without a QMP socket', async () => {
    const vm = vmFromSockets(
      'bare',
      [{ vmName: 'bare', role: { kind: 'vnc' }, path: '/nowhere/bare.vnc' }],
      'running',
    );
    await expect(power.run(vm, 'shutdown')).rejects.toMatchObject({ code: 'VWC_ERR_ACTION_UNSUPPORTED' });
  });
});
