// Stream markers with a real guest and the real daemon: `reboot -f` typed into the guest's
// serial console resets it (QEMU's RESET, libvirt's `reboot` event), and the connected client
// gets a `reboot` event message at the offset where the old boot's output ends, the log keeps
// it (text download), and a client resuming from before it gets it again in its range.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { basic } from '../../../harness/http-server.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { ConsoleClient, prompt, until } from './harness.js';

const OPERATOR = { name: 'olga', password: 'olga-pw', role: 'operator' as const };

/** Polls an asynchronous check (until() takes synchronous ones: a promise is always truthy). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('serial stream markers with a real guest', () => {
  const domains = new TestDomains();
  let domain: TestDomain;
  let stateDir: string;
  let daemon: RunningDaemon;
  const auth = { authorization: basic(OPERATOR.name, OPERATOR.password) };
  const wsUrl = (query: string): string =>
    `ws://127.0.0.1:${daemon.port}/ws/serial/${encodeURIComponent(domain.name)}/0?${query}`;

  beforeAll(async () => {
    stateDir = mkdtempSync(path.join(os.tmpdir(), 'vwc-serial-events-'));
    domain = await domains.create({ label: 'serial-events', serials: ['pty'], vnc: 'none' });
    daemon = await startDaemon({
      users: [OPERATOR],
      config: { stateDir, discovery: { include: [`vwct-${runId()}-*`] }, serialLog: { flushMs: 100 } },
    });
  });
  afterAll(async () => {
    await daemon.stop();
    await domains.cleanup();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('marks an in-guest reboot in the live stream and in the log', { timeout: 240_000 }, async () => {
    await eventually('serial 0 available', async () => {
      const res = await fetch(`${daemon.url}/api/domains/${encodeURIComponent(domain.name)}`, {
        headers: auth,
      });
      const item = (await res.json()) as { consoles?: { serials: { available: boolean }[] } };
      return item.consoles?.serials[0]?.available === true;
    });
    const client = await ConsoleClient.open(wsUrl('from=0'), true, auth);
    await prompt(client, 'ttyS0');
    const before = client.offset;
    client.type('reboot -f\r');
    const reboot = await until(
      () =>
        `a reboot marker (events: ${JSON.stringify(client.of('event'))}; output: ${JSON.stringify(client.text.slice(-300))})`,
      () => client.of('event').find((event) => event.kind === 'reboot'),
      120_000,
    );
    expect(reboot.text).toBe('VM rebooted');
    expect(reboot.offset).toBeGreaterThanOrEqual(before);
    expect(Math.abs(reboot.time - Date.now())).toBeLessThan(10 * 60_000);
    // The guest boots again on the same console, after the marker.
    await until('the second boot banner', () => client.text.indexOf(BOOT_BANNER, before) >= 0, 120_000);
    // No console bytes were added for the marker: offsets count bytes only.
    expect(client.offset).toBe(client.receivedBytes);

    const resumed = await ConsoleClient.open(wsUrl(`from=${before}`), false, auth);
    await until('the marker again for a client resuming before it', () =>
      resumed.of('event').find((event) => event.kind === 'reboot'),
    );
    expect(resumed.of('event').find((event) => event.kind === 'reboot')).toEqual(reboot);
    resumed.close();
    client.close();

    await eventually('the marker in the log', async () => {
      const res = await fetch(
        `${daemon.url}/api/domains/${encodeURIComponent(domain.name)}/serial/0/log?format=text&strip=1`,
        { headers: auth },
      );
      return /--- \S+ VM rebooted \(guest reset\) ---/.test(await res.text());
    });
  });
});
