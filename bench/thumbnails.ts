// List-page thumbnails under load: `npm run bench:thumbnails -- [--quick] [--vms 200]
// [--browsers 10] [--seconds 60]`. Writes bench/results/thumbnails.md (--quick only prints).
//
// What stands in for what (200 real guests do not fit this 2-CPU machine, each takes ~210 MB
// and a core's share of TCG): 200 socket-folder VMs whose NAME.qmp is served by a fake QEMU in
// this process (harness/fake-qemu-folder.ts) that answers `screendump` by writing a real-size
// 720x400 picture (PNG when asked for one, as QEMU ≥ 7.1; PPM otherwise, and in the PPM rows,
// where the fakes act as QEMU before 7.1), and whose NAME.vnc accepts connections (so discovery
// sees them running). The daemon is the real one (dist/src/cli.js serve, socket-folder
// discovery, the QMP capture path, real PPM → PNG conversion). libvirt domains would capture through `virsh screenshot` instead:
// a virsh process per capture, whose CPU is the child's, not the daemon's (counted separately).
// Browsers are simulated like web/lib/thumbnails.ts: every interval each asks for each running
// VM's thumbnail with the ETag it holds (If-None-Match), six connections per browser.
// The daemon's CPU is read from /proc (utime + stime; reaped children separately).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { startFakeQemuFolder } from '../harness/fake-qemu-folder.js';
import { freePort } from '../harness/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    vms: { type: 'string' },
    browsers: { type: 'string' },
    seconds: { type: 'string' },
  },
});
const QUICK = values.quick;
const VMS = Number(values.vms ?? (QUICK ? '10' : '200'));
const BROWSERS = Number(values.browsers ?? (QUICK ? '2' : '10'));
const SECONDS = Number(values.seconds ?? (QUICK ? '4' : '60'));
const INTERVAL = QUICK ? 2 : 10;
const TICKS = 100; // USER_HZ

function cpuTicks(pid: number): { self: number; children: number } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { self: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-thumbs-'));
const folder = path.join(dir, 'vms');
mkdirSync(folder);
const fakes = await startFakeQemuFolder(folder, VMS, 'vm', { changing: true });
const port = await freePort();
writeFileSync(path.join(dir, 'users'), `bench:${bcrypt.hashSync('bench', 4)}:viewer\n`, { mode: 0o600 });
writeFileSync(
  path.join(dir, 'config.json'),
  JSON.stringify({
    listen: `127.0.0.1:${port}`,
    usersFile: path.join(dir, 'users'),
    stateDir: path.join(dir, 'state'),
    webDir: path.join(ROOT, 'dist/web'),
    logLevel: 'warn',
    discovery: { mode: 'socket-folder', socketFolders: [folder] },
    thumbnails: { intervalSeconds: INTERVAL },
  }),
);
// VWC_BENCH_NODE_ARGS adds node flags for the daemon (e.g. '--cpu-prof').
const daemon = spawn(
  process.execPath,
  [
    ...(process.env.VWC_BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    path.join(ROOT, 'dist/src/cli.js'),
    'serve',
    '--config',
    path.join(dir, 'config.json'),
  ],
  {
    stdio: ['ignore', 'ignore', 'inherit'],
  },
);
const base = `http://127.0.0.1:${port}`;
const AUTH = `Basic ${Buffer.from('bench:bench').toString('base64')}`;

interface Counts {
  ok: number;
  notModified: number;
  failed: number;
  bytes: number;
}

function get(
  agent: http.Agent,
  name: string,
  etag: string | null,
): Promise<{ status: number; etag: string | null; bytes: number }> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${base}/api/domains/${encodeURIComponent(name)}/thumbnail`,
      { agent, headers: { authorization: AUTH, ...(etag ? { 'if-none-match': etag } : {}) } },
      (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => (bytes += chunk.length));
        res.on('end', () => {
          resolve({
            status: res.statusCode ?? 0,
            etag: res.headers.etag ?? null,
            bytes,
          });
        });
      },
    );
    request.on('error', reject);
  });
}

/** One simulated list page: every interval, each VM's thumbnail with its ETag. */
async function browser(until: number, counts: Counts): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 6 });
  const etags = new Map<string, string | null>();
  // Pages opened at different moments.
  await sleep(Math.random() * INTERVAL * 1000);
  while (Date.now() < until) {
    const round = Date.now();
    await Promise.all(
      fakes.names.map(async (name) => {
        try {
          const answer = await get(agent, name, etags.get(name) ?? null);
          if (answer.status === 200) {
            counts.ok += 1;
            counts.bytes += answer.bytes;
            etags.set(name, answer.etag);
          } else if (answer.status === 304) counts.notModified += 1;
          else counts.failed += 1;
        } catch {
          counts.failed += 1;
        }
      }),
    );
    await sleep(Math.max(0, round + INTERVAL * 1000 - Date.now()));
  }
  agent.destroy();
}

async function waitForVms(): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const res = await fetch(`${base}/api/domains`, { headers: { authorization: AUTH } });
      const items = (await res.json()) as { state: string }[];
      if (items.filter((i) => i.state === 'running').length === VMS) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the daemon did not list every fake VM in 60 s');
    await sleep(250);
  }
}

interface Phase {
  readonly label: string;
  readonly cpuPercent: number;
  readonly childPercent: number;
  readonly counts: Counts;
  readonly screendumps: number;
}

async function phase(label: string, browsers: number, changing: boolean): Promise<Phase> {
  fakes.setChanging(changing);
  const counts: Counts = { ok: 0, notModified: 0, failed: 0, bytes: 0 };
  const until = Date.now() + SECONDS * 1000 + INTERVAL * 1000;
  const pages = Array.from({ length: browsers }, () => browser(until, counts));
  // One interval of warm-up (every browser's first full round), then measure.
  await sleep(INTERVAL * 1000);
  const dumps = fakes.screendumps;
  const start = cpuTicks(daemon.pid!);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const end = cpuTicks(daemon.pid!);
  const wall = (performance.now() - t0) / 1000;
  const screendumps = fakes.screendumps - dumps;
  await Promise.all(pages);
  return {
    label,
    cpuPercent: ((end.self - start.self) / TICKS / wall) * 100,
    childPercent: ((end.children - start.children) / TICKS / wall) * 100,
    counts,
    screendumps,
  };
}

const phases: Phase[] = [];
try {
  await waitForVms();
  phases.push(await phase('idle daemon, no browser', 0, true));
  phases.push(await phase(`${BROWSERS} browsers, every screen changing`, BROWSERS, true));
  if (!QUICK) {
    phases.push(await phase(`${BROWSERS} browsers, screens unchanged`, BROWSERS, false));
    // The same run, the way every capture went before QEMU's PNG was used (and still goes for a
    // QEMU before 7.1): the fakes refuse `format`, the daemon falls back to PPM for good.
    fakes.setPng(false);
    phases.push(await phase(`PPM captures: ${BROWSERS} browsers, every screen changing`, BROWSERS, true));
    phases.push(await phase(`PPM captures: ${BROWSERS} browsers, screens unchanged`, BROWSERS, false));
  }
} finally {
  daemon.kill('SIGTERM');
  await new Promise((resolve) => daemon.once('exit', resolve));
  await fakes.close();
  rmSync(dir, { recursive: true, force: true });
}

const lines = [
  '# Thumbnail figures',
  '',
  `Measured ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, load average at the end ${os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ')}.`,
  '',
  `${VMS} running socket-folder VMs, thumbnails.intervalSeconds ${INTERVAL}, ${SECONDS} s measured per row after one interval of warm-up.`,
  'Stand-ins (say so): the VMs are fake QEMUs (harness/fake-qemu-folder.ts) answering QMP `screendump` with a',
  'real-size 720x400 picture: a PNG when asked for `format: png` (as QEMU ≥ 7.1; encoded once beforehand, so',
  "QEMU's compression cost is not in the fake), else a PPM. The daemon is real (QMP capture, a PNG of at most",
  '64 KiB sent as it is, a PPM converted to a 320-pixel PNG with pngjs, cache, HTTP). The *PPM captures* rows',
  'are the same run with the fakes refusing `format` (QEMU before 7.1), i.e. the capture path before PNG.',
  'Browsers are simulated like web/lib/thumbnails.ts (If-None-Match with the last ETag, 6 connections each).',
  'Budget (issue #14): daemon CPU ≤ 25 % of one core on average with 200 VMs and 10 browsers.',
  '',
  '## Daemon CPU with thumbnails',
  '',
  '| load | daemon CPU % of one core | reaped children CPU % | screendumps/s | 200s (whole run) | 304s (whole run) | failed | PNG KiB/s sent |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ...phases.map(
    (p) =>
      `| ${p.label} | ${p.cpuPercent.toFixed(1)} | ${p.childPercent.toFixed(1)} | ${(p.screendumps / SECONDS).toFixed(1)} | ${p.counts.ok} | ${p.counts.notModified} | ${p.counts.failed} | ${(p.counts.bytes / 1024 / (SECONDS + INTERVAL)).toFixed(0)} |`,
  ),
  '',
];
const report = lines.join('\n');
process.stdout.write(report);
if (!QUICK) {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/thumbnails.md'), report);
}
