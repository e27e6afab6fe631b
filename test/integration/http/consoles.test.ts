// The HTTP layer in front of the real bridges and a real guest: roles reach the bridges
// (a viewer cannot type on serial or VNC), the ACL and unknown names are refused before the
// handshake, and history is served from the real mux.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, type TestDomain } from '../../../harness/libvirt/domains.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { ALICE, VICTOR, WEBBY, expectRefused, tryUpgrade } from '../../../harness/http-server.js';
import { RfbTestClient } from '../vnc/rfb-client.js';
import { SerialClient, startStack, until, type Stack } from './stack.js';

describe('HTTP layer with the real bridges and a guest', () => {
  const domains = new TestDomains();
  let domain: TestDomain;
  let stack: Stack;
  let operator: SerialClient;
  let name: string;

  beforeAll(async () => {
    domain = await domains.create({ label: 'http', serials: ['pty'], vnc: 'unix' });
    name = domain.name;
    stack = await startStack([name]);
    await until('the serial console', () => stack.hub.serialAvailable(name, 0).ok);
    operator = await SerialClient.open(`${stack.wsBase}/ws/serial/${encodeURIComponent(name)}/0`, {
      authorization: ALICE,
    });
    await operator.waitForPrompt(promptFor('ttyS0'));
  });
  afterAll(async () => {
    operator.close();
    await stack.close();
    await domains.cleanup();
  });

  async function ticket(auth: string, body: unknown): Promise<string> {
    const res = await fetch(`${stack.base}/api/tickets`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { ticket: string }).ticket;
  }

  it('lets an operator type on serial', async () => {
    await operator.run('echo op-$((6*7))\r', '\r\nop-42\r\n');
    const hello = operator.messages.find((m) => m.type === 'hello');
    expect(hello).toMatchObject({ user: 'alice', role: 'operator' });
  });

  it('drops what a viewer types on serial', async () => {
    const viewer = await SerialClient.open(`${stack.wsBase}/ws/serial/${encodeURIComponent(name)}/0`, {
      authorization: VICTOR,
    });
    try {
      await until('hello', () => viewer.messages.find((m) => m.type === 'hello'));
      expect(viewer.messages.find((m) => m.type === 'hello')).toMatchObject({
        user: 'victor',
        role: 'viewer',
      });
      viewer.type('echo viewer-$((6*7))\r');
      await operator.run('echo after-$((6*7))\r', '\r\nafter-42\r\n');
      await viewer.waitFor('\r\nafter-42\r\n');
      expect(operator.text).not.toContain('viewer-');
      expect(viewer.text).not.toContain('viewer-');
    } finally {
      viewer.close();
    }
  });

  it('serves history from the real mux with offsets', async () => {
    const res = await fetch(`${stack.base}/api/domains/${encodeURIComponent(name)}/serial/0/history?from=0`, {
      headers: { authorization: ALICE },
    });
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer()).toString('latin1');
    expect(body).toContain('op-42');
    expect(Number(res.headers.get('x-vwc-end'))).toBeGreaterThanOrEqual(body.length);
  });

  it('lets a VNC operator type and drops a VNC viewer’s keys (tty1 writes to ttyS0)', async () => {
    const viewer = await RfbTestClient.overWebSocket(
      `${stack.wsBase}/ws/vnc/${encodeURIComponent(name)}?ticket=${await ticket(VICTOR, { domain: name, console: 'vnc' })}`,
    );
    const op = await RfbTestClient.overWebSocket(
      `${stack.wsBase}/ws/vnc/${encodeURIComponent(name)}?ticket=${await ticket(ALICE, { domain: name, console: 'vnc' })}`,
    );
    try {
      viewer.type('echo vncview-$((6*7)) > /dev/ttyS0\n');
      // The tty1 shell may still be starting: repeat until the operator's line arrives.
      const deadline = Date.now() + 60_000;
      while (!operator.text.includes('vncop-42')) {
        op.type('echo vncop-$((6*7)) > /dev/ttyS0\n');
        try {
          await operator.waitFor('vncop-42', 5_000);
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      expect(operator.text).not.toContain('vncview-42');
    } finally {
      viewer.close();
      op.close();
    }
  });

  it('refuses what the ACL hides and unknown consoles before the handshake', async () => {
    const hidden = await expectRefused(
      tryUpgrade(`${stack.wsBase}/ws/serial/${encodeURIComponent(name)}/0`, { authorization: WEBBY }),
    );
    expect(hidden).toEqual({ status: 403, code: 'VWC_ERR_FORBIDDEN' });
    const list = await fetch(`${stack.base}/api/domains`, { headers: { authorization: WEBBY } });
    expect(((await list.json()) as { name: string }[]).map((d) => d.name)).not.toContain(name);
    const unknown = await expectRefused(
      tryUpgrade(`${stack.wsBase}/ws/vnc/no-such-domain-${name}`, { authorization: ALICE }),
    );
    expect(unknown.status).toBe(404);
    const noPort = await expectRefused(
      tryUpgrade(`${stack.wsBase}/ws/serial/${encodeURIComponent(name)}/5`, { authorization: ALICE }),
    );
    expect(noPort.status).toBe(404);
  });
});
