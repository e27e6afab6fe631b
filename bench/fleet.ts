// Fleet entry under a big fleet: `npm run bench:fleet -- [--quick] [--hosts 50] [--vms 200]
// [--changes 300]`. Writes bench/results/fleet.md (--quick, 3 hosts × 20 VMs, only prints).
//
// The entry is the real daemon (dist/src/cli.js serve with a fleet.entry section: an entry runs
// no discovery of its own). The hosts are simulated (harness/fleet-hosts.ts: real HTTP servers
// on loopback serving the host API an entry follows, with a heartbeat every second): 50 real
// daemons with 200 guests each do not fit this 2-CPU machine. Measured (issue #20 budgets):
//  1. time from spawning the entry until GET /api/domains at the entry lists every VM (≤ 2 s);
//  2. a change on a host (a row's title) until it arrives on the entry's /api/events (p95 ≤ 1 s);
//  3. the entry's RSS with the whole fleet listed and after the changes (≤ 300 MiB);
//  4. in Chromium (Debian's, playwright-core), the list page with every row: time to show them,
//     and each filter until the rows are replaced and until the next frame (≤ 100 ms).
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { createParser } from 'eventsource-parser';
import { chromium } from 'playwright-core';
import { simRow, startSimHosts } from '../harness/fleet-hosts.js';
import { freePort } from '../harness/ports.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    hosts: { type: 'string' },
    vms: { type: 'string' },
    changes: { type: 'string' },
  },
});
const QUICK = values.quick;
const HOSTS = Number(values.hosts ?? (QUICK ? '3' : '50'));
const VMS = Number(values.vms ?? (QUICK ? '20' : '200'));
const CHANGES = Number(values.changes ?? (QUICK ? '20' : '300'));
const TOTAL = HOSTS * VMS;
const CHROMIUM = '/usr/bin/chromium';
const TOKEN = 'bench-fleet-token-0123456789';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (n: number): string => n.toFixed(1);
function stats(samples: number[]): { p50: number; p95: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN;
  return { p50: at(50), p95: at(95), max: s[s.length - 1] ?? NaN };
}
function memory(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
}

execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-fleet-'));
const keys = generateKeyPairSync('ed25519', {
  privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
writeFileSync(path.join(dir, 'fleet-entry.key'), keys.privateKey, { mode: 0o600 });
writeFileSync(path.join(dir, 'fleet-token'), `${TOKEN}\n`, { mode: 0o600 });
writeFileSync(path.join(dir, 'users'), `bench:${bcrypt.hashSync('bench', 4)}:operator\n`, { mode: 0o600 });

const hosts = await startSimHosts(HOSTS, VMS, TOKEN);
const port = await freePort();
writeFileSync(
  path.join(dir, 'config.json'),
  JSON.stringify({
    listen: `127.0.0.1:${port}`,
    usersFile: path.join(dir, 'users'),
    stateDir: path.join(dir, 'state'),
    webDir: path.join(ROOT, 'dist/web'),
    logLevel: 'warn',
    fleet: {
      entry: {
        privateKeyFile: path.join(dir, 'fleet-entry.key'),
        hosts: hosts.map((h) => ({ name: h.name, url: h.url, tokenFile: path.join(dir, 'fleet-token') })),
      },
    },
  }),
);
const base = `http://127.0.0.1:${port}`;
const AUTH = `Basic ${Buffer.from('bench:bench').toString('base64')}`;

const spawned = performance.now();
const entry = spawn(
  process.execPath,
  [path.join(ROOT, 'dist/src/cli.js'), 'serve', '--config', path.join(dir, 'config.json')],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
const lines: string[] = [];
let browserClose: (() => Promise<void>) | null = null;
try {
  // 1. Until the entry lists every VM.
  let answered = NaN;
  let listed = NaN;
  const deadline = performance.now() + 60_000;
  while (performance.now() < deadline) {
    try {
      const res = await fetch(`${base}/api/domains`, { headers: { authorization: AUTH } });
      if (Number.isNaN(answered)) answered = performance.now() - spawned;
      const rows = (await res.json()) as unknown[];
      if (rows.length === TOTAL) {
        listed = performance.now() - spawned;
        break;
      }
    } catch {
      // not listening yet
    }
    await sleep(20);
  }
  if (Number.isNaN(listed)) throw new Error(`the entry did not list ${TOTAL} VMs within 60 s`);
  const listedMemory = memory(entry.pid!);

  // 2. Host change → entry SSE.
  const sent = new Map<string, number>();
  const latencies: number[] = [];
  const stream = await fetch(`${base}/api/events`, { headers: { authorization: AUTH } });
  if (!stream.ok || !stream.body) throw new Error(`/api/events answered ${stream.status}`);
  const seen = { snapshot: false };
  let onHostEvent: (data: string) => void = () => undefined;
  const parser = createParser({
    onEvent(event) {
      if (event.event === 'snapshot') seen.snapshot = true;
      if (event.event === 'host') onHostEvent(event.data);
      if (event.event !== 'domain-changed') return;
      const item = JSON.parse(event.data) as { title: string | null };
      const at = item.title === null ? undefined : sent.get(item.title);
      if (at === undefined) return;
      latencies.push(performance.now() - at);
      sent.delete(item.title!);
    },
  });
  const reader = stream.body.pipeThrough(new TextDecoderStream()).getReader();
  const reading = (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  })();
  while (!seen.snapshot) await sleep(10);
  // Host-state events: a host that hangs (SIGSTOP-like: open and silent) and one that comes back.
  const hostEvents: { name: string; state: string; at: number }[] = [];
  onHostEvent = (data) =>
    hostEvents.push({ ...(JSON.parse(data) as { name: string; state: string }), at: performance.now() });
  for (let i = 0; i < CHANGES; i++) {
    const host = hosts[i % HOSTS]!;
    const name = `${host.name}-vm-${(i % VMS) + 1}`;
    const title = `bench-change-${i}`;
    sent.set(title, performance.now());
    host.set(simRow(name, i % 2 === 0 ? 'paused' : 'running', title));
    await sleep(QUICK ? 20 : 10);
  }
  const waitUntil = performance.now() + 10_000;
  while (sent.size > 0 && performance.now() < waitUntil) await sleep(20);
  const lost = sent.size;
  const waitHost = async (name: string, state: string, since: number): Promise<number> => {
    const until = performance.now() + 30_000;
    for (;;) {
      const hit = hostEvents.find((e) => e.name === name && e.state === state && e.at >= since);
      if (hit) return hit.at - since;
      if (performance.now() > until) return NaN;
      await sleep(10);
    }
  };
  const victim = hosts[0]!;
  const hungAt = performance.now();
  victim.hang();
  const markedDown = await waitHost(victim.name, 'unreachable', hungAt);
  const resumedAt = performance.now();
  victim.resume();
  const markedUp = await waitHost(victim.name, 'up', resumedAt);
  // Back before the page opens: every host's rows count again.
  await reader.cancel();
  await reading.catch(() => undefined);
  const changedMemory = memory(entry.pid!);

  // 3. The list page in Chromium.
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
  browserClose = () => browser.close();
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    httpCredentials: { username: 'bench', password: 'bench' },
    extraHTTPHeaders: { authorization: AUTH },
  });
  const page = await context.newPage();
  const opened = performance.now();
  await page.goto(`${base}/`);
  await page.waitForFunction(
    (n) => document.getElementById('domains')?.getAttribute('aria-rowcount') === String(n + 1),
    TOTAL,
    { timeout: 60_000 },
  );
  const pageShown = performance.now() - opened;
  const drawnRows = await page.locator('#rows tr[data-name]').count();
  const filters = QUICK
    ? ['vm-1', 'sim2-vm-3', '']
    : ['vm-1', 'sim17-vm-1', 'sim49-vm-199', 'no-such-vm', 'sim3', ''];
  const filterRows: string[] = [];
  const frameTimes: number[] = [];
  for (const text of filters) {
    // Three runs each: the first may pay for compiling the path.
    for (let run = 0; run < 3; run++) {
      const t = await page.evaluate(async (value) => {
        const input = document.getElementById('filter') as HTMLInputElement;
        const start = performance.now();
        input.value = value;
        input.dispatchEvent(new Event('input'));
        const replaced = performance.now() - start;
        await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
        return {
          replaced,
          frame: performance.now() - start,
          shown: document.getElementById('domains')?.getAttribute('aria-rowcount'),
        };
      }, text);
      frameTimes.push(t.frame);
      if (run === 2) {
        filterRows.push(
          `| ${text === '' ? '(cleared: all rows)' : `\`${text}\``} | ${Number(t.shown) - 1} | ${ms(t.replaced)} | ${ms(t.frame)} |`,
        );
      }
    }
  }
  const hostFilter = await page.evaluate(
    async (name) => {
      const select = document.getElementById('host-filter') as HTMLSelectElement;
      const start = performance.now();
      select.value = name;
      select.dispatchEvent(new Event('change'));
      await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
      return performance.now() - start;
    },
    hosts[HOSTS - 1]!.name,
  );
  const scroll = await page.evaluate(async () => {
    const start = performance.now();
    scrollTo(0, document.body.scrollHeight / 2);
    await new Promise((resolve) =>
      requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))),
    );
    return performance.now() - start;
  });
  const browserMemory = memory(entry.pid!);
  const loadAfter = readFileSync('/proc/loadavg', 'utf8').trim();

  const l = stats(latencies);
  const f = stats(frameTimes);
  lines.push(
    '# Fleet entry figures',
    '',
    `Measured ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}.`,
    `Load average before: ${loadBefore}; after: ${loadAfter} (/proc/loadavg).`,
    '',
    `${HOSTS} simulated hosts × ${VMS} VMs = ${TOTAL} VMs behind one real entry daemon on loopback.`,
    'Stand-ins (say so): the hosts are harness/fleet-hosts.ts (real HTTP servers serving the host API',
    'an entry follows, heartbeat 1 s), not daemons with guests; the entry is the real daemon.',
    'Budgets (issue #20): listed ≤ 2 s after start; host change → entry SSE p95 ≤ 1 s; entry RSS ≤ 300 MiB;',
    'filter applied ≤ 100 ms in Chromium with every row.',
    '',
    '## Entry start and live changes',
    '',
    '| what | figure |',
    '| --- | --- |',
    `| entry spawned → first HTTP answer | ${ms(answered)} ms |`,
    `| entry spawned → GET /api/domains lists all ${TOTAL} VMs | ${ms(listed)} ms |`,
    `| entry's first HTTP answer → all ${TOTAL} VMs listed (after Node's own start) | ${ms(listed - answered)} ms |`,
    `| host change → entry /api/events, ${CHANGES} changes: p50 / p95 / max | ${ms(l.p50)} / ${ms(l.p95)} / ${ms(l.max)} ms |`,
    `| changes not seen within 10 s | ${lost} |`,
    `| a host hangs (connections open, silent) → entry SSE says unreachable (goal ≤ 5 s) | ${ms(markedDown)} ms |`,
    `| the hung host answers again → entry SSE says up (reconnect backoff included) | ${ms(markedUp)} ms |`,
    `| entry RSS with the fleet listed (peak so far) | ${ms(listedMemory.rss)} MiB (${ms(listedMemory.hwm)} MiB) |`,
    `| entry RSS after the changes (peak so far) | ${ms(changedMemory.rss)} MiB (${ms(changedMemory.hwm)} MiB) |`,
    `| entry RSS after a browser loaded the list (peak) | ${ms(browserMemory.rss)} MiB (${ms(browserMemory.hwm)} MiB) |`,
    '',
    `## List page in Chromium with ${TOTAL} rows`,
    '',
    '| what | figure |',
    '| --- | --- |',
    `| page opened → every row counted (aria-rowcount) | ${ms(pageShown)} ms |`,
    `| rows in the DOM (virtual rows) | ${drawnRows} |`,
    `| host filter (one host) → next frame | ${ms(hostFilter)} ms |`,
    `| scroll to the middle → two frames | ${ms(scroll)} ms |`,
    `| every filter run → next frame: p50 / p95 / max | ${ms(f.p50)} / ${ms(f.p95)} / ${ms(f.max)} ms |`,
    '',
    '## Filter box',
    '',
    'Third run of each; "rows replaced" is the input event until the table body holds the new rows,',
    '"next frame" until the frame after it (layout and paint included).',
    '',
    '| filter | rows matching | rows replaced ms | next frame ms |',
    '| --- | --- | --- | --- |',
    ...filterRows,
    '',
  );
} finally {
  await browserClose?.().catch(() => undefined);
  if (entry.exitCode === null && entry.signalCode === null) {
    const exited = new Promise((resolve) => entry.once('exit', resolve));
    entry.kill('SIGTERM');
    await exited;
  }
  await Promise.all(hosts.map((h) => h.stop()));
  rmSync(dir, { recursive: true, force: true });
}

const report = lines.join('\n');
console.log(report);
if (!QUICK) {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/fleet.md'), report);
}
