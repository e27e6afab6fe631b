// GET /metrics on the real daemon with a real guest: scraped while serial clients push traffic,
// checked by Debian's `promtool check metrics`, and its access rules (loopback, bearer token).
import { execFileSync, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT, promptFor } from '../../../harness/libvirt/guest.js';
import { basic } from '../../../harness/http-server.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { SerialClient, until } from '../http/stack.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const ALICE = basic(alice.name, alice.password);
const TOKEN = 'metrics-token-0123456789abcdef';

/** The value of one series (`name{labels}`) in an exposition, or undefined. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('/metrics', () => {
  const domains = new TestDomains();
  let daemon: RunningDaemon;
  let guest: TestDomain;

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    guest = await domains.create({ label: 'metrics', serials: ['pty'], vnc: 'none' });
    daemon = await startDaemon({
      users: [alice],
      config: {
        discovery: { include: [`vwct-${runId()}-*`] },
        metrics: { token: TOKEN, maxDomainLabels: 1 },
      },
    });
  });

  afterAll(async () => {
    const code = await daemon.stop();
    await domains.cleanup();
    expect(code).toBe(0);
  });

  const scrape = (
    headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
  ): Promise<Response> => fetch(`${daemon.url}/metrics`, { headers });

  it('refuses a scrape without the token, and Basic credentials are no substitute', async () => {
    expect((await scrape({})).status).toBe(401);
    expect((await scrape({ authorization: ALICE })).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer wrong-token-0123456789' })).status).toBe(401);
  });

  it('says the version in /api/version and /healthz', async () => {
    const { version } = JSON.parse(
      execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], {
        cwd: REPO_ROOT,
        encoding: 'utf8',
      }),
    ) as { version: string };
    const api = await fetch(`${daemon.url}/api/version`, { headers: { authorization: ALICE } });
    expect(await api.json()).toEqual({ version });
    expect(await (await fetch(`${daemon.url}/healthz`)).json()).toEqual({ status: 'ok', version });
  });

  it('passes promtool check metrics on a scrape taken under load, and counts the load', async () => {
    const url = `${daemon.url.replace(/^http/, 'ws')}/ws/serial/${encodeURIComponent(guest.name)}/0`;
    await until('the serial console', async () => {
      const res = await fetch(`${daemon.url}/api/domains/${encodeURIComponent(guest.name)}`, {
        headers: { authorization: ALICE },
      });
      return ((await res.json()) as { consoles: { serials: { available: boolean }[] } }).consoles.serials[0]
        ?.available;
    });
    const clients = await Promise.all([1, 2, 3].map(() => SerialClient.open(url, { authorization: ALICE })));
    try {
      await clients[0]!.waitForPrompt(promptFor('ttyS0'));
      // Load: the guest prints a few hundred KiB while the scrape runs.
      clients[0]!.type(
        'i=0; while [ $i -lt 3000 ]; do echo load-line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo load-$((6*7))-done\r',
      );
      await clients[0]!.waitFor('load-line-500-');
      const res = await scrape();
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.stdout + check.stderr).toBe('');
      expect(check.status).toBe(0);
      expect(value(text, 'vwc_console_connections{kind="serial"}')).toBe(3);
      expect(value(text, 'vwc_console_bytes_total{kind="serial",direction="out"}')).toBeGreaterThan(10_000);
      expect(value(text, 'vwc_console_bytes_total{kind="serial",direction="in"}')).toBeGreaterThan(0);
      expect(value(text, 'vwc_serial_history_bytes')).toBeGreaterThan(10_000);
      expect(value(text, `vwc_domain_console_connections{domain="${guest.name}",kind="serial"}`)).toBe(3);
      expect(value(text, 'vwc_discovery_source_up{source="libvirt"}')).toBe(1);
      expect(value(text, 'vwc_domains{state="running"}')).toBe(1);
      expect(text).toMatch(/^process_cpu_seconds_total \d/m);
      expect(text).toMatch(/^vwc_build_info\{version="[^"]+"\} 1$/m);
      for (const name of [
        'vwc_console_connections_total',
        'vwc_serial_resyncs_total',
        'vwc_discovery_events_total',
        'vwc_discovery_errors_total',
        'vwc_vnc_relays',
        'vwc_login_failures_total',
        'vwc_login_lockouts_total',
        'vwc_power_actions_total',
      ]) {
        expect(text, name).toContain(`# TYPE ${name} `);
      }
      await clients[0]!.waitFor('load-42-done', 60_000);
    } finally {
      for (const c of clients) c.ws.close();
    }
    await until(
      'connections back to 0',
      async () => value(await (await scrape()).text(), 'vwc_console_connections{kind="serial"}') === 0,
    );
  });

  it('counts failed logins and lockouts', async () => {
    const wrong = basic('alice', 'wrong-password');
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${daemon.url}/api/session`, { headers: { authorization: wrong } });
      expect(res.status).toBe(401);
    }
    expect((await fetch(`${daemon.url}/api/session`, { headers: { authorization: wrong } })).status).toBe(
      429,
    );
    const text = await (await scrape()).text();
    expect(value(text, 'vwc_login_failures_total')).toBeGreaterThanOrEqual(5);
    expect(value(text, 'vwc_login_lockouts_total')).toBe(1);
  });
});
