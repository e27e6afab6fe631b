// The serial consoles driven by the real discovery (libvirt files + `virsh event`), not a fake
// registry: a pty and a UNIX serial followed from boot, through a destroy and start.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscovery, type Discovery } from '../../../src/discovery/index.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { TEST_URI } from '../../../harness/libvirt/virsh.js';
import { silentLogger } from '../../unit/serial/fakes.js';
import { ConsoleClient, prompt, SerialServer, until } from './harness.js';

describe('serial consoles following real discovery', () => {
  const domains = new TestDomains();
  let discovery: Discovery;
  let server: SerialServer;
  let domain: TestDomain;

  beforeAll(async () => {
    discovery = createDiscovery({ logger: silentLogger, uri: TEST_URI, reconcileMs: 30_000 });
    await discovery.start();
    server = await SerialServer.start({}, discovery.registry);
  });

  afterAll(async () => {
    await server.close();
    await discovery.stop();
    await domains.cleanup();
  });

  it('owns the pty and the UNIX socket from boot and keeps clients across a restart', async () => {
    domain = await domains.create({ label: 'serial-discovery', serials: ['pty', 'unix'], vnc: 'none' });
    const history = (): string =>
      server.hub.readSerialHistory(domain.name, 0, 0, 4 << 20)?.data.toString('latin1') ?? '';
    await until('the banner in the pty history', () => history().includes(BOOT_BANNER), 60_000);
    const tty0 = await ConsoleClient.open(server.url(domain.name, 0));
    const tty1 = await ConsoleClient.open(server.url(domain.name, 1));
    await tty0.waitFor(BOOT_BANNER);
    // ttyS1 (the UNIX socket) has a shell too: a prompt on Enter.
    await prompt(tty1, 'ttyS1');
    const since = tty0.text.length;
    await domain.destroy();
    await until('the stop notice', () => tty0.of('vm').some((m) => m.state === 'shutoff'), 30_000);
    await domain.start();
    await until(
      'the start notice',
      () => tty1.of('vm').some((m) => m.state === 'running' && m.boot === 2),
      30_000,
    );
    await tty0.waitFor(BOOT_BANNER, 60_000, since);
    expect(tty0.closed).toBeNull();
    expect(tty1.closed).toBeNull();
    expect(tty0.of('gap')).toHaveLength(0);
    tty0.close();
    tty1.close();
  });
});
