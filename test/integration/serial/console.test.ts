// The serial mux against a real guest, for each kind of serial source: history from boot, many
// windows, the write lock, a restart under attached clients, and a client that never reads.
// `telnet` is a TCP chardev with protocol telnet: QEMU's negotiation must not reach the history.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, type SerialKind, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { ConsoleClient, prompt, SerialServer, until } from './harness.js';

const QUEUE = 64 * 1024;

describe.each(['pty', 'unix', 'tcp', 'telnet'] as const)('serial console over %s', (kind: SerialKind) => {
  const domains = new TestDomains();
  let server: SerialServer;
  let domain: TestDomain;
  let alice: ConsoleClient;
  let bob: ConsoleClient;
  let eve: ConsoleClient;

  beforeAll(async () => {
    server = await SerialServer.start({ clientQueueBytes: QUEUE });
    domain = await domains.create({ label: `serial-${kind}`, serials: [kind], vnc: 'none', start: false });
    await server.publish(domain, [kind], 'shutoff');
    await domain.start();
    await server.publish(domain, [kind], 'running');
  });

  afterAll(async () => {
    for (const c of [alice, bob, eve]) c.close();
    await server.close();
    await domains.cleanup();
  });

  it('holds the boot output in history before any client attaches', async () => {
    await until(
      'the boot banner in history',
      () =>
        server.hub
          .readSerialHistory(domain.name, 0, 0, 4 << 20)
          ?.data.toString('latin1')
          .includes(BOOT_BANNER),
      60_000,
    );
    expect(server.hub.serial.mux(domain.name, 0)!.stats().clients).toHaveLength(0);
    alice = await ConsoleClient.open(server.url(domain.name, 0, { user: 'alice' }), true);
    await alice.waitFor(BOOT_BANNER);
    expect(alice.of('hello')[0]).toMatchObject({
      offset: 0,
      role: 'operator',
      vm: { state: 'running', boot: 1 },
    });
    // The kernel's first lines come before the banner: the history starts at the boot.
    expect(alice.text.indexOf('Linux version')).toBeLessThan(alice.text.indexOf(BOOT_BANNER));
    // Console text only: no telnet negotiation (IAC is 0xFF) in what the guest printed.
    expect(server.hub.readSerialHistory(domain.name, 0, 0, 4 << 20)!.data.includes(0xff)).toBe(false);
  });

  it('round-trips echo through the lock holder; ESC[6n is answered once with two operator windows', async () => {
    bob = await ConsoleClient.open(server.url(domain.name, 0, { user: 'bob' }), true);
    eve = await ConsoleClient.open(server.url(domain.name, 0, { user: 'eve', role: 'viewer' }), true);
    // alice may hold it already (answering the prompt's ESC[6n takes a free lock), in which case
    // bob learnt it from his hello and take-lock changes nothing.
    alice.control('take-lock');
    await until('alice holds the lock', () => bob.lockHolder() === 'alice');
    await prompt(alice, 'ttyS0');
    const since = alice.text.length;
    const bobSince = bob.text.length;
    alice.type(`echo ${kind}-$((6*7))\r`);
    // The typed line, read back exactly: right after the prompt (`# `) or its ESC[6n (`…6n`), or
    // at the start of what arrived since (bob's copy of the prompt may still have been arriving).
    // Both operators answer every ESC[6n; had bob's answer reached the shell, it would sit in
    // the command line (`ESC[24;18R` keys) and the line would not read back exactly.
    const exact = new RegExp(`(?:^|# |n)echo ${kind}-\\$\\(\\(6\\*7\\)\\)\\r\\n${kind}-42\\r\\n`);
    await alice.waitFor(exact, 30_000, since);
    await bob.waitFor(exact, 30_000, bobSince);
    await until('both windows to answer a live ESC[6n', () => alice.answered > 0 && bob.answered > 0);
    expect(alice.text.slice(since)).not.toMatch(/not found|;\d+R/);
    // Ask once more, and count what reaches the guest's tty: one answer (`ESC[24;4R`, 7 bytes:
    // the cursor is after `ASK`), not one per window. The first dd drains the tty until 0.5 s of
    // silence: ash asks ESC[6n after a prompt only when no input is pending, so an answer to the
    // last prompt may still be on its way when this line arrives. The second dd stops 2 s after
    // the last byte.
    const before = alice.text.length;
    alice.type(
      'stty -echo -icanon min 0 time 5; dd bs=1 count=4096 >/dev/null 2>&1; stty time 20; ' +
        'printf \'ASK\\033[6n\'; echo "got=$(dd bs=1 count=100 2>/dev/null | wc -c)"; stty sane\r',
    );
    const got = await alice.waitFor(/got=\d+/, 30_000, before);
    expect(got).toBe('got=7');
    // bob was told who holds the lock when his answers were dropped.
    expect(bob.of('lock').at(-1)?.holder?.user).toBe('alice');
    // Both windows show the same bytes at the same offsets.
    await until('bob caught up', () => bob.offset === alice.offset || undefined);
    expect(bob.text).toBe(alice.text);
    expect(eve.of('presence').at(-1)).toMatchObject({ count: 3 });
  });

  it("never passes a viewer's input to the guest", async () => {
    eve.type('echo viewer-$((1+1))\r');
    const since = alice.text.length;
    alice.type('echo after-$((2+3))\r');
    await alice.waitFor('\r\nafter-5\r\n', 30_000, since);
    expect(alice.text).not.toContain('viewer-');
    expect(eve.text).not.toContain('viewer-');
    expect(eve.of('hello')[0]?.role).toBe('viewer');
  });

  it('passes the bytes 0xFF and 0xFA the guest prints, and what follows them, unchanged', async () => {
    // On telnet, QEMU sends guest bytes unescaped: a decoder that took 0xFF 0xFA for a telnet
    // subnegotiation would swallow the rest of the console.
    const since = alice.text.length;
    alice.type("printf 'A\\377\\372B\\n'; echo after-$((20+22))\r");
    await alice.waitFor('\r\nafter-42\r\n', 30_000, since);
    expect(alice.text.slice(since)).toContain('\r\nA\xff\xfaB\r\n');
  });

  it('keeps its clients across a destroy and start, with a vm notice', async () => {
    const since = alice.text.length;
    const bobSince = bob.text.length;
    await domain.destroy();
    await server.publish(domain, [kind], 'shutoff');
    await until('the stop notice', () => alice.of('vm').some((m) => m.state === 'shutoff'));
    await domain.start();
    await server.publish(domain, [kind], 'running');
    await until('the start notice', () => bob.of('vm').some((m) => m.state === 'running' && m.boot === 2));
    await alice.waitFor(BOOT_BANNER, 60_000, since);
    await bob.waitFor(BOOT_BANNER, 60_000, bobSince);
    expect(alice.closed).toBeNull();
    expect(bob.closed).toBeNull();
    await prompt(alice, 'ttyS0');
    const at = alice.text.length;
    alice.type(`echo again-$((3*3))\r`);
    await alice.waitFor('\r\nagain-9\r\n', 30_000, at);
  });

  it('lets a client that never reads fall behind without slowing the others; memory stays bounded', async () => {
    const stalled = await ConsoleClient.open(server.url(domain.name, 0, { user: 'stalled', role: 'viewer' }));
    await until('stalled hello', () => stalled.of('hello').length > 0);
    // Stop reading from the socket: the kernel buffers fill, then the daemon's own limit applies.
    stalled.ws.pause();
    const mux = server.hub.serial.mux(domain.name, 0)!;
    const start = mux.stats().history.end;
    const since = alice.text.length;
    const bobSince = bob.text.length;
    // 1.5 MB of output from the guest (about 10 s under TCG), then a marker line.
    alice.type(
      'yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu | head -c 1500000; echo; echo flood-$((40+2))\r',
    );
    let maxInflight = 0;
    let wasBehind = false;
    await until(
      'the flood to reach both windows',
      () => {
        const me = mux.stats().clients.find((c) => c.user === 'stalled');
        maxInflight = Math.max(maxInflight, me?.inflight ?? 0);
        wasBehind ||= me?.behind ?? false;
        return (
          /\r\nflood-42\r\n/.test(alice.text.slice(since)) &&
          /\r\nflood-42\r\n/.test(bob.text.slice(bobSince))
        );
      },
      180_000,
    );
    const produced = mux.stats().history.end - start;
    expect(produced).toBeGreaterThan(1_500_000);
    // The readers got every byte: no gap for them.
    expect(alice.of('gap')).toHaveLength(0);
    expect(bob.of('gap')).toHaveLength(0);
    await until('both at the end', () => {
      const end = mux.stats().history.end;
      return (alice.offset === end && bob.offset === end) || undefined;
    });
    expect(bob.text).toBe(alice.text);
    // The stalled client never had more than its queue in flight and was marked behind.
    expect(wasBehind).toBe(true);
    expect(maxInflight).toBeLessThanOrEqual(QUEUE + 128 * 1024);
    // Reading again, it gets a gap notice with a visible marker and continues at the live end.
    stalled.ws.resume();
    const gap = await until('the gap notice', () => stalled.of('gap')[0]);
    expect(gap.reason).toBe('slow-client');
    expect(stalled.text).toContain('bytes skipped, client fell behind]');
    await until('stalled caught up', () => stalled.offset === mux.stats().history.end || undefined);
    stalled.close();
  }, 240_000);
});
