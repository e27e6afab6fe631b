// SIGHUP's reload on a running daemon (fake discovery and hub, real HTTPS server): a renewed
// certificate serves new connections while open ones stay; a broken pair changes nothing; new
// ACLs apply at once; other changed settings are reported as needing a restart.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDaemon, type Daemon } from '../../../src/app/index.js';
import { loadConfig, type Config } from '../../../src/config/index.js';
import { createLogger, setUser } from '../../../src/http/index.js';
import { ALICE, fakeDaemonParts } from '../../../harness/http-server.js';
import { freePort } from '../../../harness/ports.js';
import { selfSignedCert } from '../../../harness/tls.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-reload-'));
const live = { cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
const configFile = path.join(dir, 'config.json');
let port = 0;
let daemon: Daemon;

function writeConfig(extra: Record<string, unknown>): Config {
  const usersFile = path.join(dir, 'users');
  writeFileSync(
    configFile,
    JSON.stringify({ listen: `127.0.0.1:${port}`, usersFile, webDir: dir, tls: live, ...extra }),
  );
  return loadConfig({ argv: ['--config', configFile], env: {} });
}

function pairIn(name: string): { cert: string; key: string } {
  const sub = path.join(dir, name);
  mkdirSync(sub);
  return selfSignedCert(sub);
}

function install(pair: { cert: string; key: string }): void {
  copyFileSync(pair.cert, live.cert);
  copyFileSync(pair.key, live.key);
}

/** The fingerprint of the certificate a new TLS connection is shown; the socket stays open. */
function connect(): Promise<tls.TLSSocket & { fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
      resolve(Object.assign(socket, { fingerprint: socket.getPeerCertificate().fingerprint256 }));
    });
    socket.once('error', reject);
  });
}

function status(route: string): Promise<number> {
  return new Promise((resolve, reject) => {
    https
      .get(
        {
          host: '127.0.0.1',
          port,
          path: route,
          rejectUnauthorized: false,
          agent: false,
          headers: { authorization: ALICE },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
}

const first = pairIn('first');
const second = pairIn('second');

beforeAll(async () => {
  setUser(path.join(dir, 'users'), 'alice', 'alice-pw', 'operator', 10);
  install(first);
  port = await freePort();
  const config = writeConfig({ users: { alice: { domains: ['web-*'] } } });
  daemon = await startDaemon(config, fakeDaemonParts().parts, createLogger('silent'), () => undefined);
});

afterAll(async () => {
  await daemon.stop('test over');
  rmSync(dir, { recursive: true, force: true });
});

describe('daemon.reload', () => {
  it('serves a renewed certificate to new connections and keeps open ones', async () => {
    const before = await connect();
    install(second);
    const result = daemon.reload(writeConfig({ users: { alice: { domains: ['web-*'] } } }));
    expect(result).toEqual({ applied: ['usersFile', 'users', 'tls'], restartNeeded: [], errors: [] });
    const after = await connect();
    expect(after.fingerprint).not.toBe(before.fingerprint);
    // The connection made before the reload still works, with its old certificate.
    const answer = await new Promise<string>((resolve) => {
      before.once('data', (b: Buffer) => {
        resolve(b.toString());
      });
      before.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1.1 200/);
    before.destroy();
    after.destroy();
  });

  it('keeps the old pair when the new files are not a certificate and key', async () => {
    const served = (await connect()).fingerprint;
    writeFileSync(live.key, 'not a key\n');
    const result = daemon.reload(writeConfig({ users: { alice: { domains: ['web-*'] } } }));
    expect(result.applied).not.toContain('tls');
    expect(result.errors).toEqual([
      expect.stringMatching(/not a usable certificate and key.*the old pair stays/),
    ]);
    const still = await connect();
    expect(still.fingerprint).toBe(served);
    still.destroy();
    install(second);
  });

  it('applies new ACLs at once and names settings that need a restart', async () => {
    expect(await status('/api/domains/web-1')).toBe(200);
    const result = daemon.reload(
      writeConfig({ users: { alice: { domains: ['db-*'] } }, logLevel: 'debug', listen: '127.0.0.1:1' }),
    );
    expect(result.restartNeeded).toEqual(['listen', 'logLevel']);
    expect(result.applied).toContain('users');
    expect(await status('/api/domains/web-1')).toBe(403);
  });
});
