// GET /api/domains/:name/thumbnail on the real express app with a stand-in thumbnail service:
// PNG with ETag and no-cache, 304 for a matching If-None-Match (also weak or in a list), the
// serial tail as JSON for a VM without a screen, 409 for a stopped VM, ACL, viewers allowed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Thumbnail, ThumbnailService } from '../../../src/control/thumbnails/index.js';
import type { Vm } from '../../../src/discovery/types.js';
import { ALICE, VICTOR, WEBBY, fakeVm, startHarness, type Harness } from '../../../harness/http-server.js';

describe('thumbnail route', () => {
  let h: Harness;
  const asked: string[] = [];
  const picture: Thumbnail = { png: Buffer.from('\x89PNG fake'), etag: '"abc"', capturedAt: 0 };
  const service: ThumbnailService = {
    get: (vm: Vm) => {
      asked.push(vm.name);
      return Promise.resolve(picture);
    },
    forget: () => undefined,
    size: 0,
  };

  beforeAll(async () => {
    h = await startHarness({ thumbnails: { thumbnails: service, intervalSeconds: 7 } });
    h.registry.set(fakeVm('web-1'));
    h.registry.set(fakeVm('db-1', { vnc: null, graphics: [] }));
    h.registry.set(fakeVm('web-off', { state: 'shutoff' }));
    h.registry.set(fakeVm('web-bare', { vnc: null, graphics: [], serials: [] }));
  });
  afterAll(async () => {
    await h.close();
  });

  const get = (name: string, auth = ALICE, headers: Record<string, string> = {}): Promise<Response> =>
    fetch(`${h.base}/api/domains/${encodeURIComponent(name)}/thumbnail`, {
      headers: { authorization: auth, ...headers },
    });

  it('answers the PNG with its ETag, and 304 when the browser has it', async () => {
    const res = await get('web-1', VICTOR);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('etag')).toBe('"abc"');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('x-vwc-thumbnail-interval')).toBe('7');
    expect(Buffer.from(await res.arrayBuffer()).equals(picture.png)).toBe(true);
    for (const tag of ['"abc"', 'W/"abc"', '"old", "abc"']) {
      const again = await get('web-1', ALICE, { 'if-none-match': tag });
      expect(again.status, tag).toBe(304);
    }
    expect((await get('web-1', ALICE, { 'if-none-match': '"old"' })).status).toBe(200);
    expect(asked.every((n) => n === 'web-1')).toBe(true);
  });

  it('answers the serial tail as JSON for a VM without a screen, with an ETag too', async () => {
    const res = await get('db-1');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({
      domain: 'db-1',
      kind: 'serial',
      index: 0,
      lines: ['history of db-1'],
    });
    const etag = res.headers.get('etag')!;
    expect((await get('db-1', ALICE, { 'if-none-match': etag })).status).toBe(304);
    expect(asked).not.toContain('db-1');
  });

  it('refuses stopped, bare, unknown and forbidden domains with typed errors', async () => {
    const codeOf = async (res: Response): Promise<[number, string]> => [
      res.status,
      ((await res.json()) as { error: { code: string } }).error.code,
    ];
    expect(await codeOf(await get('web-off'))).toEqual([409, 'VWC_ERR_DOMAIN_STOPPED']);
    expect(await codeOf(await get('web-bare'))).toEqual([404, 'VWC_ERR_THUMBNAIL_UNAVAILABLE']);
    expect(await codeOf(await get('nope'))).toEqual([404, 'VWC_ERR_NOT_FOUND']);
    expect(await codeOf(await get('db-1', WEBBY))).toEqual([403, 'VWC_ERR_FORBIDDEN']);
  });
});
