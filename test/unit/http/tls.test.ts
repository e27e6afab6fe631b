// TLS: with a certificate and key configured the server speaks HTTPS and wss on the same port,
// and the Origin check expects the https scheme.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALICE,
  expectOpen,
  expectRefused,
  fakeVm,
  startHarness,
  tryUpgrade,
  type Harness,
} from '../../../harness/http-server.js';
import { selfSignedCert } from '../../../harness/tls.js';

describe('TLS', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-tls-'));
  let ca: Buffer;
  let h: Harness;

  beforeAll(async () => {
    const tls = selfSignedCert(dir);
    ca = readFileSync(tls.cert);
    h = await startHarness({ config: { tls } });
    h.registry.set(fakeVm('web-1'));
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the API over HTTPS with HSTS', async () => {
    expect(h.base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const { status, headers, body } = await new Promise<{
      status: number;
      headers: Record<string, unknown>;
      body: string;
    }>((resolve, reject) => {
      https
        .get(`${h.base}/api/session`, { ca, headers: { authorization: ALICE } }, (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => {
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
          });
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ user: 'alice', role: 'operator', via: 'basic' });
    expect(headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('serves consoles over wss, verifying the certificate', async () => {
    const host = new URL(h.base).host;
    expect(h.wsBase).toMatch(/^wss:/);
    const open = await expectOpen(
      tryUpgrade(
        `${h.wsBase}/ws/serial/web-1/0`,
        { authorization: ALICE, origin: `https://${host}` },
        { ca },
      ),
    );
    expect(JSON.parse((await open.first).data.toString())).toMatchObject({ user: 'alice' });
    open.ws.close();
    const plainOrigin = await expectRefused(
      tryUpgrade(`${h.wsBase}/ws/serial/web-1/0`, { authorization: ALICE, origin: `http://${host}` }, { ca }),
    );
    expect(plainOrigin).toEqual({ status: 403, code: 'VWC_ERR_ORIGIN' });
    const anonymous = await expectRefused(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, {}, { ca }));
    expect(anonymous.status).toBe(401);
  });

  it('refuses clients that do not trust the certificate', async () => {
    await expect(tryUpgrade(`${h.wsBase}/ws/vnc/web-1`, { authorization: ALICE })).rejects.toThrow(
      /self.signed|certificate/i,
    );
  });
});
