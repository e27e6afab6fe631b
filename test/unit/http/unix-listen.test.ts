// Listening on a UNIX socket for a reverse proxy: mode 0660, a stale socket replaced, and
// X-Forwarded-* believed from the socket's peer only when `unix` is a trusted proxy.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebServer, setUser, UserStore, type WebServer } from '../../../src/http/index.js';
import { ALICE, FakeHub, FakeRegistry, testHttpConfig } from '../../../harness/http-server.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-unix-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function get(socketPath: string, route: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get({ socketPath, path: route, headers }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

/** A web server on fakes that will listen on `listen` (a UNIX socket). */
function unixServer(listen: { path: string; group: string | null; mode: number }): WebServer {
  const registry = new FakeRegistry();
  return createWebServer({
    config: testHttpConfig(dir),
    logger: pino({ level: 'silent' }),
    registry,
    hub: new FakeHub(registry),
    users: new UserStore(path.join(dir, 'users'), 'viewer'),
    listen: { kind: 'unix', ...listen },
  });
}

describe('UNIX socket listener', () => {
  it('serves on a 0660 socket, replacing a stale one, and rate-limits by forwarded address', async () => {
    const usersFile = path.join(dir, 'users');
    setUser(usersFile, 'alice', 'alice-pw', 'operator', 10);
    const socketPath = path.join(dir, 'vwc.sock');
    // A stale socket file from a crashed run (Node would unlink its own on close).
    execFileSync('python3', [
      '-c',
      'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
      socketPath,
    ]);
    expect(statSync(socketPath).isSocket()).toBe(true);
    writeFileSync(path.join(dir, 'list.html'), 'list');
    const registry = new FakeRegistry();
    const web = createWebServer({
      config: testHttpConfig(dir, {
        trustedProxies: ['unix'],
        loginRateLimit: { maxFailures: 2, windowSeconds: 60 },
      }),
      logger: pino({ level: 'silent' }),
      registry,
      hub: new FakeHub(registry),
      users: new UserStore(usersFile, 'viewer'),
      listen: { kind: 'unix', path: socketPath, group: null, mode: 0o660 },
    });
    try {
      expect(await web.listen()).toBe(`unix:${socketPath}`);
      expect(statSync(socketPath).mode & 0o777).toBe(0o660);
      expect(await get(socketPath, '/', { authorization: ALICE })).toBe(200);
      const wrong = { authorization: 'Basic YWxpY2U6bm8=', 'x-forwarded-for': '192.0.2.1' };
      expect(await get(socketPath, '/', wrong)).toBe(401);
      expect(await get(socketPath, '/', wrong)).toBe(401);
      expect(await get(socketPath, '/', { ...wrong, authorization: ALICE })).toBe(429);
      // Another client behind the same proxy is not affected.
      expect(await get(socketPath, '/', { authorization: ALICE, 'x-forwarded-for': '192.0.2.2' })).toBe(200);
    } finally {
      await web.shutdown('test over', 200);
    }
  });

  it('refuses to replace a file that is not a socket', async () => {
    const file = path.join(dir, 'not-a-socket');
    writeFileSync(file, 'x');
    const web = unixServer({ path: file, group: null, mode: 0o660 });
    await expect(web.listen()).rejects.toThrow(/exists and is not a socket/);
  });

  it('gives the socket the configured group and mode, so nginx (www-data) may connect', async () => {
    const socketPath = path.join(dir, 'group.sock');
    const web = unixServer({ path: socketPath, group: 'www-data', mode: 0o660 });
    try {
      await web.listen();
      const st = statSync(socketPath);
      expect(st.gid).toBe(
        Number(execFileSync('getent', ['group', 'www-data'], { encoding: 'utf8' }).split(':')[2]),
      );
      expect(st.mode & 0o777).toBe(0o660);
    } finally {
      await web.shutdown('test over', 200);
    }
  });

  it('refuses an unknown socket group before it listens', async () => {
    const socketPath = path.join(dir, 'nogroup.sock');
    const web = unixServer({ path: socketPath, group: 'no-such-group-vwc', mode: 0o660 });
    await expect(web.listen()).rejects.toThrow(/listen.socketGroup: no group "no-such-group-vwc"/);
    expect(statSync(socketPath, { throwIfNoEntry: false })).toBeUndefined();
  });
});
