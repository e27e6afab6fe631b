// The VNC input lock with a real guest: two operator RFB clients through the bridge (as the
// daemon mounts it, harness/vnc-server.ts) to QEMU's VNC socket. Keys typed on tty1 echo a word
// to the serial port, so what reached the guest is read there. The client without control
// types and nothing arrives; it takes control over the control channel and its keys arrive;
// in shared mode both get through.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ConsoleProbe } from '../../helpers/console-io.js';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { BOOT_BANNER } from '../../../harness/libvirt/guest.js';
import type { VncControlMessage } from '../../../src/bridge/vnc/index.js';
import type { Vm } from '../../../src/discovery/types.js';
import { startHarness, vncVm, type Harness } from '../../../harness/vnc-server.js';
import { RfbTestClient } from './rfb-client.js';

/** A control channel: every message it got, and a way to wait for one. */
class ControlClient {
  readonly messages: VncControlMessage[] = [];
  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => this.messages.push(JSON.parse(data.toString()) as VncControlMessage));
  }
  static async open(url: string): Promise<ControlClient> {
    const ws = new WebSocket(url);
    const client = new ControlClient(ws);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    await client.waitFor((m) => m.type === 'hello');
    return client;
  }
  send(type: 'take-lock' | 'release-lock'): void {
    this.ws.send(JSON.stringify({ type }));
  }
  async waitFor(test: (m: VncControlMessage) => boolean, timeoutMs = 20_000): Promise<VncControlMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(test);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`control message not seen: ${JSON.stringify(this.messages)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  close(): void {
    this.ws.close();
  }
}

describe('VNC input lock with a real guest', () => {
  const domains = new TestDomains();
  let domain: TestDomain;
  let vm: Vm;
  let exclusive: Harness;
  let shared: Harness;
  let serial: ConsoleProbe;

  beforeAll(async () => {
    domain = await domains.create({ label: 'vnc-lock', serials: ['pty'], vnc: 'unix' });
    vm = vncVm(domain.name, { transport: 'unix', path: domain.vncSocket! });
    const lookup = (name: string): Vm | undefined => (name === vm.name ? vm : undefined);
    exclusive = await startHarness(lookup);
    shared = await startHarness(lookup, { inputLock: () => 'shared' });
    serial = ConsoleProbe.pty(await domain.ptyPath(0));
    await serial.waitFor(BOOT_BANNER, 60_000);
  });
  afterAll(async () => {
    serial.close();
    await exclusive.close();
    await shared.close();
    await domains.cleanup();
  });

  /** Types `echo <word>-<n>` until the guest's tty1 shell answers on the serial port. */
  async function typeUntilEcho(client: RfbTestClient, word: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (let attempt = 1; ; attempt++) {
      client.type(`echo ${word}-${attempt} > /dev/ttyS0\n`);
      try {
        await serial.waitFor(new RegExp(`${word}-\\d+`), 3_000);
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
      }
    }
  }

  it('drops the keys of the client without control until it takes control', async () => {
    const a = await RfbTestClient.overWebSocket(
      exclusive.url(vm.name, 'operator', { user: 'alice', window: 'wa' }),
    );
    const b = await RfbTestClient.overWebSocket(
      exclusive.url(vm.name, 'operator', { user: 'alice', window: 'wb' }),
    );
    const bControl = await ControlClient.open(
      exclusive.controlUrl(vm.name, 'operator', { user: 'alice', window: 'wb' }),
    );
    try {
      const hello = bControl.messages[0];
      expect(hello).toMatchObject({ type: 'hello', mode: 'exclusive', holder: { window: 'wa' }, count: 2 });
      // The first operator got control: its keys arrive.
      await typeUntilEcho(a, 'lock-a');

      b.type('echo lock-b-dropped > /dev/ttyS0\n');
      // Had they passed, b's keys would be handled before QEMU answers b's update request.
      await b.requestUpdate();
      await bControl.waitFor((m) => m.type === 'lock' && m.inputDropped === true);
      a.type('echo lock-fence-1 > /dev/ttyS0\n');
      await serial.waitFor('lock-fence-1');
      expect(serial.text).not.toContain('lock-b-dropped');

      bControl.send('take-lock');
      await bControl.waitFor((m) => m.type === 'lock' && m.holder?.window === 'wb');
      b.type('echo lock-b-arrives > /dev/ttyS0\n');
      await serial.waitFor('lock-b-arrives');
      a.type('echo lock-a-dropped > /dev/ttyS0\n');
      await a.requestUpdate();
      b.type('echo lock-fence-2 > /dev/ttyS0\n');
      await serial.waitFor('lock-fence-2');
      expect(serial.text).not.toContain('lock-a-dropped');
      expect(a.closed).toBeNull();
      expect(b.closed).toBeNull();
    } finally {
      bControl.close();
      a.close();
      b.close();
    }
  });

  it('lets both operators type in shared mode', async () => {
    const a = await RfbTestClient.overWebSocket(
      shared.url(vm.name, 'operator', { user: 'alice', window: 'sa' }),
    );
    const b = await RfbTestClient.overWebSocket(
      shared.url(vm.name, 'operator', { user: 'bob', window: 'sb' }),
    );
    try {
      await typeUntilEcho(a, 'shared-a');
      b.type('echo shared-b-arrives > /dev/ttyS0\n');
      await serial.waitFor('shared-b-arrives');
    } finally {
      a.close();
      b.close();
    }
  });
});
