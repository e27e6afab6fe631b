// The running virsh shell against the real virsh binary and libvirt's built-in test driver
// (`test:///default`: a domain "test", running, in virsh's own process; no libvirtd needed).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createVirshShellRunner, virshQuote } from '../../../src/discovery/virsh-shell.js';
import { createVirshRunner } from '../../../src/discovery/virsh.js';
import { rejection } from './virsh-rejection.js';

const URI = 'test:///default';

describe('virsh shell runner', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-virsh-shell-'));
  const shell = createVirshShellRunner({ uri: URI, shells: 2 });
  afterAll(() => {
    shell.cancelAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers each command with its own output, as a virsh process would', async () => {
    const plain = createVirshRunner({ uri: URI });
    const answers = await Promise.all([
      shell.run(['domstate', 'test']),
      shell.run(['domid', 'test']),
      shell.run(['domstate', '--domain', 'test']),
    ]);
    expect(answers.map((answer) => answer.trim())).toEqual(['running', '1', 'running']);
    // The same text, but for the blank line a virsh process prints as it ends.
    expect(answers[0]).toBe((await plain.run(['domstate', 'test'])).replace(/\n\n$/, '\n'));
  });

  it('writes a screenshot to the file it is given', async () => {
    const file = path.join(dir, 'shot.img');
    await shell.run(['screenshot', '--domain', 'test', '--file', file]);
    expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
  });

  it('gives an error to its own command and goes on; a name is never a second command', async () => {
    const failed = await rejection(shell.run(['domstate', 'nope; destroy test']));
    expect(failed.code).toBe('VWC_ERR_VIRSH_FAILED');
    expect(failed.stderr).toBe("error: failed to get domain 'nope; destroy test'");
    expect((await shell.run(['domstate', 'test'])).trim()).toBe('running');
    // A quote cannot be quoted for virsh's parser: that command runs as a process of its own.
    expect(virshQuote("it's")).toBeNull();
    const quoted = await rejection(shell.run(['domstate', "it's"]));
    expect(quoted.stderr).toContain("failed to get domain 'it's'");
  });

  it('kills a shell that does not answer in time; the next command gets a new one', async () => {
    const one = createVirshShellRunner({ uri: URI });
    try {
      // No virsh answers within 1 ms: the shell is killed and the command fails as a timeout.
      const late = await rejection(one.run(['domstate', 'test'], { timeoutMs: 1 }));
      expect(late.code).toBe('VWC_ERR_VIRSH_TIMEOUT');
      expect((await one.run(['domstate', 'test'])).trim()).toBe('running');
    } finally {
      one.cancelAll();
    }
  });

  it('refuses commands after cancelAll', async () => {
    const one = createVirshShellRunner({ uri: URI });
    expect((await one.run(['domid', 'test'])).trim()).toBe('1');
    one.cancelAll();
    expect((await rejection(one.run(['domid', 'test']))).code).toBe('VWC_ERR_VIRSH_CANCELLED');
  });
});
