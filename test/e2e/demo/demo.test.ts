// The README's demo command, run as a user would: it boots its VM, starts the daemon (whose log
// goes to a file in the demo's state folder, not to the terminal), prints the URL and login; the
// page opens with that login; Ctrl-C (SIGINT) removes the VM, its sockets and its state folder.
// A daemon that cannot start makes the demo print the end of its log, then remove everything.
// It runs on a spare port with a domain name of this run, so a failed run is reaped.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../helpers/browser.js';
import { freePort } from '../../helpers/daemon.js';
import { runId } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { virshQuiet } from '../../../harness/libvirt/virsh.js';
import { termText, waitFor } from '../web/probes.js';

const stateDir = (name: string): string => `/var/lib/virt-webconsole-demo/${name}`;
const socketsDir = (name: string): string => `/run/vwc-demo/${name}`;

/** Starts scripts/demo.sh as the README says; `output` is what its terminal shows (stdout and stderr). */
function runDemo(name: string, listen: string) {
  const demo = spawn('bash', [path.join(REPO_ROOT, 'scripts/demo.sh')], {
    env: { ...process.env, VWC_DEMO_DOMAIN: name, VWC_DEMO_LISTEN: listen, VWC_DEMO_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close', not 'exit': every byte the demo printed has been read by then.
  const exited = new Promise<number | null>((resolve) =>
    demo.once('close', (code) => {
      resolve(code);
    }),
  );
  const run = { demo, exited, output: '' };
  demo.stdout.on('data', (b: Buffer) => (run.output += b.toString()));
  demo.stderr.on('data', (b: Buffer) => (run.output += b.toString()));
  return run;
}

/** The demo left nothing: no VM, no sockets folder, no state folder. */
async function expectAllRemoved(name: string): Promise<void> {
  expect(existsSync(stateDir(name))).toBe(false);
  expect(existsSync(socketsDir(name))).toBe(false);
  const state = await virshQuiet('domstate', name);
  expect(state.ok).toBe(false);
  expect(state.output).toMatch(/failed to get domain/i);
}

describe('demo command', () => {
  const name = `vwct-${runId()}-demo`;
  const failName = `vwct-${runId()}-demofail`;
  afterAll(async () => {
    for (const n of [name, failName]) {
      await virshQuiet('destroy', n);
      await virshQuiet('undefine', n);
      rmSync(stateDir(n), { recursive: true, force: true });
      rmSync(socketsDir(n), { recursive: true, force: true });
    }
  });

  it('prints only its own lines, a URL and login that open the demo console; Ctrl-C removes everything', async () => {
    const port = await freePort();
    const run = runDemo(name, `127.0.0.1:${port}`);
    const logFile = `${stateDir(name)}/daemon.log`;
    try {
      await waitFor('the demo banner', () => /Ctrl-C stops/.exec(run.output), 240_000);
      const url = /URL:\s+(http:\S+)/.exec(run.output)![1]!;
      expect(url).toBe(`http://127.0.0.1:${port}/console/${name}`);
      expect(run.output).toContain(`(all VMs: http://127.0.0.1:${port}/)`);
      expect(run.output).toMatch(/Login:\s+test \/ test\s+\(operator\)\s+viewer \/ viewer\s+\(view only\)/);
      expect(run.output).toContain(`Logs:   tail -f ${logFile}`);

      const browser = await launchBrowser({ httpCredentials: { username: 'test', password: 'test' } });
      try {
        const page = await browser.context.newPage();
        await page.goto(url + '/serial/0');
        await waitFor('the guest banner in the serial history', async () =>
          (await termText(page)).includes('VWC-GUEST BOOTED'),
        );
      } finally {
        await browser.close();
      }
      // The daemon logs to the file named in the banner, not to the terminal.
      expect(readFileSync(logFile, 'utf8')).toMatch(/^\{.*"msg":/m);
      expect(run.output).not.toMatch(/^\s*\{/m);
    } finally {
      run.demo.kill('SIGINT');
      await run.exited;
    }
    expect(await run.exited).toBe(130);
    expect(run.output).toContain(`removing the demo VM ${name}`);
    expect(run.output).not.toContain('the daemon exited');
    expect(run.output).not.toMatch(/^\s*\{/m);
    await expectAllRemoved(name);
  }, 300_000);

  it('shows the end of the daemon log when the daemon cannot start, then removes everything', async () => {
    // The port is taken by a server that answers 503, so the daemon's listen fails at once.
    const blocker = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const run = runDemo(failName, `127.0.0.1:${port}`);
      expect(await run.exited).toBe(1);
      expect(run.output).toMatch(
        /the daemon exited \(status 1\); the last lines of its log:\n(.*\n)*\{.*EADDRINUSE.*\n(.*\n)*demo: removing the demo VM /,
      );
      expect(run.output).not.toContain('demo is running');
      await expectAllRemoved(failName);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  }, 300_000);
});
