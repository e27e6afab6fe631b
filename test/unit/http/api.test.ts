// The JSON API, the event stream and the pages: shapes, ACL filtering, hostile names, headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainItem } from '../../../src/http/index.js';
import {
  ALICE,
  VICTOR,
  WEBBY,
  expectOpen,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';

const HOSTILE = [
  '<img src=x onerror=alert(1)>',
  `it's "quoted"`,
  'ünïcødé-ドメイン',
  'web-%2F..%2Fetc',
  'web-a b?c#d',
];

async function getJson<T = unknown>(
  h: Harness,
  route: string,
  auth = ALICE,
  _shape?: T,
): Promise<{ status: number; body: T }> {
  const res = await fetch(h.base + route, { headers: { authorization: auth } });
  return { status: res.status, body: (await res.json()) as T };
}

describe('JSON API', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1', { title: 'Web one' }));
    h.registry.set(fakeVm('db-1', { vnc: null, state: 'shutoff' }));
    for (const name of HOSTILE) h.registry.set(fakeVm(name));
  });
  afterAll(() => h.close());

  it('lists domains with consoles and what the caller may do', async () => {
    const { status, body } = await getJson<DomainItem[]>(h, '/api/domains');
    expect(status).toBe(200);
    const web = body.find((d) => d.name === 'web-1');
    expect(web).toEqual({
      name: 'web-1',
      title: 'Web one',
      description: null,
      state: 'running',
      source: 'libvirt',
      consoles: {
        vnc: { available: true, passwordSet: false },
        spice: null,
        serials: [{ index: 0, label: 'serial0', kind: 'pty', available: true }],
        unsupportedGraphics: ['spice'],
      },
      access: { role: 'operator', canType: true },
      actions: ['start', 'shutdown', 'reboot', 'reset', 'force-off', 'pause', 'resume'],
    });
    expect(body.find((d) => d.name === 'db-1')?.consoles.vnc).toBeNull();
    const viewer = await getJson<DomainItem[]>(h, '/api/domains', VICTOR);
    expect(viewer.body[0]?.access).toEqual({ role: 'viewer', canType: false });
    expect(viewer.body[0]?.actions).toEqual([]);
  });

  it('hides domains outside the ACL from the listing and single lookups', async () => {
    const { body } = await getJson<DomainItem[]>(h, '/api/domains', WEBBY);
    expect(body.map((d) => d.name)).toEqual(['web-%2F..%2Fetc', 'web-1', 'web-a b?c#d']);
    expect((await getJson(h, '/api/domains/db-1', WEBBY)).status).toBe(403);
    expect((await getJson(h, '/api/domains/web-1', WEBBY)).status).toBe(200);
  });

  it('answers 404 for an unknown domain', async () => {
    const r = await getJson<{ error: { code: string } }>(h, '/api/domains/nope');
    expect(r).toEqual({
      status: 404,
      body: { error: { code: 'VWC_ERR_NOT_FOUND', message: 'no such domain' } },
    });
  });

  it.each(HOSTILE)('lists and opens the hostile name %j exactly', async (name) => {
    const list = await getJson<DomainItem[]>(h, '/api/domains');
    expect(list.body.map((d) => d.name)).toContain(name);
    const one = await getJson<DomainItem>(h, `/api/domains/${encodeURIComponent(name)}`);
    expect(one.status).toBe(200);
    expect(one.body.name).toBe(name);
    const history = await fetch(`${h.base}/api/domains/${encodeURIComponent(name)}/serial/0/history`, {
      headers: { authorization: ALICE },
    });
    expect(Buffer.from(await history.arrayBuffer()).toString()).toBe(`history of ${name}\r\n`);
    const ws = await expectOpen(
      tryUpgrade(`${h.wsBase}/ws/serial/${encodeURIComponent(name)}/0`, { authorization: ALICE }),
    );
    expect(JSON.parse((await ws.first).data.toString())).toMatchObject({ vm: name });
    ws.ws.close();
  });

  it('decodes a path segment once: an encoded name does not reach its decoded twin', async () => {
    // `web-%2F..%2Fetc` exists literally; asking with its double-encoded form reaches it,
    // asking with the once-encoded form means `web-/../etc`, which does not exist.
    expect((await getJson(h, `/api/domains/${encodeURIComponent('web-%2F..%2Fetc')}`)).status).toBe(200);
    expect((await getJson(h, '/api/domains/web-%2F..%2Fetc')).status).toBe(404);
  });

  it('returns history bytes with offsets in headers', async () => {
    const res = await fetch(`${h.base}/api/domains/web-1/serial/0/history?from=3&max=4`, {
      headers: { authorization: ALICE },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    expect(res.headers.get('x-vwc-start')).toBe('3');
    expect(res.headers.get('x-vwc-end')).toBe(String('history of web-1\r\n'.length));
    expect(res.headers.get('x-vwc-missing')).toBeNull();
    expect(Buffer.from(await res.arrayBuffer()).toString()).toBe('tory');
    const bad = await fetch(`${h.base}/api/domains/web-1/serial/0/history?from=-1`, {
      headers: { authorization: ALICE },
    });
    expect(bad.status).toBe(400);
    const none = await fetch(`${h.base}/api/domains/web-1/serial/9/history`, {
      headers: { authorization: ALICE },
    });
    expect(none.status).toBe(404);
  });

  it('sets security headers and no-store on the API', async () => {
    const res = await fetch(`${h.base}/api/domains`, { headers: { authorization: ALICE } });
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
    expect(csp).toContain("frame-ancestors 'none'");
    const page = await fetch(`${h.base}/console/${encodeURIComponent(HOSTILE[0]!)}`, {
      headers: { authorization: ALICE },
    });
    expect(page.status).toBe(200);
    expect(await page.text()).toBe('<!doctype html><title>console</title>');
  });
});

interface SseEvent {
  event: string;
  data: unknown;
}

/** Reads server-sent events from a fetch body until `count` events arrived. */
async function readEvents(res: Response, until: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: SseEvent[] = [];
  while (!until(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) });
      else if (block.startsWith(':')) events.push({ event: 'heartbeat', data: null });
    }
  }
  await reader.cancel();
  return events;
}

describe('event stream', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1'));
    h.registry.set(fakeVm('db-1'));
  });
  afterAll(() => h.close());

  it('sends a snapshot, then changes the ACL allows, and heartbeats', async () => {
    const res = await fetch(`${h.base}/api/events`, { headers: { authorization: WEBBY } });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reading = readEvents(
      res,
      (events) =>
        events.some((e) => e.event === 'domain-removed') && events.some((e) => e.event === 'heartbeat'),
    );
    // Wait until the snapshot is out so the changes below come after it.
    const deadline = Date.now() + 5000;
    while (h.web.http.streams.size === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    h.registry.set(fakeVm('db-2'));
    h.registry.set(fakeVm('web-2'));
    h.registry.remove('db-1');
    h.registry.remove('web-2');
    const events = await reading;
    const named = events.filter((e) => e.event !== 'heartbeat');
    expect(named[0]).toMatchObject({
      event: 'snapshot',
      data: { sources: [{ source: 'libvirt', up: true }] },
    });
    expect((named[0]!.data as { domains: DomainItem[] }).domains.map((d) => d.name)).toEqual(['web-1']);
    expect(named.slice(1).map((e) => [e.event, (e.data as { name: string }).name])).toEqual([
      ['domain-added', 'web-2'],
      ['domain-removed', 'web-2'],
    ]);
  });
});

describe('pages', () => {
  it('answers 404 with a hint when the web UI is not built', async () => {
    const h = await startHarness({ webFiles: {} });
    try {
      const res = await fetch(`${h.base}/`, { headers: { authorization: ALICE } });
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('npm run build');
      const asset = await fetch(`${h.base}/assets/../../etc/passwd`, { headers: { authorization: ALICE } });
      expect(asset.status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
