// Console WebSockets are pinged; one that does not answer by the next ping is cut (a peer gone
// without a FIN would otherwise hold its viewer slot, QEMU connection or input lock for hours).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  expectOpen,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';

const INTERVAL_MS = 100;

describe('WebSocket ping', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ pingIntervalMs: INTERVAL_MS });
    h.registry.set(fakeVm('web-1'));
  });
  afterAll(async () => {
    await h.close();
  });

  it('keeps a client that answers pings, and cuts one that does not', async () => {
    const answering = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }));
    const silent = await expectOpen(
      tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }, { autoPong: false }),
    );
    let pings = 0;
    silent.ws.on('ping', () => (pings += 1));
    const silentClosed = new Promise<number>((resolve) => silent.ws.once('close', resolve));
    const started = Date.now();
    expect(await silentClosed).toBe(1006); // terminated: no closing handshake
    expect(pings).toBeGreaterThanOrEqual(1);
    expect(Date.now() - started).toBeLessThan(20 * INTERVAL_MS);
    // Five more intervals: the answering client is still there.
    await new Promise((r) => setTimeout(r, 5 * INTERVAL_MS));
    expect(answering.ws.readyState).toBe(answering.ws.OPEN);
    expect(h.logs.raw.some((line) => line.includes('did not answer a ping'))).toBe(true);
    answering.ws.close();
  });
});
