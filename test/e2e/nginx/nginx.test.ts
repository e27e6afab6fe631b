// The production setup of contrib/nginx.conf, in a browser: Debian's nginx (root master,
// www-data workers) terminates TLS and proxies pages, the event stream and the console
// WebSockets to the real daemon on a UNIX socket owned by group www-data; Chromium talks only to
// nginx. The nginx site is contrib/nginx.conf itself with only its socket path, ports and
// certificate replaced (harness/nginx.ts), so a wrong example fails here.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, saveScreenshot, type Browser } from '../../helpers/browser.js';
import { freePort, startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestDomains, type TestDomain, runId } from '../../../harness/libvirt/domains.js';
import { promptFor } from '../../../harness/libvirt/guest.js';
import { contribSite, startNginx, type RunningNginx } from '../../../harness/nginx.js';
import { selfSignedCert } from '../../../harness/tls.js';
import { expectLiveList, litPixels, termText, typeUntilPrompt, waitFor } from '../web/probes.js';

const operator = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
}

describe('nginx in front (contrib/nginx.conf), TLS, UNIX socket, Chromium', () => {
  const domains = new TestDomains();
  let shared: Browser | undefined;
  let dir: string;
  let ca: Buffer;
  let guest: TestDomain;
  let spare: TestDomain;
  let daemon: RunningDaemon | undefined;
  let nginx: RunningNginx | undefined;
  /** A daemon whose socket is 0600: nginx's workers (www-data) may not connect. */
  let closedDaemon: RunningDaemon | undefined;
  let closedNginx: RunningNginx | undefined;
  let origin: string;
  let redirectPort: number;
  let closedOrigin: string;

  /** One nginx from contrib/nginx.conf in front of the daemon listening on `socket`. */
  async function nginxFor(name: string, socket: string): Promise<[RunningNginx, number, number]> {
    const folder = path.join(dir, name);
    mkdirSync(folder);
    const httpsPort = await freePort();
    const httpPort = await freePort();
    const site = contribSite({
      socket,
      httpsPort,
      httpPort,
      cert: path.join(dir, 'cert.pem'),
      key: path.join(dir, 'key.pem'),
    });
    return [await startNginx({ dir: folder, site, ports: [httpsPort, httpPort] }), httpsPort, httpPort];
  }

  /** The daemon on `<dir>/<name>/http.sock`, group www-data, serving this run's domains (or none). */
  function daemonOn(name: string, socketMode: string, include: string): Promise<RunningDaemon> {
    const folder = path.join(dir, name);
    // As the systemd unit's RuntimeDirectory (0755): nginx's workers may reach the socket.
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    const socketPath = path.join(folder, 'http.sock');
    return startDaemon({
      socketPath,
      users: [operator],
      config: {
        listen: { address: `unix:${socketPath}`, socketGroup: 'www-data', socketMode },
        trustedProxies: ['unix'],
        discovery: { include: [include] },
      },
    });
  }

  /** One Chromium for every test (a launch costs seconds); each test opens its own pages. */
  async function browser(): Promise<Browser> {
    shared ??= await launchBrowser({
      httpCredentials: { username: operator.name, password: operator.password },
      ignoreHTTPSErrors: true,
    });
    return shared;
  }

  /** One request through nginx (the certificate checked against the test's own). */
  function request(url: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const get = url.startsWith('https:') ? https.get : http.get;
      const req = get(url, { headers, ca }, (res) => {
        res.resume();
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers });
        });
      });
      req.on('error', reject);
    });
  }

  const basic = (user: string, password: string): Record<string, string> => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-nginx-'));
    chmodSync(dir, 0o755);
    selfSignedCert(dir);
    ca = readFileSync(path.join(dir, 'cert.pem'));
    guest = await domains.create({ label: 'nginx-main', serials: ['pty'], vnc: 'unix' });
    spare = await domains.create({ label: 'nginx-spare', serials: ['pty'], vnc: 'none', start: false });
    daemon = await daemonOn('run', '0660', `vwct-${runId()}-*`);
    closedDaemon = await daemonOn('run-closed', '0600', `vwct-${runId()}-none-*`);
    let port: number;
    [nginx, port, redirectPort] = await nginxFor('nginx', path.join(dir, 'run/http.sock'));
    origin = `https://127.0.0.1:${port}`;
    [closedNginx, port] = await nginxFor('nginx-closed', path.join(dir, 'run-closed/http.sock'));
    closedOrigin = `https://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await shared?.close();
    const nginxCodes = [await nginx?.stop(), await closedNginx?.stop()];
    const daemonCodes = [await daemon?.stop(), await closedDaemon?.stop()];
    await domains.cleanup();
    rmSync(dir, { recursive: true, force: true });
    expect(nginxCodes).toEqual([0, 0]);
    expect(daemonCodes).toEqual([0, 0]);
  });

  it('lists the guests over HTTP/2 and follows a start and a stop live (the event stream is not buffered)', async () => {
    const page = await (await browser()).context.newPage();
    await page.goto(origin + '/');
    expect(
      await page.evaluate(
        () => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol,
      ),
    ).toBe('h2');
    // No reload from here on: only the event stream through nginx can change the rows.
    await expectLiveList(page, guest.name, spare);
    await saveScreenshot(page, 'nginx-list.png', false);
  });

  it('keeps more event streams open than HTTP/1.1 allows connections, and still answers', async () => {
    // Every page (list and console) holds /api/events open; over HTTP/1.1 Chromium keeps at
    // most six connections per site, so a seventh tab would wait for one to close. HTTP/2
    // (contrib's listen line) carries them all on one connection.
    const page = await (await browser()).context.newPage();
    await page.goto(origin + '/');
    const result = await page.evaluate(async () => {
      const streams = Array.from({ length: 8 }, () => new EventSource('/api/events'));
      try {
        const snapshots = streams.map(
          (source) =>
            new Promise<void>((resolve) => {
              source.addEventListener('snapshot', () => {
                resolve();
              });
            }),
        );
        const answered = Promise.all(snapshots).then(async () => (await fetch('/api/domains')).status);
        const late = new Promise<string>((resolve) =>
          setTimeout(() => {
            resolve('timed out');
          }, 10_000),
        );
        return await Promise.race([answered, late]);
      } finally {
        for (const source of streams) source.close();
      }
    });
    expect(result).toBe(200);
  });

  it("shows the guest's screen in the VNC console over wss through nginx", async () => {
    const page = await (await browser()).context.newPage();
    await page.goto(`${origin}/console/${encodeURIComponent(guest.name)}/vnc`);
    // Text on a black VGA screen lights a few thousand pixels; a blank canvas lights none.
    await waitFor('VGA text in the canvas', async () => (await litPixels(page)) > 500, 60_000);
    await saveScreenshot(page, 'nginx-console-vnc.png', false);
  });

  it('shows the login prompt on the serial console and the output of a typed command', async () => {
    const page = await (await browser()).context.newPage();
    await page.goto(`${origin}/console/${encodeURIComponent(guest.name)}/serial/0`);
    await typeUntilPrompt(page, promptFor('ttyS0'));
    await page.keyboard.type('echo via-nginx-$((6*7))\n');
    await waitFor('via-nginx-42', async () => (await termText(page)).includes('\nvia-nginx-42'));
    await saveScreenshot(page, 'nginx-console-serial.png', false);
  });

  it("logged the console attaches above with the browser's address from X-Forwarded-For", () => {
    // Without trustedProxies ["unix"] (or the header) the client would be `unix`, nginx's side
    // of the socket. The WebSockets' Origin check passed too: it compares Origin with X-Forwarded-Proto://Host.
    const attaches = logLines(daemon!.output()).filter((l) => l.msg === 'console attach');
    // The VNC tab opens its screen and its control channel (presence and the input lock).
    expect(attaches.map((l) => l.console).sort()).toEqual(['serial0', 'vnc', 'vnc-control']);
    for (const line of attaches) expect(line).toMatchObject({ user: operator.name, client: '127.0.0.1' });
  });

  it('answers 401 without credentials, and a forged X-Forwarded-For does not choose the address', async () => {
    // Not a browser page load (no Accept: text/html): the Basic challenge, not the login form.
    const bare = await request(origin + '/');
    expect(bare.status).toBe(401);
    expect(bare.headers['www-authenticate']).toMatch(/^Basic/);
    expect(bare.headers['strict-transport-security']).toBe('max-age=31536000');

    const forged = await request(origin + '/api/domains', {
      ...basic('xff-probe', 'wrong-pw'),
      'x-forwarded-for': '203.0.113.9',
    });
    expect(forged.status).toBe(401);
    // nginx appends the address it sees; the daemon reads the list from the right.
    await waitFor('failed login logged', () =>
      logLines(daemon!.output()).some((l) => l.msg === 'login failed' && l.user === 'xff-probe'),
    );
    const failed = logLines(daemon!.output()).filter(
      (l) => l.msg === 'login failed' && l.user === 'xff-probe',
    );
    expect(failed.map((l) => l.client)).toEqual(['127.0.0.1']);

    const ok = await request(
      `${origin}/api/domains/${encodeURIComponent(guest.name)}`,
      basic(operator.name, operator.password),
    );
    expect(ok.status).toBe(200);
    expect(ok.headers['strict-transport-security']).toBe('max-age=31536000');
  });

  it('logs in through the form behind nginx: a Secure cookie opens the serial console, Log out ends it', async () => {
    const fresh = await launchBrowser({ ignoreHTTPSErrors: true });
    try {
      const page = await fresh.context.newPage();
      const consolePath = `/console/${encodeURIComponent(guest.name)}/serial/0`;
      await page.goto(origin + consolePath);
      expect(new URL(page.url()).pathname).toBe('/login');
      await page.locator('#username').fill(operator.name);
      await page.locator('#password').fill(operator.password);
      await page.locator('button[type=submit]').click();
      await page.waitForURL((url) => url.pathname === consolePath);
      const [cookie] = await fresh.context.cookies(origin);
      // Secure because nginx says X-Forwarded-Proto: https.
      expect(cookie).toMatchObject({ name: 'vwc_session', httpOnly: true, secure: true, sameSite: 'Strict' });
      // The history shows what the test above typed (its page still holds the write lock).
      await waitFor('serial history', async () => (await termText(page)).includes('via-nginx-42'));
      await page.locator('button[data-action=logout]').click();
      await page.waitForURL((url) => url.pathname === '/login');
      expect(await fresh.context.cookies(origin)).toEqual([]);
      const old = await request(origin + '/api/session', { cookie: `vwc_session=${cookie!.value}` });
      expect(old.status).toBe(401);
    } finally {
      await fresh.close();
    }
  });

  it('redirects plain HTTP to https', async () => {
    const reply = await request(`http://127.0.0.1:${redirectPort}/console/x?y=1`);
    expect(reply.status).toBe(301);
    // $host: the default port, as in production.
    expect(reply.headers.location).toBe('https://127.0.0.1/console/x?y=1');
  });

  it('gets 502 from nginx when the socket gives its group no access (socketMode 0600)', async () => {
    const reply = await request(closedOrigin + '/healthz');
    expect(reply.status).toBe(502);
    expect(closedNginx!.errorLog()).toMatch(
      /connect\(\) to unix:\S*run-closed\/http\.sock failed \(13: Permission denied\)/,
    );
    // That daemon is up (startDaemon asked its /healthz over the socket as root, whom the mode
    // does not stop). Both sockets belong to group www-data; only their mode differs.
    const wwwData = Number(execFileSync('id', ['-g', 'www-data'], { encoding: 'utf8' }).trim());
    const socketOf = (name: string) => statSync(path.join(dir, name, 'http.sock'));
    expect([socketOf('run-closed').gid, socketOf('run-closed').mode & 0o777]).toEqual([wwwData, 0o600]);
    expect([socketOf('run').gid, socketOf('run').mode & 0o777]).toEqual([wwwData, 0o660]);
    const open = await request(origin + '/healthz');
    expect(open.status).toBe(200);
  });
});

interface LogLine {
  readonly msg?: string;
  readonly [key: string]: unknown;
}

function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}
