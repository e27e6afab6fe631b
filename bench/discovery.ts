// Discovery benchmark: `npm run bench:discovery -- [--quick] [--domains 500] [--cycles 20]` (as
// root, libvirtd running, the test guest built). Writes bench/results/discovery.md (--quick, a
// smoke run of 50 domains and 2 cycles, only prints).
//  1. Registry build time from N domain XML files (generated in a temp folder from the captured
//     fixtures, half of them with a running status file), through the file-mode libvirt source
//     with its watchers, as the daemon starts it.
//  2. Change-to-event latency for start/destroy cycles of a real test domain under libvirtd,
//     for both libvirt modes at once: from `virsh start`/`destroy` returning to the registry's
//     vm-changed event (0 when the event came first).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { createDiscovery, type Discovery, type Vm } from '../src/discovery/index.js';
import { TestDomains } from '../harness/libvirt/domains.js';
import { TEST_URI, virsh } from '../harness/libvirt/virsh.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CAPTURED = path.join(ROOT, 'fixtures/xml/captured');
const logger = pino({ level: 'silent' });

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    domains: { type: 'string' },
    cycles: { type: 'string' },
  },
});
const QUICK = values.quick;
const DOMAINS = Number(values.domains ?? (QUICK ? '50' : '500'));
const CYCLES = Number(values.cycles ?? (QUICK ? '2' : '20'));

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)]!;
}

function summary(samples: readonly number[]): { p50: number; p95: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

/** A unique copy of a captured document: new name, new uuid. */
function variant(xml: string, fromName: string, i: number): string {
  const uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  return xml
    .split(fromName)
    .join(`bench-${i}`)
    .replace(/<uuid>[^<]*<\/uuid>/, `<uuid>${uuid}</uuid>`);
}

async function buildTime(count: number): Promise<{ runs: number[]; running: number }> {
  const from = 'vwc-fixture-two-ports';
  const inactive = readFileSync(path.join(CAPTURED, 'two-ports.inactive.xml'), 'utf8');
  const status = readFileSync(path.join(CAPTURED, 'two-ports.domstatus.xml'), 'utf8');
  const root = mkdtempSync(path.join(tmpdir(), 'vwc-bench-'));
  const runDir = path.join(root, 'run');
  const configDir = path.join(root, 'etc');
  mkdirSync(runDir);
  mkdirSync(configDir);
  for (let i = 0; i < count; i += 1) {
    writeFileSync(path.join(configDir, `bench-${i}.xml`), variant(inactive, from, i));
    if (i % 2 === 0) writeFileSync(path.join(runDir, `bench-${i}.xml`), variant(status, from, i));
  }
  const runs: number[] = [];
  let running = 0;
  try {
    for (let run = 0; run < 5; run += 1) {
      const discovery = createDiscovery({
        logger,
        libvirtMode: 'files',
        runDir,
        configDir,
        events: false,
        reconcileMs: 0,
      });
      const started = performance.now();
      await discovery.start();
      runs.push(performance.now() - started);
      const snapshot = discovery.registry.snapshot();
      if (snapshot.length !== count) throw new Error(`expected ${count} VMs, got ${snapshot.length}`);
      running = snapshot.filter((vm) => vm.state === 'running').length;
      await discovery.stop();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return { runs, running };
}

/** Resolves with the time the VM first satisfies `check` (checked on every registry event). */
function whenVm(discovery: Discovery, name: string, check: (vm: Vm) => boolean): Promise<number> {
  const { registry } = discovery;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      registry.off('vm-changed', listener);
      reject(new Error(`no event for ${name} within 30 s`));
    }, 30_000);
    function listener(vm: Vm): void {
      if (vm.name !== name || !check(vm)) return;
      clearTimeout(timer);
      registry.off('vm-changed', listener);
      resolve(performance.now());
    }
    registry.on('vm-changed', listener);
  });
}

async function latency(cycles: number): Promise<Record<string, number[]>> {
  const modes = ['files', 'virsh'] as const;
  const discoveries = modes.map((mode) =>
    createDiscovery({ logger, uri: TEST_URI, libvirtMode: mode, reconcileMs: 600_000 }),
  );
  await Promise.all(discoveries.map((d) => d.start()));
  const domains = new TestDomains();
  const samples: Record<string, number[]> = {};
  for (const mode of modes) for (const op of ['start', 'destroy']) samples[`${mode} ${op}`] = [];
  try {
    const domain = await domains.create({ label: 'bench', serials: ['pty'], vnc: 'unix', start: false });
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      for (const op of ['start', 'destroy'] as const) {
        const want = op === 'start' ? 'running' : 'shutoff';
        const seen = discoveries.map((d) => whenVm(d, domain.name, (vm) => vm.state === want));
        await virsh(op, domain.name);
        const done = performance.now();
        const times = await Promise.all(seen);
        times.forEach((t, i) => samples[`${modes[i]!} ${op}`]!.push(Math.max(0, t - done)));
      }
    }
  } finally {
    await domains.cleanup();
    await Promise.all(discoveries.map((d) => d.stop()));
  }
  return samples;
}

const ms = (n: number): string => `${n.toFixed(1)} ms`;

const build = await buildTime(DOMAINS);
const buildStats = summary(build.runs);
console.log(`build ${DOMAINS} domains: median ${ms(buildStats.p50)}, max ${ms(buildStats.max)}`);
const lat = await latency(CYCLES);
const rows = Object.entries(lat).map(([label, values]) => {
  const s = summary(values);
  console.log(`${label}: p50 ${ms(s.p50)} p95 ${ms(s.p95)} max ${ms(s.max)}`);
  return `| ${label} | ${values.length} | ${ms(s.p50)} | ${ms(s.p95)} | ${ms(s.max)} |`;
});
const all = summary(Object.values(lat).flat());

const report = `# Discovery benchmark

Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, with
other test guests running on the same machine (noisy). Command: \`npm run bench:discovery\`${QUICK ? ' -- --quick (a smoke run, not results)' : ''}.

## Registry build from ${DOMAINS} domain XML files

File-mode libvirt source over generated folders (${DOMAINS} definitions, ${build.running} with a
running status file; each document is a captured libvirt 9.0 file with a new name and uuid),
from \`start()\` to the first full view, watchers included. 5 runs.

| runs | median | max | goal |
| --- | --- | --- | --- |
| ${build.runs.map((r) => r.toFixed(0)).join(', ')} ms | ${ms(buildStats.p50)} | ${ms(buildStats.max)} | < 2 s |

## Change-to-event latency (real libvirtd)

${CYCLES} \`virsh start\` / \`virsh destroy\` cycles of one test domain; time from the virsh
command returning to the registry's \`vm-changed\` with the new state (0 when the event came
first). Both libvirt modes ran side by side on the same changes.

| mode, change | samples | p50 | p95 | max |
| --- | --- | --- | --- | --- |
${rows.join('\n')}

All together: p50 ${ms(all.p50)}, p95 ${ms(all.p95)} (goal: p95 < 1 s).
`;
if (QUICK) {
  process.stdout.write(report);
} else {
  const out = path.join(ROOT, 'bench/results/discovery.md');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, report);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
