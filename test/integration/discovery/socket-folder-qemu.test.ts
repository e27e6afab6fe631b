// The socket-folder source finds a QEMU started by hand (no libvirt), sees it stop when it is
// killed (its socket files stay and refuse), and forgets it when the files go.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery, type Vm } from '../../../src/discovery/index.js';
import { readGreeting } from '../../helpers/console-io.js';
import { spawnHandQemu } from '../../../harness/libvirt/guest.js';
import { waitForVm } from '../../unit/discovery/registry-wait.js';

describe('socket-folder source with a QEMU started by hand', () => {
  const dir = mkdtempSync('/tmp/vwc-qemu-sockets-');
  const name = `vwct-hand-${process.pid}`;
  let qemu: ChildProcess | undefined;
  let discovery: Discovery | undefined;

  afterAll(async () => {
    qemu?.kill('SIGKILL');
    await discovery?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the VM, its VNC socket and both serial sockets, then sees it stop and go', async () => {
    discovery = createDiscovery({
      logger: pino({ level: 'silent' }),
      libvirt: false,
      socketFolders: [dir],
      probeMs: 500,
    });
    await discovery.start();
    const { registry } = discovery;
    expect(registry.snapshot()).toEqual([]);

    const socket = (file: string): string => path.join(dir, file);
    qemu = spawnHandQemu([
      ...['-vnc', `unix:${socket(`${name}.vnc`)}`],
      ...['-chardev', `socket,id=s0,path=${socket(`${name}.serial0`)},server=on,wait=off`],
      ...['-serial', 'chardev:s0'],
      ...['-chardev', `socket,id=s1,path=${socket(`${name}.serial1.ws`)},server=on,wait=off,websocket=on`],
      ...['-serial', 'chardev:s1'],
    ]);

    const running = (await waitForVm(
      registry,
      name,
      (vm) => vm.state === 'running' && vm.vnc !== null && vm.serials.length === 2,
      'running with VNC and two serials',
    )) as Vm;
    expect(running).toMatchObject({ source: 'socket-folder', persistent: false, id: null });
    expect(running.vnc?.target).toEqual({ transport: 'unix', path: socket(`${name}.vnc`) });
    expect(running.serials.map((s) => s.source)).toEqual([
      { kind: 'unix', path: socket(`${name}.serial0`), mode: 'bind' },
      { kind: 'websocket', path: socket(`${name}.serial1.ws`) },
    ]);
    // What the registry points at really is QEMU's VNC server.
    expect((await readGreeting(socket(`${name}.vnc`), 12)).toString('latin1')).toBe('RFB 003.008\n');

    // SIGKILL leaves the socket files behind: they refuse connections, so the VM is stopped.
    const exited = new Promise((resolve) => qemu!.once('exit', resolve));
    qemu.kill('SIGKILL');
    await exited;
    expect(readdirSync(dir).length).toBeGreaterThan(0);
    await waitForVm(registry, name, (vm) => vm.state === 'shutoff', 'stopped after SIGKILL');

    for (const file of readdirSync(dir)) rmSync(path.join(dir, file));
    await waitForVm(registry, name, null, 'gone with its socket files');
  });
});
