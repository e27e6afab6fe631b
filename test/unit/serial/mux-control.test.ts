// Control messages (presence, lock, vm) to a client that stops reading while the VM prints
// nothing: they must be bounded like console bytes, not pile up in the WebSocket's buffer.
import { describe, expect, it, vi } from 'vitest';
import type { SerialMux, SerialOptions } from '../../../src/bridge/serial/index.js';
import {
  FakeClient,
  alice,
  bob,
  eve,
  makeVm,
  runningMux,
  settle,
  type FakeConnector,
  useFakeTimeouts,
} from './fakes.js';

const LIMIT = 4096;
/** Far above any one control message these tests produce (a presence of three clients). */
const ONE_MESSAGE = 1024;

/** A running mux whose clients may each queue LIMIT bytes. */
async function limitedMux(
  options: Partial<SerialOptions>,
): Promise<SerialMux & { connector: FakeConnector }> {
  const { mux, connector } = await runningMux({ clientQueueBytes: LIMIT, ...options });
  return Object.assign(mux, { connector });
}

/** Other windows come and go, each taking the lock: a presence and two lock changes per visit. */
function churn(mux: SerialMux, visits: number): void {
  for (let i = 0; i < visits; i += 1) {
    const other = mux.attach(new FakeClient(), alice, {});
    other.input(Buffer.from('x'));
    vi.advanceTimersByTime(60);
    other.detach();
    vi.advanceTimersByTime(60);
  }
}

describe('SerialMux control messages to a stalled client', () => {
  useFakeTimeouts();

  it('holds them back while it does not read, then sends the current state', async () => {
    const mux = await limitedMux({ slowClientPolicy: 'resync' });
    const stalled = new FakeClient('stalled');
    mux.attach(stalled, eve, {});
    churn(mux, 1000);
    expect(stalled.handedBytes).toBeLessThan(LIMIT + ONE_MESSAGE);
    mux.attach(new FakeClient(), bob, {}).input(Buffer.from('y'));
    vi.advanceTimersByTime(60);
    expect(stalled.handedBytes).toBeLessThan(LIMIT + ONE_MESSAGE);

    stalled.release();
    expect(stalled.of('lock').at(-1)!.holder).toMatchObject({ user: 'bob' });
    expect(stalled.of('presence').at(-1)).toMatchObject({
      count: 2,
      clients: [
        { user: 'eve', role: 'viewer' },
        { user: 'bob', role: 'operator' },
      ],
    });
    expect(stalled.closedWith).toBeNull();
    // Reading again, it hears of changes at once.
    mux.attach(new FakeClient(), alice, {}).control({ type: 'take-lock' });
    expect(stalled.of('lock').at(-1)!.holder).toMatchObject({ user: 'alice' });
  });

  it('sends vm notices at once, in their place in the byte stream, even while holding back the rest', async () => {
    // A vm notice marks where a boot starts (its offset): deferred and coalesced like presence,
    // it would come after the new boot's bytes with a later offset, or a stop and start as one.
    const mux = await limitedMux({ slowClientPolicy: 'resync' });
    const stalled = new FakeClient('stalled');
    mux.attach(stalled, eve, {});
    mux.connector.latest.emit('boot one\r\n');
    churn(mux, 1000);
    mux.update(makeVm('vm1', 'shutoff', null));
    mux.update(makeVm('vm1', 'running', 2));
    await settle();
    mux.connector.latest.emit('boot two\r\n');
    const notices = stalled.of('vm');
    expect(notices.slice(-2)).toMatchObject([
      { state: 'shutoff', boot: 1, offset: 10 },
      { state: 'running', boot: 2, offset: 10 },
    ]);
    const started = stalled.log.indexOf(notices.at(-1)!);
    const secondBoot = stalled.log.findIndex((m) => Buffer.isBuffer(m) && m.toString().includes('boot two'));
    expect(started).toBeLessThan(secondBoot);
    expect(stalled.handedBytes).toBeLessThan(LIMIT + 2 * ONE_MESSAGE);
  });

  it.each(['resync', 'disconnect'] as const)(
    'keeps vm notices to it bounded too, through 5,000 restarts (%s)',
    async (slowClientPolicy) => {
      const mux = await limitedMux({ slowClientPolicy });
      const stalled = new FakeClient('stalled');
      mux.attach(stalled, eve, {});
      for (let boot = 2; boot < 5002; boot += 1) {
        mux.update(makeVm('vm1', 'shutoff', null));
        mux.update(makeVm('vm1', 'running', boot));
      }
      // vm notices up to twice the limit; stream markers (event messages) count with console
      // bytes, up to the limit (and one message over each).
      expect(stalled.handedBytes).toBeLessThan(3 * LIMIT + 2 * ONE_MESSAGE);
      if (slowClientPolicy === 'disconnect') {
        expect(stalled.closedWith?.code).toBe(4104);
        return;
      }
      // Once it reads again it resyncs to the live end and learns the current boot.
      stalled.release();
      mux.connector.latest.emit('later\r\n');
      expect(stalled.of('vm').at(-1)).toMatchObject({ state: 'running', boot: 5001 });
      expect(stalled.closedWith).toBeNull();
    },
  );

  it('closes it as too slow under the disconnect policy', async () => {
    const mux = await limitedMux({ slowClientPolicy: 'disconnect' });
    const stalled = new FakeClient('stalled');
    mux.attach(stalled, eve, {});
    churn(mux, 1000);
    expect(stalled.handedBytes).toBeLessThan(LIMIT + 2 * ONE_MESSAGE);
    expect(stalled.closedWith?.code).toBe(4104);
    expect(stalled.of('error').at(-1)).toMatchObject({ code: 'VWC_ERR_CLIENT_TOO_SLOW' });
    expect(mux.clientCount).toBe(0);
  });

  it('still answers a client that reads, however much it is told', async () => {
    const mux = await limitedMux({ slowClientPolicy: 'disconnect' });
    const reader = new FakeClient();
    mux.attach(reader, eve, {});
    churn(mux, 1000);
    expect(reader.closedWith).toBeNull();
    expect(reader.of('presence').length).toBeGreaterThanOrEqual(1000);
  });
});
