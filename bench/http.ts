// HTTP layer benchmark: `npm run bench:http -- [--quick] [--requests 200]`. Writes
// bench/results/http.md (--quick, a smoke run of 20 requests, only prints).
//  1. bcryptjs verify time per cost (what one uncached Basic check costs).
//  2. Authenticated request latency on a real server (fake registry/hub): the first request
//     (bcrypt) and the following ones (remembered check), and a WebSocket upgrade to open.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import bcrypt from 'bcryptjs';
import { startHarness, ALICE, fakeVm, tryUpgrade } from '../harness/http-server.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, requests: { type: 'string' } },
});
const QUICK = values.quick;
const REQUESTS = Number(values.requests ?? (QUICK ? '20' : '200'));

function stats(samples: number[]): { p50: number; p95: number; max: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
  return { p50: at(50), p95: at(95), max: s[s.length - 1]! };
}
const ms = (n: number): string => n.toFixed(2);

const lines: string[] = [
  '# HTTP layer figures',
  '',
  `Measured ${new Date().toISOString()} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}, shared with other engineers' test runs (noisy).`,
  '',
];

lines.push('## bcryptjs compare, per cost', '', '| cost | ms per check (median of 5) |', '| --- | --- |');
for (const cost of [10, 12]) {
  const hash = bcrypt.hashSync('password', cost);
  const t: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    await bcrypt.compare('password', hash);
    t.push(performance.now() - start);
  }
  lines.push(`| ${cost} | ${ms(stats(t).p50)} |`);
}

const h = await startHarness();
h.registry.set(fakeVm('web-1'));
try {
  // A fresh user with the default cost (12), so the first check is a real bcrypt round.
  const { setUser } = await import('../src/http/index.js');
  setUser(path.join(h.dir, 'users'), 'bench', 'bench-password', 'operator');
  const auth = `Basic ${Buffer.from('bench:bench-password').toString('base64')}`;
  let start = performance.now();
  await (await fetch(`${h.base}/api/domains`, { headers: { authorization: auth } })).arrayBuffer();
  const first = performance.now() - start;
  const later: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    start = performance.now();
    await (await fetch(`${h.base}/api/domains`, { headers: { authorization: auth } })).arrayBuffer();
    later.push(performance.now() - start);
  }
  const upgrades: number[] = [];
  for (let i = 0; i < 50; i++) {
    start = performance.now();
    const r = await tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE });
    upgrades.push(performance.now() - start);
    if (r.kind === 'open') r.ws.close();
  }
  const l = stats(later);
  const u = stats(upgrades);
  lines.push(
    '',
    '## Authenticated requests (GET /api/domains, loopback, cost-12 user)',
    '',
    '| what | p50 ms | p95 ms | max ms |',
    '| --- | --- | --- | --- |',
    `| first request (bcrypt check) | ${ms(first)} | | |`,
    `| next ${REQUESTS} requests (remembered check) | ${ms(l.p50)} | ${ms(l.p95)} | ${ms(l.max)} |`,
    `| WebSocket upgrade to open (Basic, remembered) ×50 | ${ms(u.p50)} | ${ms(u.p95)} | ${ms(u.max)} |`,
    '',
  );
} finally {
  await h.close();
}
if (!QUICK) {
  mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(path.join(ROOT, 'bench/results/http.md'), lines.join('\n'));
}
process.stdout.write(lines.join('\n'));
