// Power actions end to end: the real daemon (dist/src/cli.js serve), real libvirt domains of the
// test guest, the HTTP API. Every action runs for real: start from stopped, ACPI shutdown (the
// guest's acpid powers it off), reboot, reset with a serial client attached (it stays and sees
// the new boot), pause/resume, force off; and the refusals: viewer, ACL, foreign Origin, an
// action libvirt refuses in the domain's state (409 with libvirt's message).
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER, REPO_ROOT, promptFor } from '../../../harness/libvirt/guest.js';
import { basic } from '../../../harness/http-server.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { SerialClient, until } from '../http/stack.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const victor = { name: 'victor', password: 'victor-pw', role: 'viewer' } as const;
const webby = { name: 'webby', password: 'webby-pw', role: 'operator' } as const;
const ALICE = basic(alice.name, alice.password);
const VICTOR = basic(victor.name, victor.password);
const WEBBY = basic(webby.name, webby.password);

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe('power actions on real domains', () => {
  const domains = new TestDomains();
  let daemon: RunningDaemon;
  let stopped: TestDomain;
  let running: TestDomain;

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    stopped = await domains.create({ label: 'act-stopped', serials: ['pty'], vnc: 'none', start: false });
    running = await domains.create({ label: 'act-running', serials: ['pty'], vnc: 'unix' });
    daemon = await startDaemon({
      users: [alice, victor, webby],
      config: {
        discovery: { include: [`vwct-${runId()}-*`] },
        // webby, an operator, may see nothing of this run.
        users: { webby: { domains: ['someone-else-*'] } },
      },
    });
  });

  afterAll(async () => {
    const code = await daemon.stop();
    await domains.cleanup();
    expect(code).toBe(0);
  });

  async function act(
    domain: string,
    action: string,
    auth = ALICE,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: { error?: { code: string; message: string }; result?: string } }> {
    const res = await fetch(`${daemon.url}/api/domains/${encodeURIComponent(domain)}/actions/${action}`, {
      method: 'POST',
      headers: { authorization: auth, ...headers },
    });
    return { status: res.status, body: (await res.json()) as never };
  }

  async function stateOf(domain: string): Promise<string> {
    const res = await fetch(`${daemon.url}/api/domains/${encodeURIComponent(domain)}`, {
      headers: { authorization: ALICE },
    });
    return ((await res.json()) as { state: string }).state;
  }

  async function serial(domain: string): Promise<SerialClient> {
    await until('the serial console', async () => {
      const res = await fetch(`${daemon.url}/api/domains/${encodeURIComponent(domain)}`, {
        headers: { authorization: ALICE },
      });
      const item = (await res.json()) as { consoles: { serials: { available: boolean }[] } };
      return item.consoles.serials[0]?.available;
    });
    return SerialClient.open(
      `${daemon.url.replace(/^http/, 'ws')}/ws/serial/${encodeURIComponent(domain)}/0`,
      {
        authorization: ALICE,
      },
    );
  }

  /** Waits for an audit line matching `fields` (pino writes asynchronously). */
  async function expectAudit(fields: Record<string, string>): Promise<void> {
    await until(
      `audit line ${JSON.stringify(fields)}`,
      () => auditLines().some((line) => Object.entries(fields).every(([k, v]) => line[k] === v)),
      10_000,
    );
  }

  function auditLines(): Record<string, unknown>[] {
    return daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit":"power"'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  it('lists the actions an operator may ask for, none for a viewer', async () => {
    const get = async (auth: string): Promise<{ actions: string[] }> =>
      (await fetch(`${daemon.url}/api/domains/${encodeURIComponent(running.name)}`, {
        headers: { authorization: auth },
      }).then((r) => r.json())) as { actions: string[] };
    expect((await get(ALICE)).actions).toEqual([
      'start',
      'shutdown',
      'reboot',
      'reset',
      'force-off',
      'pause',
      'resume',
    ]);
    expect((await get(VICTOR)).actions).toEqual([]);
  });

  it('refuses a viewer (403), a domain outside the ACL (403), a foreign Origin (403), an unknown action (404)', async () => {
    const viewer = await act(running.name, 'force-off', VICTOR);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error?.code).toBe('VWC_ERR_FORBIDDEN');
    const acl = await act(running.name, 'force-off', WEBBY);
    expect(acl.status).toBe(403);
    expect(acl.body.error?.code).toBe('VWC_ERR_FORBIDDEN');
    const csrf = await act(running.name, 'force-off', ALICE, { origin: 'http://evil.example' });
    expect(csrf.status).toBe(403);
    expect(csrf.body.error?.code).toBe('VWC_ERR_ORIGIN');
    expect((await act(running.name, 'explode')).status).toBe(404);
    expect((await act('vwct-no-such-domain', 'start')).status).toBe(404);
    // None of them touched the domain.
    expect(await running.state()).toBe('running');
    await expectAudit({ user: 'victor', domain: running.name, action: 'force-off', result: 'refused' });
  });

  it('starts a stopped domain and its console shows the boot', async () => {
    expect(await stateOf(stopped.name)).toBe('shutoff');
    const refused = await act(stopped.name, 'shutdown');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'VWC_ERR_ACTION_CONFLICT' });
    expect(refused.body.error?.message).toMatch(/domain is not running/);
    const started = await act(stopped.name, 'start');
    expect(started).toMatchObject({ status: 200, body: { result: 'ok' } });
    await until('running in the API', async () => (await stateOf(stopped.name)) === 'running');
    const client = await serial(stopped.name);
    try {
      await client.waitFor(BOOT_BANNER, 60_000);
      const again = await act(stopped.name, 'start');
      expect(again.status).toBe(409);
      expect(again.body.error?.message).toMatch(/already active/);
    } finally {
      client.ws.close();
    }
    await expectAudit({ user: 'alice', domain: stopped.name, action: 'start', result: 'ok' });
  });

  it('resets a domain with a client attached: the client stays and sees the new boot', async () => {
    const client = await serial(running.name);
    try {
      await client.waitForPrompt(promptFor('ttyS0'));
      const before = count(client.text, BOOT_BANNER);
      expect((await act(running.name, 'reset')).status).toBe(200);
      await until('a second boot banner', () => count(client.text, BOOT_BANNER) > before, 60_000);
      expect(client.closed).toBeNull();
      await client.waitForPrompt(promptFor('ttyS0'));
    } finally {
      client.ws.close();
    }
  });

  it('pauses and resumes', async () => {
    expect((await act(running.name, 'pause')).status).toBe(200);
    await until('paused', async () => (await stateOf(running.name)) === 'paused');
    expect(await running.state()).toBe('paused');
    expect((await act(running.name, 'resume')).status).toBe(200);
    await until('running again', async () => (await stateOf(running.name)) === 'running');
    const twice = await act(running.name, 'resume');
    expect(twice.status).toBe(409);
    expect(twice.body.error?.message).toMatch(/already running/);
  });

  it(
    'reboots through ACPI: the guest powers off and libvirt starts it again',
    { timeout: 120_000 },
    async () => {
      const client = await serial(running.name);
      try {
        await client.waitForPrompt(promptFor('ttyS0'));
        const before = count(client.text, BOOT_BANNER);
        expect((await act(running.name, 'reboot')).status).toBe(200);
        await until('the boot after the reboot', () => count(client.text, BOOT_BANNER) > before, 90_000);
        expect(await running.state()).toBe('running');
      } finally {
        client.ws.close();
      }
    },
  );

  it('shuts the guest down through ACPI (its power button handler powers it off)', async () => {
    const client = await serial(running.name);
    try {
      await client.waitForPrompt(promptFor('ttyS0'));
      expect((await act(running.name, 'shutdown')).status).toBe(200);
      await client.waitFor('POWER BUTTON', 30_000);
      await until('shut off', async () => (await stateOf(running.name)) === 'shutoff', 60_000);
      expect(await running.state()).toBe('shut off');
    } finally {
      client.ws.close();
    }
  });

  it('forces a domain off', async () => {
    await until('the started domain running', async () => (await stateOf(stopped.name)) === 'running');
    expect((await act(stopped.name, 'force-off')).status).toBe(200);
    await until('shut off', async () => (await stateOf(stopped.name)) === 'shutoff');
    const again = await act(stopped.name, 'force-off');
    expect(again.status).toBe(409);
    expect(again.body.error?.message).toMatch(/not running/);
    await expectAudit({ user: 'alice', domain: stopped.name, action: 'force-off', result: 'error' });
  });
});
