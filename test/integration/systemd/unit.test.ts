// contrib/virt-webconsole.service: systemd accepts it, every path the daemon writes by default
// lies in a folder it makes writable, and the daemon's first start works inside its file-system
// sandbox (built by bwrap, see unit-file.ts: systemd is not PID 1 here), including SIGHUP.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePaths } from '../../../src/app/write-paths.js';
import { loadConfig } from '../../../src/config/index.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { insideOne, readSection, sandboxArgs, writableDirs } from './unit-file.js';

const UNIT = path.join(REPO_ROOT, 'contrib/virt-webconsole.service');
const unitText = readFileSync(UNIT, 'utf8');
const service = readSection(unitText, 'Service');
const CLI = path.join(REPO_ROOT, 'dist/src/cli.js');
/** Where contrib/nginx.conf expects the daemon's socket. */
const NGINX_SOCKET = '/run/virt-webconsole/http.sock';

describe('the systemd unit, read', () => {
  it('passes systemd-analyze verify', () => {
    // The installed command may not exist here; verify checks that ExecStart is executable.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-unit-'));
    const copy = path.join(dir, 'virt-webconsole.service');
    writeFileSync(copy, unitText.replace('/usr/bin/virt-webconsole', `${process.execPath} ${CLI}`));
    try {
      const out = execFileSync('systemd-analyze', ['verify', copy], { encoding: 'utf8', stdio: 'pipe' });
      expect(out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes every default write path writable under ProtectSystem=strict', () => {
    expect(service.get('ProtectSystem')).toEqual(['strict']);
    const dirs = writableDirs(service);
    const defaults = loadConfig({ argv: [], env: {} });
    const behindNginx = loadConfig({ argv: ['--listen', `unix:${NGINX_SOCKET}`], env: {} });
    const paths = [...writePaths(defaults), ...writePaths(behindNginx)];
    expect(paths).toContain('/etc/virt-webconsole/users');
    expect(paths).toContain(NGINX_SOCKET);
    for (const file of paths)
      expect({ file, writable: insideOne(file, dirs) }).toEqual({ file, writable: true });
    // And the check itself can fail: a path elsewhere is not writable.
    expect(insideOne('/usr/lib/virt-webconsole/x', dirs)).toBe(false);
  });

  it('reloads with SIGHUP and runs the installed command', () => {
    expect(service.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(service.get('ExecStart')?.[0]).toMatch(/^\/usr\/bin\/virt-webconsole serve /);
  });
});

describe('the daemon in the unit sandbox (bwrap)', () => {
  const domains = new TestDomains();
  const host = mkdtempSync(path.join(os.tmpdir(), 'vwc-sandbox-'));
  const stand = {
    '/etc/virt-webconsole': path.join(host, 'etc'),
    '/var/lib/virt-webconsole': path.join(host, 'state'),
    '/run/virt-webconsole': path.join(host, 'run'),
  };
  const socket = path.join(stand['/run/virt-webconsole'], 'http.sock');
  let guest: TestDomain;
  let daemon: ChildProcess;
  let output = '';

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    guest = await domains.create({ label: 'unit', serials: ['pty'], vnc: 'none' });
    for (const dir of Object.values(stand)) mkdirSync(dir, { mode: 0o700 });
    // What an operator writes before the first start (as the .deb's conffile would hold).
    writeFileSync(
      path.join(stand['/etc/virt-webconsole'], 'config.json'),
      JSON.stringify({
        listen: { address: `unix:${NGINX_SOCKET}`, socketGroup: 'www-data' },
        trustedProxies: ['unix'],
        discovery: { include: [`vwct-${runId()}-*`] },
      }),
    );
    const command = service
      .get('ExecStart')![0]!
      .replace('/usr/bin/virt-webconsole', `${process.execPath} ${CLI}`);
    const args = [...sandboxArgs(service, stand, [REPO_ROOT]), ...command.split(' ')];
    daemon = spawn('bwrap', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    daemon.stdout!.on('data', (b: Buffer) => (output += b.toString()));
    daemon.stderr!.on('data', (b: Buffer) => (output += b.toString()));
    const deadline = Date.now() + 30_000;
    while ((await get('/healthz').catch(() => 0)) !== 200) {
      if (daemon.exitCode !== null || Date.now() > deadline) throw new Error(`no start:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });

  /** bwrap waits for its child and dies of a signal meant for it; signals go to the daemon itself. */
  function signalDaemon(signal: NodeJS.Signals): void {
    const [pid] = execFileSync('pgrep', ['-P', String(daemon.pid)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    process.kill(Number(pid), signal);
  }

  afterAll(async () => {
    if (daemon.exitCode === null && daemon.signalCode === null) {
      const exited = new Promise((r) => daemon.once('exit', r));
      signalDaemon('SIGTERM');
      await exited;
    }
    await domains.cleanup();
    rmSync(host, { recursive: true, force: true });
    expect(daemon.exitCode).toBe(0);
  });

  function get(route: string, auth?: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const headers = auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
      http
        .get({ socketPath: socket, path: route, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
        .on('error', reject);
    });
  }

  function adminPassword(): string {
    return readFileSync(
      path.join(stand['/var/lib/virt-webconsole'], 'initial-admin-password'),
      'utf8',
    ).trim();
  }

  it('creates the users file and a root-only password file on first start, and logs only where it is', async () => {
    const password = adminPassword();
    expect(
      statSync(path.join(stand['/var/lib/virt-webconsole'], 'initial-admin-password')).mode & 0o777,
    ).toBe(0o600);
    expect(readFileSync(path.join(stand['/etc/virt-webconsole'], 'users'), 'utf8')).toMatch(
      /^admin:\$2[aby]\$/,
    );
    expect(output).toContain('/var/lib/virt-webconsole/initial-admin-password');
    expect(output).not.toContain(password);
    expect(await get(`/api/domains/${guest.name}`, `admin:${password}`)).toBe(200);
  });

  it('gives the socket group www-data so nginx may connect', () => {
    const st = statSync(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o660);
    expect(st.gid).toBe(
      Number(execFileSync('getent', ['group', 'www-data'], { encoding: 'utf8' }).split(':')[2]),
    );
  });

  it('applies a new ACL on SIGHUP', async () => {
    const password = adminPassword();
    const configFile = path.join(stand['/etc/virt-webconsole'], 'config.json');
    const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
    writeFileSync(configFile, JSON.stringify({ ...config, users: { admin: { domains: ['nothing-*'] } } }));
    signalDaemon('SIGHUP');
    const deadline = Date.now() + 10_000;
    while ((await get(`/api/domains/${guest.name}`, `admin:${password}`)) !== 403) {
      if (Date.now() > deadline) throw new Error(`the ACL was not applied:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(output).toMatch(/"msg":"reloaded"/);
  });
});
