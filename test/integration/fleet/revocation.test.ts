// Fleet hardening with real daemons on loopback: two hosts (fake QEMUs in socket folders) and
// entries that share a key and a users file. A logout at one entry ends the session at every
// entry, through the hosts: at a sibling that had taken the cookie in, at an entry started
// after the logout, and (once a host is back) after a logout made while no host was reachable.
// And a flood of bad entry tickets at a host locks its address out like wrong passwords do,
// while another address's good ticket still opens its console.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeQemuFolder, type FakeFolder } from '../../../harness/fake-qemu-folder.js';
import { expectOpen, expectRefused, tryUpgrade } from '../../../harness/http-server.js';
import { readPrivateKey, signTicket, writeKeyPair } from '../../../src/fleet/index.js';
import { freePort, startDaemon, type RunningDaemon, type TestUser } from '../../helpers/daemon.js';

const alice: TestUser = { name: 'alice', password: 'alice-pw', role: 'operator' };
const HOSTS = ['h1', 'h2'] as const;
/** h2's lockout: this many failed logins (bad tickets) from one address within the window. */
const MAX_FAILURES = 3;

describe('fleet: logout at every entry, failed tickets limited', () => {
  let dir: string;
  let keys: { privateKeyFile: string; publicKeyFile: string };
  let usersFile: string;
  const fakes: FakeFolder[] = [];
  const hosts = new Map<string, RunningDaemon>();
  const hostConfigs = new Map<string, { port: number; config: Record<string, unknown> }>();
  const entries: RunningDaemon[] = [];

  async function startHost(name: string): Promise<void> {
    const { port, config } = hostConfigs.get(name)!;
    hosts.set(name, await startDaemon({ users: [], port, config }));
  }

  async function startEntry(): Promise<RunningDaemon> {
    const entry = await startDaemon({
      users: [],
      config: {
        usersFile,
        fleet: {
          entry: {
            privateKeyFile: keys.privateKeyFile,
            hosts: HOSTS.map((name) => ({
              name,
              url: `http://127.0.0.1:${hostConfigs.get(name)!.port}`,
              tokenFile: path.join(dir, `token-${name}`),
            })),
          },
        },
      },
    });
    entries.push(entry);
    return entry;
  }

  /** Until the entry's links to every host are up (its first snapshots are in). */
  async function hostsUp(entry: RunningDaemon, cookie: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const res = await fetch(`${entry.url}/api/fleet/hosts`, { headers: { cookie } });
      const list = res.status === 200 ? ((await res.json()) as { state: string }[]) : [];
      if (list.length === HOSTS.length && list.every((h) => h.state === 'up')) return;
      if (Date.now() > deadline) throw new Error(`hosts not up at ${entry.url}: ${JSON.stringify(list)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Logs in with the login form (a form post, as the page sends it); the cookie. */
  async function formLogin(entry: RunningDaemon): Promise<string> {
    const res = await fetch(`${entry.url}/api/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: entry.url },
      body: new URLSearchParams({ username: alice.name, password: alice.password, next: '/' }).toString(),
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/^vwc_session=.+\..+/);
    return cookie;
  }

  async function logout(entry: RunningDaemon, cookie: string): Promise<void> {
    const res = await fetch(`${entry.url}/api/logout`, {
      method: 'POST',
      headers: { cookie, origin: entry.url },
    });
    expect(res.status).toBe(204);
  }

  const session = async (
    entry: RunningDaemon,
    cookie: string,
  ): Promise<{ status: number; code?: string }> => {
    const res = await fetch(`${entry.url}/api/session`, { headers: { cookie } });
    const body = (await res.json()) as { user?: string; error?: { code: string } };
    return res.status === 200 ? { status: 200 } : { status: res.status, code: body.error?.code ?? '' };
  };

  /** Until the entry refuses the cookie (the revocation travels entry → host → entry). */
  async function refusedAt(entry: RunningDaemon, cookie: string): Promise<{ status: number; code?: string }> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await session(entry, cookie);
      if (answer.status !== 200 || Date.now() > deadline) return answer;
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-fleet-revoke-'));
    chmodSync(dir, 0o755);
    keys = writeKeyPair(path.join(dir, 'keys'));
    for (const name of HOSTS) {
      const tokenFile = path.join(dir, `token-${name}`);
      writeFileSync(tokenFile, `${name}-token-${'y'.repeat(24)}\n`, { mode: 0o600 });
      const folder = path.join(dir, `qemu-${name}`);
      mkdirSync(folder);
      fakes.push(await startFakeQemuFolder(folder, 1, `${name}-vm`, { changing: false }));
      const config = {
        discovery: { mode: 'socket-folder', socketFolders: [folder] },
        fleet: { host: { name, entryPublicKeyFiles: [keys.publicKeyFile], entryTokenFile: tokenFile } },
        loginRateLimit: { maxFailures: MAX_FAILURES, windowSeconds: 600 },
      };
      hostConfigs.set(name, { port: await freePort(), config });
      await startHost(name);
    }
    usersFile = path.join(dir, 'entry-users');
    writeFileSync(usersFile, `alice:${bcrypt.hashSync(alice.password, 4)}:operator\n`, { mode: 0o600 });
  }, 120_000);

  afterAll(async () => {
    for (const daemon of [...entries, ...hosts.values()]) await daemon.stop();
    for (const fake of fakes) await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('locks out an address that brings bad tickets, as for wrong passwords; another address still gets in', async () => {
    const h2 = hosts.get('h2')!;
    const key = readPrivateKey(keys.privateKeyFile);
    const grant = {
      user: 'alice',
      role: 'operator' as const,
      host: 'h2',
      domain: 'h2-vm000',
      console: 'vnc' as const,
    };
    const url = (ticket: string): string => `ws://127.0.0.1:${h2.port}/ws/vnc/h2-vm000?ticket=${ticket}`;
    // Forged (another user under the same signature), for another host, expired: each refused.
    const genuine = signTicket(key, grant, 30_000, Date.now()).ticket;
    const [payload, signature] = genuine.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    const bad = [
      `${Buffer.from(JSON.stringify({ ...claims, user: 'mallory' })).toString('base64url')}.${signature}`,
      signTicket(key, { ...grant, host: 'h1' }, 30_000, Date.now()).ticket,
      signTicket(key, grant, 30_000, Date.now() - 60_000).ticket,
    ];
    for (const ticket of bad) {
      expect(await expectRefused(tryUpgrade(url(ticket)))).toEqual({
        status: 401,
        code: 'VWC_ERR_FLEET_TICKET_INVALID',
      });
    }
    // Locked out: even a good ticket from this address is refused, before it is looked at.
    const locked = await tryUpgrade(url(genuine));
    if (locked.kind !== 'refused') throw new Error('a locked-out address got in');
    expect(locked.status).toBe(429);
    expect((JSON.parse(locked.body) as { error: { code: string } }).error.code).toBe('VWC_ERR_RATE_LIMITED');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // The same good ticket (not used up by the refusal) from another address opens its console.
    const opened = await expectOpen(tryUpgrade(url(genuine), {}, { localAddress: '127.0.0.2' }));
    opened.ws.close();
    const failed = h2
      .output()
      .split('\n')
      .filter((line) => line.includes('"msg":"login failed"'))
      .map((line) => JSON.parse(line) as { client: string; via: string });
    expect(failed).toHaveLength(MAX_FAILURES);
    expect(failed.every((f) => f.client === '127.0.0.1' && f.via === 'fleet-ticket')).toBe(true);
  });

  it('ends a session at every entry when it logs out at one, an entry started later included', async () => {
    const a = await startEntry();
    const b = await startEntry();
    const cookie = await formLogin(a);
    await hostsUp(a, cookie);
    await hostsUp(b, cookie);
    expect(await session(b, cookie)).toEqual({ status: 200 });
    await logout(a, cookie);
    expect(await session(a, cookie)).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
    expect(await refusedAt(b, cookie)).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
    // An entry that was not running at the logout learns it from the hosts before it lists them.
    const c = await startEntry();
    const other = await formLogin(c);
    await hostsUp(c, other);
    expect(await session(c, cookie)).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
    expect(await session(c, other)).toEqual({ status: 200 });
  }, 120_000);

  it('spreads a logout made while no host was reachable once a host is back', async () => {
    const [a, b] = entries as [RunningDaemon, RunningDaemon];
    const cookie = await formLogin(a);
    expect(await session(b, cookie)).toEqual({ status: 200 });
    for (const name of HOSTS) await hosts.get(name)!.stop();
    await logout(a, cookie);
    const warned = (): boolean => a.output().includes('logout reached no fleet host');
    const deadline = Date.now() + 30_000;
    while (!warned() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(warned()).toBe(true);
    // Said plainly in docs/fleet-backend.md: until a host takes it, the siblings accept the cookie.
    expect(await session(b, cookie)).toEqual({ status: 200 });
    await startHost('h1');
    expect(await refusedAt(b, cookie)).toEqual({ status: 401, code: 'VWC_ERR_SESSION_EXPIRED' });
  }, 120_000);
});
