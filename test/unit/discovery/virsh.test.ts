import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { createDiscovery } from '../../../src/discovery/index.js';
import { createVirshRunner } from '../../../src/discovery/virsh.js';
import { rejection } from './virsh-rejection.js';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-bin/virsh');

describe('virsh runner', () => {
  const runner = createVirshRunner({
    uri: 'qemu:///test',
    binary: FAKE,
    timeoutMs: 2000,
    maxOutputBytes: 1000,
  });

  it('passes the URI and every argument as is, with no shell in between', async () => {
    const out = await runner.run(['echo-args', 'a b', "x'; rm -rf /", '$(id)']);
    expect(out.split('\n')).toEqual(['echo-args', 'a b', "x'; rm -rf /", '$(id)', '']);
    expect(runner.uri).toBe('qemu:///test');
  });

  it('turns a failure into VWC_ERR_VIRSH_FAILED with stderr', async () => {
    const error = await rejection(runner.run(['fail']));
    expect(error.code).toBe('VWC_ERR_VIRSH_FAILED');
    expect(error.stderr).toBe("error: failed to get domain 'x'");
    expect(error.args).toEqual(['-c', 'qemu:///test', 'fail']);
  });

  it('times out with VWC_ERR_VIRSH_TIMEOUT', async () => {
    const error = await rejection(runner.run(['sleep'], { timeoutMs: 200 }));
    expect(error.code).toBe('VWC_ERR_VIRSH_TIMEOUT');
  });

  it('cancels a hung command at once and refuses new ones after cancelAll', async () => {
    const own = createVirshRunner({ uri: 'qemu:///test', binary: FAKE, timeoutMs: 60_000 });
    const hung = rejection(own.run(['sleep']));
    await new Promise((resolve) => setTimeout(resolve, 100)); // the child is running
    own.cancelAll();
    const error = await hung;
    expect(error.code).toBe('VWC_ERR_VIRSH_CANCELLED');
    expect(error.message).toMatch(/cancelled/);
    expect((await rejection(own.run(['echo-args']))).message).toMatch(/cancelled/);
  });

  it('stops at the output limit with VWC_ERR_VIRSH_OUTPUT_LIMIT', async () => {
    const error = await rejection(runner.run(['big']));
    expect(error.code).toBe('VWC_ERR_VIRSH_OUTPUT_LIMIT');
  });

  it('reports a missing binary as VWC_ERR_VIRSH_MISSING, at the start check and on a run', async () => {
    const missing = createVirshRunner({ uri: 'qemu:///system', binary: '/nonexistent/virsh' });
    expect((await rejection(missing.checkAvailable())).code).toBe('VWC_ERR_VIRSH_MISSING');
    expect((await rejection(missing.run(['list']))).code).toBe('VWC_ERR_VIRSH_MISSING');
    await expect(runner.checkAvailable()).resolves.toBeUndefined();
  });

  it('makes createDiscovery().start() fail clearly when virsh is missing', async () => {
    const discovery = createDiscovery({
      logger: pino({ level: 'silent' }),
      virsh: createVirshRunner({ uri: 'qemu:///system', binary: '/nonexistent/virsh' }),
    });
    const error = await rejection(discovery.start());
    expect(error.code).toBe('VWC_ERR_VIRSH_MISSING');
    expect(error.message).toContain('/nonexistent/virsh');
    await discovery.stop();
  });

  it('streams the lines of a long-running command, then its stderr on exit', async () => {
    const proc = runner.spawn(['event']);
    const lines: string[] = [];
    proc.on('line', (line) => lines.push(line));
    const [detail] = (await once(proc, 'exit')) as [string];
    expect(lines).toEqual(["event 'lifecycle' for domain 'a b': Started Booted", 'something else']);
    expect(detail).toBe('error: Disconnected from qemu:///system due to end of file');
  });

  it('says so when a long-running command cannot start', async () => {
    const proc = createVirshRunner({ uri: 'x', binary: '/nonexistent/virsh' }).spawn(['event']);
    const [detail] = (await once(proc, 'exit')) as [string];
    expect(detail).toMatch(/not found/);
  });
});
