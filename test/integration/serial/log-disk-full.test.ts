// A serial log on a full disk, with a real guest: a small tmpfs fills up, the log stops with a
// report and the console goes on serving; once space returns the log resumes by itself and
// names what it could not write. Needs root (mount); CI runs as root.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialLogStore } from '../../../src/bridge/index.js';
import type { LogRecord } from '../../../src/bridge/serial/log/index.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { silentLogger } from '../../unit/serial/fakes.js';
import { ConsoleClient, prompt, SerialServer, until } from './harness.js';

describe('serial log on a full disk', () => {
  const domains = new TestDomains();
  let mountPoint: string;
  let domain: TestDomain;
  let server: SerialServer;
  const changes: boolean[] = [];
  let store: SerialLogStore;

  beforeAll(async () => {
    mountPoint = mkdtempSync(path.join(os.tmpdir(), 'vwc-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mountPoint]);
    store = new SerialLogStore(
      path.join(mountPoint, 'logs'),
      { flushMs: 20, retryMs: 200 },
      { logger: silentLogger, onWritingChange: (_vm, writing) => changes.push(writing) },
    );
    domain = await domains.create({ label: 'log-full', serials: ['pty'], vnc: 'none' });
    server = await SerialServer.start({}, undefined, store);
    await server.publish(domain, ['pty'], 'running');
  });
  afterAll(async () => {
    await server.close();
    await domains.cleanup();
    execFileSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  });

  async function logged(): Promise<string> {
    const out: string[] = [];
    for await (const record of store.records(domain.name, 0, {}))
      if (record.type === 'data') out.push(record.data.toString('latin1'));
    return out.join('');
  }

  it('keeps serving when the log cannot write, and resumes logging when space returns', async () => {
    // Answers the shell's cursor queries as xterm.js does (an unanswered one eats keystrokes).
    const client = await ConsoleClient.open(server.url(domain.name, 0, { user: 'alice' }), true);
    await prompt(client, 'ttyS0');
    client.type('echo first-$((6*7))\r');
    await client.waitFor('\r\nfirst-42\r\n');
    await until('the log to have it', async () => (await logged()).includes('first-42'));

    // Fill the disk (dd stops at ENOSPC), then make the guest print more than one write holds.
    const filler = path.join(mountPoint, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=64k'], { stdio: 'ignore' });
    } catch {
      // No space left: what we wanted.
    }
    client.type(
      'for i in $(seq 1 400); do echo full-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; done\r',
    );
    await client.waitFor('full-400-');
    await until('the log to stop', () => changes.includes(false), 30_000);
    // The console is unaffected: it still echoes.
    client.type('echo still-$((6*7))\r');
    await client.waitFor('\r\nstill-42\r\n');

    rmSync(filler);
    await until('the log to resume', () => changes.at(-1) === true, 30_000);
    client.type('echo back-$((6*7))\r');
    await client.waitFor('\r\nback-42\r\n');
    await until('the log to have the new output', async () => (await logged()).includes('back-42'));
    const text = await logged();
    expect(text).toContain('first-42');
    const resumed: LogRecord[] = [];
    for await (const record of store.records(domain.name, 0, {}))
      if (record.type === 'event' && record.event.kind === 'log-resumed') resumed.push(record);
    expect(resumed).toHaveLength(1);
    client.close();
  });
});
