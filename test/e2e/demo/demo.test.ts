// The README's demo command, run as a user would: it boots its VM, starts the daemon, prints
// the URL and login; the page opens with that login; Ctrl-C (SIGINT) removes the VM.
// It runs on a spare port with a domain name of this run, so a failed run is reaped.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../../helpers/browser.js';
import { freePort } from '../../helpers/daemon.js';
import { runId } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { virshQuiet } from '../../../harness/libvirt/virsh.js';
import { termText, waitFor } from '../web/probes.js';

describe('demo command', () => {
  const name = `vwct-${runId()}-demo`;
  afterAll(async () => {
    await virshQuiet('destroy', name);
    await virshQuiet('undefine', name);
  });

  it('prints a URL and login that open the demo console, and Ctrl-C removes the VM', async () => {
    const port = await freePort();
    const demo = spawn('bash', [path.join(REPO_ROOT, 'scripts/demo.sh')], {
      env: {
        ...process.env,
        VWC_DEMO_DOMAIN: name,
        VWC_DEMO_LISTEN: `127.0.0.1:${port}`,
        VWC_DEMO_ONLY: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    demo.stdout.on('data', (b: Buffer) => (output += b.toString()));
    demo.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<number | null>((resolve) => {
      demo.once('exit', (code) => {
        resolve(code);
      });
    });
    try {
      await waitFor('the demo banner', () => /URL:\s+(http:\S+)/.exec(output), 240_000);
      const url = /URL:\s+(http:\S+)/.exec(output)![1]!;
      expect(url).toBe(`http://127.0.0.1:${port}/console/${name}`);
      expect(output).toMatch(/Login:\s+test \/ test/);

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
    } finally {
      demo.kill('SIGINT');
      await exited;
    }
    expect(output).toContain(`removing the demo VM ${name}`);
    const state = await virshQuiet('domstate', name);
    expect(state.ok).toBe(false);
  });
});
