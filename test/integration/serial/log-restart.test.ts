// Serial history on disk across restarts, with a real guest: the hub stopped as SIGTERM stops
// it and a new one on the same log folder goes on at the same offsets (a client resumes
// byte-exact, a new one still sees the boot); and the real daemon killed with SIGKILL loses
// nothing that was printed more than serialLog.flushMs before the kill.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialLogStore } from '../../../src/bridge/index.js';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { basic } from '../../../harness/http-server.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { silentLogger } from '../../unit/serial/fakes.js';
import { ConsoleClient, prompt, SerialServer, until } from './harness.js';

const OPERATOR = { name: 'olga', password: 'olga-pw', role: 'operator' as const };

describe('serial history across restarts', () => {
  const domains = new TestDomains();
  let domain: TestDomain;
  let logs: string;

  beforeAll(async () => {
    logs = mkdtempSync(path.join(os.tmpdir(), 'vwc-serial-logs-'));
    domain = await domains.create({ label: 'serial-log', serials: ['pty'], vnc: 'none' });
  });
  afterAll(async () => {
    await domains.cleanup();
    rmSync(logs, { recursive: true, force: true });
  });

  it('goes on at the same offsets after a clean stop: resume byte-exact, boot head kept', async () => {
    const store = (): SerialLogStore =>
      new SerialLogStore(path.join(logs, 'hub'), {}, { logger: silentLogger });
    const first = await SerialServer.start({}, undefined, store());
    await first.publish(domain, ['pty'], 'running');
    // Clients answer the shell's cursor queries (ESC[6n) as xterm.js does: a query left
    // unanswered makes ash read the next keystrokes as its answer.
    const alice = await ConsoleClient.open(first.url(domain.name, 0, { user: 'alice' }), true);
    await alice.waitFor(BOOT_BANNER, 60_000);
    await prompt(alice, 'ttyS0');
    const answered = alice.answered;
    alice.type('echo before-$((6*7))\r');
    await alice.waitFor('\r\nbefore-42\r\n');
    await until('the query of the prompt after the command, answered', () => alice.answered > answered);
    const had = alice.offset;
    alice.close();
    await first.close();

    const second = await SerialServer.start({}, undefined, store());
    await second.publish(domain, ['pty'], 'running');
    const resumed = await ConsoleClient.open(second.url(domain.name, 0, { user: 'alice', from: had }), true);
    await until('hello', () => resumed.of('hello')[0]);
    expect(resumed.of('hello')[0]).toMatchObject({ offset: had, vm: { state: 'running' } });
    expect(resumed.of('hello')[0]!.history.end).toBeGreaterThanOrEqual(had);
    await prompt(resumed, 'ttyS0');
    resumed.type('echo after-$((6*7))\r');
    await resumed.waitFor('\r\nafter-42\r\n');
    expect(resumed.of('gap')).toEqual([]);
    expect(resumed.text).not.toContain('before-42');

    const fresh = await ConsoleClient.open(second.url(domain.name, 0, { user: 'bob' }));
    await fresh.waitFor('\r\nafter-42\r\n');
    expect(fresh.of('hello')[0]!.offset).toBe(0);
    expect(fresh.text.indexOf(BOOT_BANNER)).toBeGreaterThanOrEqual(0);
    expect(fresh.text.indexOf('before-42')).toBeLessThan(fresh.text.indexOf('after-42'));
    resumed.close();
    fresh.close();
    await second.close();
  });

  it(
    'loses nothing printed more than flushMs before a kill -9 of the daemon',
    { timeout: 180_000 },
    async () => {
      const stateDir = path.join(logs, 'daemon-state');
      const config = { stateDir, discovery: { include: [`vwct-${runId()}-*`] }, serialLog: { flushMs: 100 } };
      const auth = { authorization: basic(OPERATOR.name, OPERATOR.password) };
      const url = (daemon: RunningDaemon, query: string): string =>
        `ws://127.0.0.1:${daemon.port}/ws/serial/${encodeURIComponent(domain.name)}/0?${query}`;
      const first = await startDaemon({ users: [OPERATOR], config });
      let had: number;
      try {
        await until('serial 0 available', async () => {
          const res = await fetch(`${first.url}/api/domains/${encodeURIComponent(domain.name)}`, {
            headers: auth,
          });
          const item = (await res.json()) as { consoles?: { serials: { available: boolean }[] } };
          return item.consoles?.serials[0]?.available === true;
        });
        const client = await ConsoleClient.open(url(first, 'last=0'), true, auth);
        await prompt(client, 'ttyS0');
        client.type('echo killed-$((6*7))\r');
        await client.waitFor('\r\nkilled-42\r\n');
        await until(
          'the prompt after the command',
          () => client.text.endsWith('# ') || client.text.endsWith('6n'),
        );
        had = client.offset;
        // More than flushMs (100 ms) of quiet: the log has it all.
        await new Promise((resolve) => setTimeout(resolve, 1000));
        process.kill(first.pid, 'SIGKILL');
        client.close();
      } finally {
        await first.stop();
      }
      expect(readdirSync(path.join(stateDir, 'serial-logs')).length).toBeGreaterThan(0);

      const second = await startDaemon({ users: [OPERATOR], config });
      try {
        await until('the restored history', async () => {
          const res = await fetch(
            `${second.url}/api/domains/${encodeURIComponent(domain.name)}/serial/0/history?from=${Math.max(0, had - 300)}`,
            { headers: auth },
          );
          return res.status === 200 && (await res.text()).includes('killed-42');
        });
        const resumed = await ConsoleClient.open(url(second, `from=${had}`), true, auth);
        await until('hello', () => resumed.of('hello')[0]);
        expect(resumed.of('hello')[0]).toMatchObject({ offset: had });
        expect(resumed.of('hello')[0]!.history.end).toBeGreaterThanOrEqual(had);
        resumed.close();
        expect(second.output()).toContain('serial history restored from the log');

        // The log as a download: text with the crash marked, and asciicast that asciinema reads.
        const log = (query: string): Promise<Response> =>
          fetch(`${second.url}/api/domains/${encodeURIComponent(domain.name)}/serial/0/log?${query}`, {
            headers: auth,
          });
        const text = await (await log('format=text&strip=1')).text();
        expect(text).toContain('killed-42');
        expect(text).toMatch(/--- \S+ daemon started after a crash/);
        const cast = await log('format=asciicast');
        expect(cast.headers.get('content-disposition')).toContain('serial0.cast');
        const castFile = path.join(logs, 'console.cast');
        writeFileSync(castFile, await cast.text());
        // asciinema cat reads /dev/tty: script(1) gives it a terminal.
        const shown = execFileSync('script', ['-qec', `asciinema cat ${castFile}`, '/dev/null'], {
          encoding: 'utf8',
          timeout: 30_000,
        });
        expect(shown).toContain('killed-42');
        expect((await log('format=nonsense')).status).toBe(400);
        expect((await log('since=yesterday')).status).toBe(400);
        const future = await (await log(`format=text&since=${Date.now() + 3_600_000}`)).text();
        expect(future).toBe('');
      } finally {
        await second.stop();
      }
    },
  );
});
