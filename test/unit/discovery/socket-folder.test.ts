import { linkSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery } from '../../../src/discovery/index.js';
import { waitForRegistry } from './registry-wait.js';
import { classifySocket, vmFromSockets } from '../../../src/discovery/socket-naming.js';

describe('socket naming convention', () => {
  it.each([
    ['web.vnc', { vmName: 'web', role: { kind: 'vnc' } }],
    ['web.serial0', { vmName: 'web', role: { kind: 'serial', port: 0, websocket: false } }],
    ['my vm.v2.serial12.ws', { vmName: 'my vm.v2', role: { kind: 'serial', port: 12, websocket: true } }],
    ['web.serial', null],
    ['web.sock', null],
    ['.vnc', null],
    ['web.serial0.wss', null],
  ])('%s', (file, expected) => {
    expect(classifySocket(file)).toEqual(expected);
  });

  it('prefers a raw socket to a websocket one for the same port, orders by port', () => {
    const vm = vmFromSockets(
      'a',
      [
        { vmName: 'a', role: { kind: 'serial', port: 2, websocket: true }, path: '/s/a.serial2.ws' },
        { vmName: 'a', role: { kind: 'serial', port: 0, websocket: true }, path: '/s/a.serial0.ws' },
        { vmName: 'a', role: { kind: 'serial', port: 0, websocket: false }, path: '/s/a.serial0' },
      ],
      'running',
    );
    expect(vm.serials.map((s) => [s.index, s.port, s.source])).toEqual([
      [0, 0, { kind: 'unix', path: '/s/a.serial0', mode: 'bind' }],
      [1, 2, { kind: 'websocket', path: '/s/a.serial2.ws' }],
    ]);
    expect(vm.vnc).toBeNull();
    expect(vm).toMatchObject({ source: 'socket-folder', persistent: false, graphics: [] });
  });
});

describe('socket-folder source (real UNIX sockets in a temp folder)', () => {
  let dir: string;
  let servers: net.Server[];
  let discovery: Discovery;

  const listen = async (file: string): Promise<net.Server> => {
    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(path.join(dir, file), resolve));
    servers.push(server);
    return server;
  };

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'vwc-sockets-'));
    servers = [];
  });
  afterEach(async () => {
    await discovery.stop();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists VMs by their sockets, probes them, ignores other files, follows changes', async () => {
    await listen('alpha.vnc');
    await listen('alpha.serial0');
    writeFileSync(path.join(dir, 'beta.serial0'), 'a regular file, not a socket');
    writeFileSync(path.join(dir, 'notes.txt'), '');
    // A socket file nobody listens on any more (what a killed QEMU leaves): a hard link to a
    // listening socket survives the server's own unlink at close.
    const gone = await listen('gamma.vnc');
    linkSync(path.join(dir, 'gamma.vnc'), path.join(dir, 'gamma.vnc.tmp'));
    await new Promise((resolve) => gone.close(resolve));
    linkSync(path.join(dir, 'gamma.vnc.tmp'), path.join(dir, 'gamma.vnc'));
    unlinkSync(path.join(dir, 'gamma.vnc.tmp'));

    discovery = createDiscovery({
      logger: pino({ level: 'silent' }),
      libvirt: false,
      socketFolders: [dir],
      probeMs: 200,
    });
    await discovery.start();
    const { registry } = discovery;
    expect(registry.snapshot().map((vm) => [vm.name, vm.state])).toEqual([
      ['alpha', 'running'],
      ['gamma', 'shutoff'],
    ]);
    expect(registry.get('alpha')?.vnc?.target).toEqual({
      transport: 'unix',
      path: path.join(dir, 'alpha.vnc'),
    });
    expect(registry.get('alpha')?.serials.map((s) => s.source)).toEqual([
      { kind: 'unix', path: path.join(dir, 'alpha.serial0'), mode: 'bind' },
    ]);
    expect(registry.sources()).toEqual([{ source: 'socket-folder', up: true, detail: null }]);

    // A new websocket serial appears.
    await listen('alpha.serial1.ws');
    await waitForRegistry(registry, () => registry.get('alpha')?.serials.length === 2, 'second serial');
    expect(registry.get('alpha')?.serials[1]?.source).toEqual({
      kind: 'websocket',
      path: path.join(dir, 'alpha.serial1.ws'),
    });

    // The stale VM goes with its file.
    unlinkSync(path.join(dir, 'gamma.vnc'));
    await waitForRegistry(registry, () => registry.get('gamma') === undefined, 'gamma removed');

    // alpha's VNC stops listening but its file stays: stopped, found by the periodic probe.
    const vnc = servers[0]!;
    linkSync(path.join(dir, 'alpha.vnc'), path.join(dir, 'alpha.keep'));
    await new Promise((resolve) => vnc.close(resolve));
    linkSync(path.join(dir, 'alpha.keep'), path.join(dir, 'alpha.vnc'));
    await waitForRegistry(registry, () => registry.get('alpha')?.state === 'shutoff', 'alpha stopped');
  });
});
