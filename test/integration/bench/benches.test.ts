// Every bench runs from a clean checkout with its documented command. Each runs here in its
// --quick mode (small and short): the test asserts that it completes and prints its result
// tables, never a timing (figures belong in bench/results/, not in pass/fail tests).
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function runBench(
  name: string,
  extra: string[] = [],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', `bench:${name}`, '--', '--quick', ...extra], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

/** The data rows of the first markdown table at or after the line matching `heading`. */
function tableRows(report: string, heading: RegExp): string[] {
  const lines = report.split('\n');
  const at = lines.findIndex((line) => heading.test(line));
  if (at < 0) return [];
  const start = lines.findIndex((line, i) => i >= at && line.startsWith('|'));
  if (start < 0) return [];
  const end = lines.findIndex((line, i) => i > start && !line.startsWith('|'));
  // Header and separator lines are not results.
  return lines.slice(start + 2, end < 0 ? undefined : end);
}

/** The cells of the row naming `relay` (first column). */
function row(rows: string[], relay: string): string[] | undefined {
  return rows
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .find((cells) => cells[0] === relay);
}

describe('benches, --quick', () => {
  it('bench:serial prints echo, drain, chatty, fan-out, flood and paced tables with both relays (and the C floor)', async () => {
    const { code, stdout, stderr } = await runBench('serial');
    expect(code, stderr).toBe(0);
    for (const heading of [
      /^## Keystroke echo/,
      /^## Chatty source drained/,
      /^## Chatty source:/,
      /^## Fan-out/,
      /^## Flood/,
      /^## Paced/,
    ]) {
      const rows = tableRows(stdout, heading);
      expect(row(rows, 'vwc'), `${heading}: ${stdout}`).toBeDefined();
      expect(row(rows, 'websockify'), `${heading}: ${stdout}`).toBeDefined();
    }
    // The C floor (bench/floor/fanout.c) beside them where it takes part: drain and fan-out.
    for (const heading of [/^## Chatty source drained/, /^## Fan-out/]) {
      expect(row(tableRows(stdout, heading), 'C floor'), `${heading}: ${stdout}`).toBeDefined();
    }
    // The cost of the serial log as on/off ratios, for the chatty and the fan-out rows.
    const costs = tableRows(stdout, /^## Serial log on vs off/).map((l) => l.split('|').map((c) => c.trim()));
    expect(
      costs.map((cells) => cells[1]),
      stdout,
    ).toContain('chatty, 1 client');
    expect(costs.some((cells) => cells[1]!.startsWith('fan-out'))).toBe(true);
    for (const cells of costs) expect(cells[5]).toMatch(/^\d+\.\d\d×$/);
    // The paced rows: nothing lost for clients that keep up.
    for (const cells of tableRows(stdout, /^## Paced/).map((l) => l.split('|').map((c) => c.trim())))
      expect(cells[8]).toBe('0 (0.0)');
  }, 300_000);

  it('bench:vnc prints flood (with the C floor), echo and stalled-reader tables', async () => {
    const { code, stdout, stderr } = await runBench('vnc');
    expect(code, stderr).toBe(0);
    const flood = tableRows(stdout, /^# VNC relay bench/);
    for (const relay of ['virt-webconsole', 'plain ws+net', 'websockify', 'C floor (copy)'])
      expect(row(flood, relay), stdout).toBeDefined();
    expect(row(tableRows(stdout, /^\| relay \| 1 client p50/), 'virt-webconsole'), stdout).toBeDefined();
    expect(row(tableRows(stdout, /^\| relay \| RSS before/), 'virt-webconsole'), stdout).toBeDefined();
  }, 300_000);

  it('bench:vnc --tls relays over wss: to our relay and websockify', async () => {
    const { code, stdout, stderr } = await runBench('vnc', ['--tls', '--sections', 'flood']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('over TLS');
    const flood = tableRows(stdout, /^# VNC relay bench/);
    expect(row(flood, 'virt-webconsole'), stdout).toBeDefined();
    expect(row(flood, 'websockify'), stdout).toBeDefined();
    expect(row(flood, 'C floor (copy)')).toBeUndefined();
  }, 300_000);

  it('bench:spice prints the display flood table: the daemon and websockify, ratios to websockify', async () => {
    const { code, stdout, stderr } = await runBench('spice');
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('FAKE SPICE server');
    const flood = tableRows(stdout, /^# SPICE relay bench/);
    expect(flood, stdout).toHaveLength(2);
    const ours = row(flood, 'virt-webconsole');
    expect(ours, stdout).toBeDefined();
    expect(row(flood, 'websockify'), stdout).toBeDefined();
    // Every figure and ratio is a number (each flood went through).
    for (const cell of ours!.slice(1, 6)) expect(Number.isFinite(Number(cell)), stdout).toBe(true);
  }, 300_000);

  it('bench:discovery prints the registry build and the start/stop latency tables', async () => {
    const { code, stdout, stderr } = await runBench('discovery');
    expect(code, stderr).toBe(0);
    expect(tableRows(stdout, /^## Registry build/)).toHaveLength(1);
    expect(tableRows(stdout, /^## Change-to-event latency/).length).toBeGreaterThan(0);
  }, 300_000);

  it('bench:ssh prints the ssh vs WebSocket echo table and a fan-out table without gaps', async () => {
    const { code, stdout, stderr } = await runBench('ssh');
    expect(code, stderr).toBe(0);
    const echo = tableRows(stdout, /^## Keystroke echo/);
    for (const client of ['WebSocket (ws)', 'ssh (ssh2 client)', 'ssh (OpenSSH client)'])
      expect(row(echo, client), stdout).toBeDefined();
    const fan = tableRows(stdout, /^## Fan-out/);
    expect(fan, stdout).toHaveLength(1);
    // Sessions that keep up lose nothing.
    expect(fan[0]!.split('|')[3]!.trim(), stdout).toBe('0');
  }, 300_000);

  it('bench:http prints the bcrypt and request latency tables', async () => {
    const { code, stdout, stderr } = await runBench('http');
    expect(code, stderr).toBe(0);
    expect(tableRows(stdout, /^## bcryptjs compare/)).toHaveLength(2);
    expect(stdout).toMatch(/WebSocket upgrade to open/);
  }, 300_000);

  it('bench:thumbnails prints the daemon CPU table: idle, and browsers polling with no failures', async () => {
    const { code, stdout, stderr } = await runBench('thumbnails');
    expect(code, stderr).toBe(0);
    const rows = tableRows(stdout, /^## Daemon CPU with thumbnails/);
    expect(rows, stdout).toHaveLength(2);
    const polled = row(rows, '2 browsers, every screen changing');
    expect(polled, stdout).toBeDefined();
    // Every request answered (200 or 304), none failed.
    expect(polled![6], stdout).toBe('0');
    expect(Number(polled![4]), stdout).toBeGreaterThan(0);
  }, 300_000);

  it('bench:fleet prints the entry and list-page tables, with every host change seen at the entry', async () => {
    const { code, stdout, stderr } = await runBench('fleet');
    expect(code, stderr).toBe(0);
    const entry = tableRows(stdout, /^## Entry start and live changes/);
    expect(row(entry, 'changes not seen within 10 s')?.[1], stdout).toBe('0');
    expect(row(entry, 'entry spawned → GET /api/domains lists all 60 VMs'), stdout).toBeDefined();
    const filters = tableRows(stdout, /^## Filter box/);
    expect(row(filters, '`sim2-vm-3`')?.[1], stdout).toBe('1');
    expect(row(filters, '(cleared: all rows)')?.[1], stdout).toBe('60');
  }, 300_000);
});
