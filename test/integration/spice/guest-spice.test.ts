// The SPICE bridge against real guests' SPICE servers (qxl video): on a UNIX socket and on TCP.
// A raw SPICE client (harness/spice/client.ts) links every channel the server lists, through
// the bridge; a viewer's inputs channel is refused; one client at a time with takeover.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleProbe } from '../../helpers/console-io.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import { ERRORS } from '../../../src/errors/index.js';
import type { Vm } from '../../../src/discovery/types.js';
import { parseDomainXml } from '../../../src/discovery/domain-xml.js';
import { startSpiceHarness, spiceVm, type SpiceHarness } from '../../../harness/spice/server.js';
import {
  CHANNEL,
  SpiceTestChannel,
  channelsOf,
  sessionIdOf,
  typeOnInputs,
} from '../../../harness/spice/client.js';

const MAIN_INIT = 103;
const MAIN_CHANNELS_LIST = 104;
const MSGC_ATTACH_CHANNELS = 104;

interface Session {
  readonly main: SpiceTestChannel;
  readonly sessionId: number;
  readonly channels: [number, number][];
}

async function openSession(url: string): Promise<Session> {
  const main = await SpiceTestChannel.overWebSocket(url, { channelType: CHANNEL.main });
  await main.linked();
  const init = await main.waitMessage(MAIN_INIT);
  main.send(MSGC_ATTACH_CHANNELS, Buffer.alloc(0));
  const list = await main.waitMessage(MAIN_CHANNELS_LIST);
  return { main, sessionId: sessionIdOf(init), channels: channelsOf(list) };
}

function channel(url: string, session: Session, type: number, id = 0): Promise<SpiceTestChannel> {
  return SpiceTestChannel.overWebSocket(url, {
    channelType: type,
    channelId: id,
    connectionId: session.sessionId,
  });
}

describe('SPICE bridge with real guests', () => {
  const domains = new TestDomains();
  let unixDomain: TestDomain;
  let tcpDomain: TestDomain;
  let unixVm: Vm;
  let tcpVm: Vm;
  let harness: SpiceHarness;
  let serial: ConsoleProbe;

  beforeAll(async () => {
    [unixDomain, tcpDomain] = await Promise.all([
      domains.create({ label: 'spice-unix', serials: ['pty'], vnc: 'none', spice: 'unix' }),
      domains.create({ label: 'spice-tcp', serials: ['pty'], vnc: 'none', spice: 'tcp' }),
    ]);
    unixVm = spiceVm(unixDomain.name, { transport: 'unix', path: unixDomain.spiceSocket! });
    // The TCP port comes from the live XML, as discovery reads it.
    const live = parseDomainXml(await tcpDomain.liveXml());
    expect(live.spice?.target?.transport).toBe('tcp');
    tcpVm = { ...spiceVm(tcpDomain.name, live.spice!.target!) };
    const vms = new Map([
      [unixVm.name, () => unixVm],
      [tcpVm.name, () => tcpVm],
    ]);
    harness = await startSpiceHarness((name) => vms.get(name)?.(), { upstreamCloseGraceMs: 10_000 });
    serial = ConsoleProbe.pty(await unixDomain.ptyPath(0));
    await serial.waitFor(BOOT_BANNER, 90_000);
  });
  afterAll(async () => {
    serial.close();
    await harness.close();
    await domains.cleanup();
  });

  it('relays every channel the server lists for an operator (UNIX socket, qxl)', async () => {
    const url = harness.url(unixVm.name, 'operator');
    const session = await openSession(url);
    const opened: SpiceTestChannel[] = [];
    try {
      expect(session.channels.map(([type]) => type)).toEqual(
        expect.arrayContaining([CHANNEL.display, CHANNEL.inputs, CHANNEL.cursor]),
      );
      for (const [type, id] of session.channels) {
        const c = await channel(url, session, type, id);
        opened.push(c);
        await c.linked();
      }
      const display = opened[session.channels.findIndex(([type]) => type === CHANNEL.display)]!;
      // The guest's screen arrives: SET_ACK, surface, draw messages.
      await display.waitUntil(() => display.messageCount > 3, 30_000, 'display messages');
      expect(harness.bridge.connectionCount(unixVm.name)).toBe(1 + session.channels.length);
      expect(harness.bridge.holder(unixVm.name)?.user).toBe('test-operator');
    } finally {
      for (const c of opened) c.close();
      session.main.close();
    }
    await session.main.waitClosed();
  });

  it("an operator's keys reach the guest; a viewer's inputs channel is refused", async () => {
    const url = harness.url(unixVm.name, 'operator');
    const session = await openSession(url);
    const inputs = await channel(url, session, CHANNEL.inputs);
    try {
      await inputs.linked();
      const deadline = Date.now() + 60_000;
      for (let attempt = 1; ; attempt++) {
        await typeOnInputs(inputs, `echo spice-ok-${attempt} > /dev/ttyS0\n`);
        try {
          await serial.waitFor(/spice-ok-\d+/, 3_000);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
    } finally {
      inputs.close();
      session.main.close();
    }
    await session.main.waitClosed();

    const viewerUrl = harness.url(unixVm.name, 'viewer');
    const viewer = await openSession(viewerUrl);
    try {
      const refused = await channel(viewerUrl, viewer, CHANNEL.inputs);
      expect(await refused.waitClosed()).toEqual({
        code: ERRORS.VWC_ERR_SPICE_CHANNEL_REFUSED.ws,
        reason: 'the inputs channel is not open to viewers',
      });
      expect(refused.linkError).toBeNull();
      const record = await channel(viewerUrl, viewer, CHANNEL.record);
      expect((await record.waitClosed()).code).toBe(ERRORS.VWC_ERR_SPICE_CHANNEL_REFUSED.ws);
      const display = await channel(viewerUrl, viewer, CHANNEL.display);
      await display.linked();
      await display.waitUntil(() => display.messageCount > 3, 30_000, 'display messages');
      display.close();
      expect(viewer.main.closed).toBeNull();
    } finally {
      viewer.main.close();
    }
    await viewer.main.waitClosed();
  });

  it('one client at a time: a second is asked, a viewer never displaces an operator, takeover says who', async () => {
    const alice = await openSession(harness.url(unixVm.name, 'operator', { user: 'alice' }));
    const aliceDisplay = await channel(
      harness.url(unixVm.name, 'operator', { user: 'alice' }),
      alice,
      CHANNEL.display,
    );
    await aliceDisplay.linked();

    const asked = await SpiceTestChannel.overWebSocket(
      harness.url(unixVm.name, 'operator', { user: 'bob' }),
      {
        channelType: CHANNEL.main,
      },
    );
    expect(await asked.waitClosed()).toEqual({
      code: ERRORS.VWC_ERR_SPICE_BUSY.ws,
      reason: 'alice (operator) is using the SPICE console',
    });
    const viewer = await SpiceTestChannel.overWebSocket(
      harness.url(unixVm.name, 'viewer', { user: 'victor', takeover: true }),
      { channelType: CHANNEL.main },
    );
    expect(await viewer.waitClosed()).toEqual({
      code: ERRORS.VWC_ERR_SPICE_BUSY.ws,
      reason: 'alice (operator) is using the SPICE console; a viewer cannot take it over',
    });
    expect(alice.main.closed).toBeNull();

    const bob = await openSession(harness.url(unixVm.name, 'operator', { user: 'bob', takeover: true }));
    try {
      for (const c of [alice.main, aliceDisplay]) {
        expect(await c.waitClosed()).toEqual({
          code: ERRORS.VWC_ERR_SPICE_TAKEN_OVER.ws,
          reason: 'taken over by bob (operator)',
        });
      }
      expect(harness.bridge.holder(unixVm.name)?.user).toBe('bob');
      const display = await channel(
        harness.url(unixVm.name, 'operator', { user: 'bob' }),
        bob,
        CHANNEL.display,
      );
      await display.linked();
      display.close();
    } finally {
      bob.main.close();
    }
    await bob.main.waitClosed();
  });

  it('relays a SPICE server on TCP (autoport, from the live XML)', async () => {
    const url = harness.url(tcpVm.name, 'operator');
    const session = await openSession(url);
    try {
      const display = await channel(url, session, CHANNEL.display);
      await display.linked();
      await display.waitUntil(() => display.messageCount > 3, 60_000, 'display messages');
      display.close();
    } finally {
      session.main.close();
    }
  });

  it('closes every channel with "domain stopped" when the VM is destroyed', async () => {
    const url = harness.url(tcpVm.name, 'operator');
    const session = await openSession(url);
    const display = await channel(url, session, CHANNEL.display);
    await display.linked();
    await tcpDomain.destroy();
    const running = tcpVm;
    tcpVm = { ...tcpVm, state: 'shutoff', id: null };
    harness.bridge.vmChanged(tcpVm, running);
    for (const c of [session.main, display]) {
      expect(await c.waitClosed()).toEqual({
        code: ERRORS.VWC_ERR_DOMAIN_STOPPED.ws,
        reason: 'domain stopped',
      });
    }
    expect(harness.bridge.connectionCount(tcpVm.name)).toBe(0);
    expect(harness.bridge.holder(tcpVm.name)).toBeNull();
  });
});
