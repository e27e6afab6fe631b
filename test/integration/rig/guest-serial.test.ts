// The rig itself: a real guest under libvirtd, its serial ports and its VNC socket.
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleProbe, readGreeting } from '../../helpers/console-io.js';
import { TestDomains } from '../../../harness/libvirt/domains.js';
import { promptFor } from '../../../harness/libvirt/guest.js';

describe('test guest under libvirtd', () => {
  const domains = new TestDomains();
  afterAll(() => domains.cleanup());

  it('round-trips echo through a pty serial and a UNIX-socket serial', async () => {
    const domain = await domains.create({ label: 'rig-serial', serials: ['pty', 'unix'], vnc: 'none' });
    expect(await domain.state()).toBe('running');

    const pty = ConsoleProbe.pty(await domain.ptyPath(0));
    try {
      // The guest prints its prompt only after boot; a carriage return asks for a fresh one.
      await expectEcho(pty, 'ttyS0', 'pty');
    } finally {
      pty.close();
    }

    const socketPath = domain.serialPaths[1];
    expect(socketPath).toBeTruthy();
    const unix = await ConsoleProbe.socket({ path: socketPath! });
    try {
      await expectEcho(unix, 'ttyS1', 'unix');
    } finally {
      unix.close();
    }
  });

  it('reads the RFB greeting from the VNC UNIX socket', async () => {
    const domain = await domains.create({ label: 'rig-vnc', serials: ['pty'], vnc: 'unix' });
    const greeting = await readGreeting(domain.vncSocket!, 12);
    expect(greeting.toString('latin1')).toBe('RFB 003.008\n');
  });

  it('destroys and undefines what it created', async () => {
    const domain = await domains.create({ label: 'rig-cleanup', start: false });
    expect(await domain.state()).toBe('shut off');
    await domain.undefine();
    await expect(domain.state()).rejects.toThrow(/failed to get domain|Domain not found/);
  });
});

async function expectEcho(probe: ConsoleProbe, tty: string, tag: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  // Keep asking for a prompt until the shell is up (boot takes a few seconds under TCG).
  for (;;) {
    probe.write('\r');
    try {
      await probe.waitFor(promptFor(tty), 2_000);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
  }
  probe.clear();
  probe.write(`echo ${tag}-$((6*7))\r`);
  // The typed line echoes back as `echo pty-$((6*7))`; only the shell's answer reads `pty-42`.
  await probe.waitFor(new RegExp(`\\r\\n${tag}-42\\r\\n`));
}
