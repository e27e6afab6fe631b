// Upgrade decisions before the handshake: Origin, routes, unknown domains, ACL, roles, tickets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VwcError } from '../../../src/errors/index.js';
import {
  ALICE,
  VICTOR,
  WEBBY,
  closeOf,
  expectOpen,
  expectRefused,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';

describe('WebSocket upgrades', () => {
  let h: Harness;
  let host: string;
  beforeAll(async () => {
    h = await startHarness({ config: { allowedOrigins: ['https://console.example.org'] } });
    h.registry.set(fakeVm('web-1'));
    h.registry.set(fakeVm('db-1'));
    host = new URL(h.base).host;
  });
  afterAll(() => h.close());

  it('refuses a cross-origin upgrade with 403 before any WebSocket frame', async () => {
    const attachesBefore = h.hub.attaches.length;
    const result = await tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, {
      authorization: ALICE,
      origin: 'http://evil.example',
    });
    expect(result.kind).toBe('refused');
    if (result.kind !== 'refused') return;
    expect(result.status).toBe(403);
    expect(JSON.parse(result.body)).toMatchObject({ error: { code: 'VWC_ERR_ORIGIN' } });
    expect(h.hub.attaches.length).toBe(attachesBefore);
  });

  it('compares the scheme too: https://<same host> is not http://<same host>', async () => {
    const r = await expectRefused(
      tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE, origin: `https://${host}` }),
    );
    expect(r).toEqual({ status: 403, code: 'VWC_ERR_ORIGIN' });
  });

  it('accepts the same origin and an allow-listed origin', async () => {
    for (const origin of [`http://${host}`, 'https://console.example.org']) {
      const open = await expectOpen(
        tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE, origin }),
      );
      const hello = JSON.parse((await open.first).data.toString()) as { user: string; role: string };
      expect(hello).toMatchObject({ user: 'alice', role: 'operator' });
      open.ws.close();
    }
  });

  it('answers 404 for an unknown domain, console or route', async () => {
    for (const route of [
      '/ws/serial/nope/0',
      '/ws/serial/web-1/7',
      '/ws/vnc/nope',
      '/ws/other/web-1',
      '/ws/serial/web-1/x',
    ]) {
      const r = await expectRefused(tryUpgrade(h.wsBase + route, { authorization: ALICE }));
      expect(r, route).toEqual({ status: 404, code: 'VWC_ERR_NOT_FOUND' });
    }
  });

  it('answers 403 when the ACL hides the domain', async () => {
    const r = await expectRefused(tryUpgrade(`${h.wsBase}/ws/serial/db-1/0`, { authorization: WEBBY }));
    expect(r).toEqual({ status: 403, code: 'VWC_ERR_FORBIDDEN' });
    const ok = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: WEBBY }));
    expect(ok.ws.protocol).toBe('binary');
    expect((await ok.first).data.toString()).toBe('RFB 003.008\n');
    ok.ws.close();
  });

  it("hands the viewer's role to the hub, which drops the viewer's input", async () => {
    const open = await expectOpen(
      tryUpgrade(`${h.wsBase}/ws/serial/web-1/0?from=42`, { authorization: VICTOR }),
    );
    await open.first;
    const attach = h.hub.attaches.at(-1)!;
    expect(attach).toMatchObject({
      kind: 'serial',
      vm: 'web-1',
      index: 0,
      session: { user: 'victor', role: 'viewer', clientAddress: '127.0.0.1' },
      options: { from: 42 },
    });
    const echoed: Buffer[] = [];
    open.ws.on('message', (d: Buffer) => echoed.push(d));
    open.ws.send(Buffer.from('typed by a viewer'));
    // An operator on the same console gets an echo: proves the socket path works and the
    // viewer's bytes were dropped rather than delayed.
    const operator = await expectOpen(tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE }));
    await operator.first;
    const echo = new Promise<Buffer>((resolve) => operator.ws.once('message', resolve));
    operator.ws.send(Buffer.from('typed by an operator'));
    expect((await echo).toString()).toBe('typed by an operator');
    expect(echoed).toEqual([]);
    open.ws.close();
    operator.ws.close();
  });

  it('logs attach and detach with user, domain, console and role', async () => {
    const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: VICTOR }));
    await open.first;
    const closed = closeOf(open.ws);
    open.ws.close(1000, 'bye');
    await closed;
    const deadline = Date.now() + 5000;
    while (
      !h.logs.lines.some((l) => l.msg === 'console detach' && l.user === 'victor') &&
      Date.now() < deadline
    ) {
      await new Promise((r) => setTimeout(r, 10));
    }
    const attach = h.logs.lines.findLast((l) => l.msg === 'console attach' && l.user === 'victor');
    const detach = h.logs.lines.findLast((l) => l.msg === 'console detach' && l.user === 'victor');
    expect(attach).toMatchObject({ user: 'victor', domain: 'web-1', console: 'serial0', role: 'viewer' });
    expect(detach).toMatchObject({
      user: 'victor',
      domain: 'web-1',
      console: 'serial0',
      role: 'viewer',
      code: 1000,
    });
  });

  it('closes with a reason cut to 123 bytes when the hub throws a long non-ASCII error', async () => {
    const original = h.hub.attachVnc.bind(h.hub);
    h.hub.attachVnc = () => {
      throw new VwcError('VWC_ERR_VNC_UNAVAILABLE', `${'ドメイン'.repeat(20)} cannot be opened`);
    };
    try {
      const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }));
      const closed = await closeOf(open.ws);
      expect(closed.code).toBe(new VwcError('VWC_ERR_VNC_UNAVAILABLE', '').wsCloseCode);
      expect(Buffer.byteLength(closed.reason)).toBeLessThanOrEqual(123);
      expect(closed.reason).toMatch(/^ドメイン/);
    } finally {
      h.hub.attachVnc = original;
    }
  });

  it('survives a malformed frame from the browser (the WebSocket has an error listener)', async () => {
    // The fake hub, like a hub that refuses an attach, adds no 'error' listener of its own: a
    // protocol error from the browser must not become an uncaught exception in the daemon.
    for (const route of ['/ws/vnc/web-1', '/ws/serial/web-1/0']) {
      const open = await expectOpen(tryUpgrade(h.wsBase + route, { authorization: ALICE }));
      await open.first;
      const closed = closeOf(open.ws);
      open.ws.on('error', () => undefined);
      // A masked frame with the reserved opcode 3: the server's receiver rejects it.
      (open.ws as unknown as { _socket: { write(b: Buffer): void } })._socket.write(
        Buffer.from([0x83, 0x80, 0, 0, 0, 0]),
      );
      await closed;
    }
    await new Promise((r) => setTimeout(r, 50));
    const again = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE }));
    again.ws.close();
  });
});

describe('console tickets', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.registry.set(fakeVm('web-1'));
    h.registry.set(fakeVm('db-1'));
  });
  afterAll(() => h.close());

  async function ticket(auth: string, body: unknown): Promise<Response> {
    return fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  }

  async function issue(auth: string, body: unknown): Promise<string> {
    const res = await ticket(auth, body);
    expect(res.status).toBe(201);
    const json = (await res.json()) as { ticket: string; expiresAt: string };
    expect(Date.parse(json.expiresAt)).toBeGreaterThan(Date.now() - 60_000);
    return json.ticket;
  }

  it('opens a console once with a ticket and no other credentials, then never again', async () => {
    const t = await issue(VICTOR, { domain: 'web-1', console: 'serial', index: 0 });
    const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/serial/web-1/0?ticket=${t}`));
    expect(JSON.parse((await open.first).data.toString())).toMatchObject({ user: 'victor', role: 'viewer' });
    open.ws.close();
    const again = await expectRefused(tryUpgrade(`${h.wsBase}/ws/serial/web-1/0?ticket=${t}`));
    expect(again).toEqual({ status: 401, code: 'VWC_ERR_TICKET_INVALID' });
  });

  it('expires', async () => {
    const t = await issue(ALICE, { domain: 'web-1', console: 'vnc' });
    h.advance(31_000);
    const r = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1?ticket=${t}`));
    expect(r).toEqual({ status: 401, code: 'VWC_ERR_TICKET_INVALID' });
  });

  it('is bound to one console', async () => {
    const t = await issue(ALICE, { domain: 'web-1', console: 'vnc' });
    const r = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/db-1?ticket=${t}`));
    expect(r.status).toBe(401);
  });

  it('is refused for domains the ACL hides, unknown consoles and bad bodies', async () => {
    expect((await ticket(WEBBY, { domain: 'db-1', console: 'vnc' })).status).toBe(403);
    expect((await ticket(ALICE, { domain: 'nope', console: 'vnc' })).status).toBe(404);
    expect((await ticket(ALICE, { domain: 'web-1', console: 'serial', index: 5 })).status).toBe(404);
    expect((await ticket(ALICE, { domain: 'web-1', console: 'rdp' })).status).toBe(400);
    // A SPICE ticket is a thing; web-1 has no SPICE console.
    expect((await ticket(ALICE, { domain: 'web-1', console: 'spice' })).status).toBe(404);
    const notJson = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { authorization: ALICE, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
  });

  it('refuses a cross-origin ticket request', async () => {
    const res = await fetch(`${h.base}/api/tickets`, {
      method: 'POST',
      headers: { authorization: ALICE, 'content-type': 'application/json', origin: 'http://evil.example' },
      body: JSON.stringify({ domain: 'web-1', console: 'vnc' }),
    });
    expect(res.status).toBe(403);
  });

  it('keeps tickets and credentials out of the log', async () => {
    const t = await issue(ALICE, { domain: 'web-1', console: 'vnc' });
    const open = await expectOpen(tryUpgrade(`${h.wsBase}/ws/vnc/web-1?ticket=${t}&x=1`));
    open.ws.close();
    await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1?ticket=${t}`));
    const all = h.logs.raw.join('\n');
    expect(all).not.toContain(t);
    expect(all).not.toContain(ALICE.slice('Basic '.length));
    expect(all).not.toContain('alice-pw');
    expect(all).toContain('ticket=[redacted]');
  });
});
