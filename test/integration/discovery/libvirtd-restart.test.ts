// libvirtd killed and restarted under a running registry (both libvirt modes at once, so the
// outage happens only once: other test files use libvirtd at the same time). The sources must
// report down, come back up by themselves, and follow a change made after the restart — in
// virsh mode only `virsh event` can deliver it (the reconcile period is far away).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery, type SourceStatus } from '../../../src/discovery/index.js';
import { TestDomains } from '../../../harness/libvirt/domains.js';
import { TEST_URI } from '../../../harness/libvirt/virsh.js';
import { waitForRegistry, waitForVm } from '../../unit/discovery/registry-wait.js';

const PID_FILE = '/run/libvirtd.pid';

/** Running (a zombie left unreaped by an odd PID 1 counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** The up/down sequence without repeats (the detail of a down status may change while down). */
function upDown(statuses: readonly SourceStatus[]): boolean[] {
  return statuses.map((s) => s.up).filter((up, i, all) => i === 0 || all[i - 1] !== up);
}

/** Polls `check` every 100 ms until it holds or the deadline passes. */
async function poll(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function libvirtdAnswers(): boolean {
  try {
    execFileSync('virsh', ['-c', TEST_URI, 'version'], { stdio: 'ignore', timeout: 5_000 });
    return true;
  } catch {
    return false;
  }
}

describe('libvirtd restart', () => {
  const domains = new TestDomains();
  const discoveries: Discovery[] = [];
  afterAll(async () => {
    await Promise.all(discoveries.map((d) => d.stop()));
    await domains.cleanup();
  });

  it('reports the libvirt source down, recovers, and follows changes afterwards', async () => {
    const statuses: Record<string, SourceStatus[]> = { files: [], virsh: [] };
    for (const mode of ['files', 'virsh'] as const) {
      const discovery = createDiscovery({
        logger: pino({ level: 'silent' }),
        uri: TEST_URI,
        libvirtMode: mode,
        reconcileMs: 600_000,
      });
      discovery.registry.on('source-status', (status) => statuses[mode]!.push(status));
      await discovery.start();
      discoveries.push(discovery);
    }
    const domain = await domains.create({ label: 'restart', serials: ['pty'], vnc: 'none' });
    for (const { registry } of discoveries) {
      await waitForVm(registry, domain.name, (vm) => vm.state === 'running', 'running before the restart');
    }

    const pid = Number(readFileSync(PID_FILE, 'utf8').trim());
    expect(pid).toBeGreaterThan(1);
    try {
      process.kill(pid, 'SIGTERM');
      await poll(() => !alive(pid), 'libvirtd to exit', 15_000);
      for (const { registry } of discoveries) {
        await waitForRegistry(registry, () => registry.sources()[0]?.up === false, 'source down', 10_000);
      }
    } finally {
      // Whatever happened above, libvirtd comes back at once: other tests depend on it.
      if (!alive(pid) && !libvirtdAnswers()) execFileSync('libvirtd', ['-d'], { stdio: 'ignore' });
      await poll(libvirtdAnswers, 'libvirtd to answer again', 30_000);
    }

    for (const { registry } of discoveries) {
      await waitForRegistry(registry, () => registry.sources()[0]?.up === true, 'source up again', 30_000);
      expect(registry.get(domain.name)?.state).toBe('running');
    }
    for (const mode of ['files', 'virsh']) {
      expect(upDown(statuses[mode]!)).toEqual([true, false, true]);
      expect(statuses[mode]!.find((s) => !s.up)?.detail).toMatch(/virsh|libvirtd/);
    }

    await domain.destroy();
    for (const { registry } of discoveries) {
      await waitForVm(registry, domain.name, (vm) => vm.state === 'shutoff', 'stopped after the restart');
    }
  });
});
