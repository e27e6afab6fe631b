// Range requests on GET /api/domains/:name/serial/:n/log, on the real express app with a stand-in
// log (the hub's readSerialLog): 206 with Content-Range for one range of any format (the
// download is generated, then sliced), the slices add up to the whole, 416 with `bytes */size`
// past the end, and the whole download (200) for several ranges or a malformed header.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '../../../src/bridge/serial/log/index.js';
import { ALICE, fakeVm, startHarness, type Harness } from '../../../harness/http-server.js';

const T0 = Date.UTC(2026, 11, 6, 19, 0, 0);
const RECORDS: LogRecord[] = [
  { type: 'event', offset: 0, time: T0, event: { kind: 'boot', key: '1' } },
  { type: 'data', offset: 0, time: T0 + 10, data: Buffer.from('Linux version 6.1\r\n') },
  { type: 'data', offset: 19, time: T0 + 500, data: Buffer.from('\x1b[1mlogin:\x1b[0m ') },
  { type: 'event', offset: 37, time: T0 + 900, event: { kind: 'reset' } },
  { type: 'data', offset: 37, time: T0 + 950, data: Buffer.from('Linux version 6.1 again\r\n') },
];

describe('serial log download ranges', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1'));
    Object.assign(h.hub, {
      readSerialLog: async function* () {
        await Promise.resolve();
        yield* RECORDS;
      },
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const get = (query: string, range?: string): Promise<Response> =>
    fetch(`${h.base}/api/domains/web-1/serial/0/log?${query}`, {
      headers: { authorization: ALICE, ...(range ? { range } : {}) },
    });
  const bytes = async (res: Response): Promise<Buffer> => Buffer.from(await res.arrayBuffer());

  it.each(['format=raw', 'format=text', 'format=text&strip=1', 'format=asciicast'])(
    'answers one range with 206 and Content-Range, slices that add up to the whole (%s)',
    async (query) => {
      const full = await get(query);
      expect(full.status).toBe(200);
      expect(full.headers.get('accept-ranges')).toBe('bytes');
      const whole = await bytes(full);
      const cut = Math.floor(whole.length / 3);
      const first = await get(query, `bytes=0-${cut - 1}`);
      expect(first.status).toBe(206);
      expect(first.headers.get('content-range')).toBe(`bytes 0-${cut - 1}/${whole.length}`);
      expect(first.headers.get('content-disposition')).toContain('web-1-serial0');
      const rest = await get(query, `bytes=${cut}-`);
      expect(rest.status).toBe(206);
      expect(rest.headers.get('content-range')).toBe(`bytes ${cut}-${whole.length - 1}/${whole.length}`);
      expect(Buffer.concat([await bytes(first), await bytes(rest)]).equals(whole)).toBe(true);
      const suffix = await get(query, 'bytes=-5');
      expect((await bytes(suffix)).equals(whole.subarray(whole.length - 5))).toBe(true);
    },
  );

  it('refuses a range past the end with 416 and the size', async () => {
    const size = (await bytes(await get('format=raw'))).length;
    const res = await get('format=raw', `bytes=${size + 10}-`);
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${size}`);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
      'VWC_ERR_RANGE_NOT_SATISFIABLE',
    );
  });

  it('sends the whole download for several ranges or a malformed header', async () => {
    const whole = await bytes(await get('format=raw'));
    for (const range of ['bytes=0-1,5-6', 'bytes=nonsense', 'lines=0-1']) {
      const res = await get('format=raw', range);
      expect(res.status, range).toBe(200);
      expect((await bytes(res)).equals(whole), range).toBe(true);
    }
  });
});
