// Serial consoles over SSH, end to end: the real daemon (dist/src/cli.js serve) with SSH on,
// a real guest under libvirtd, Debian's OpenSSH client (keys, and passwords through sshpass)
// and a browser's WebSocket on the same console. The daemon serves only this run's domains.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { freePort, startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { REPO_ROOT, promptFor } from '../../../harness/libvirt/guest.js';
import { OpenSsh, until, type SshLogin } from './openssh.js';

const USERS = [
  { name: 'alice', password: 'alice-pw', role: 'operator' },
  { name: 'bob', password: 'bob-pw', role: 'operator' },
  { name: 'victor', password: 'victor-pw', role: 'viewer' },
  { name: 'carol', password: 'carol-pw', role: 'operator' },
] as const;
const PROMPT = promptFor('ttyS0');

/** Sends an HTTP request through a local port (retrying until it listens); what came back. */
async function throughTunnel(port: number): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const result = await new Promise<string | null>((resolve) => {
      let answer = '';
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        socket.write('GET /healthz HTTP/1.0\r\n\r\n');
      });
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
      socket.on('error', () => {
        resolve(null);
      });
      socket.on('close', (hadError) => {
        if (!hadError) resolve(answer);
      });
    });
    if (result !== null) return result;
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('serial consoles over SSH (OpenSSH client, real guest)', () => {
  const domains = new TestDomains();
  const sessions: OpenSsh[] = [];
  let daemon: RunningDaemon;
  let guest: TestDomain;
  let dir: string;
  let sshPort: number;
  /** The operator session that runs the guest's commands for the other tests. */
  let main: OpenSsh;

  const login = (user: string, extra: Partial<SshLogin> = {}): SshLogin => ({
    port: sshPort,
    user,
    password: USERS.find((u) => u.name === user)!.password,
    ...extra,
  });
  const ssh = (...args: Parameters<typeof OpenSsh.ssh>): OpenSsh => {
    const session = OpenSsh.ssh(...args);
    sessions.push(session);
    return session;
  };

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-ssh-'));
    mkdirSync(path.join(dir, 'keys'));
    guest = await domains.create({ label: 'ssh', serials: ['pty', 'telnet'], vnc: 'none' });
    sshPort = await freePort();
    daemon = await startDaemon({
      users: USERS,
      config: {
        discovery: { include: [`vwct-${runId()}-*`] },
        stateDir: path.join(dir, 'state'),
        users: { carol: { domains: ['not-this-one-*'] } },
        loginRateLimit: { maxFailures: 3, windowSeconds: 300 },
        ssh: {
          listen: `127.0.0.1:${sshPort}`,
          authorizedKeys: path.join(dir, 'keys', '%u'),
          maxSessionsPerUser: 4,
          historyBytes: 65536,
        },
      },
    });
  });

  afterAll(async () => {
    for (const session of sessions) await session.close();
    const code = await daemon.stop();
    await domains.cleanup();
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  it('makes an ed25519 host key (0600) whose fingerprint ssh-fingerprint prints as ssh-keygen does', () => {
    const keyFile = path.join(dir, 'state', 'ssh_host_ed25519_key');
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const ours = execFileSync(
      process.execPath,
      [path.join(REPO_ROOT, 'dist/src/cli.js'), 'ssh-fingerprint', '--state-dir', path.join(dir, 'state')],
      { encoding: 'utf8', env: { ...process.env, VWC_CONFIG: path.join(daemon.dir, 'config.json') } },
    );
    const keygen = execFileSync('ssh-keygen', ['-l', '-f', keyFile], { encoding: 'utf8' });
    const fingerprint = /SHA256:\S+/.exec(keygen)![0];
    expect(ours).toContain(fingerprint);
    expect(keygen).toContain('(ED25519)');
  });

  it('lists the VMs a user may see when no command is given', async () => {
    const alice = ssh(login('alice'), []);
    expect(await alice.exit).toBe(0);
    expect(alice.text).toContain(guest.name);
    expect(alice.text).toContain(`${guest.name}/serial1`);
    const carol = ssh(login('carol'), []);
    expect(await carol.exit).toBe(0);
    expect(carol.text).not.toContain(guest.name);
    expect(carol.text).toContain('(no VMs you may open)');
    // A domain the ACL hides answers like one that does not exist.
    const hidden = ssh(login('carol'), [guest.name]);
    expect(await hidden.exit).toBe(1);
    expect(hidden.stderr).toContain('VWC_ERR_NOT_FOUND');
  });

  it('reaches the login prompt and runs a command (password through sshpass, -tt)', async () => {
    main = ssh(login('alice'), [guest.name], { tty: true });
    await main.waitFor('you are alice (operator)', 'stderr');
    const deadline = Date.now() + 60_000;
    // The guest may still be booting: press Enter until a prompt comes.
    while (!main.text.includes(PROMPT)) {
      if (Date.now() > deadline) throw new Error(`no prompt: ${main.text.slice(-300)}`);
      main.write('\r');
      await main.waitFor(PROMPT, 'stdout', 700).catch(() => undefined);
    }
    main.write('echo ok-$((6*7))\r');
    await main.waitFor('\nok-42');
    expect(main.stderr).toContain('write lock: yours');
  });

  it('logs in with an ed25519 key from the user authorized_keys file, and not with another', async () => {
    const keyDir = path.join(dir, 'client');
    mkdirSync(keyDir);
    for (const name of ['listed', 'other']) {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(keyDir, name)]);
    }
    writeFileSync(path.join(dir, 'keys', 'alice'), readFileSync(path.join(keyDir, 'listed.pub')));
    const listed = ssh({ port: sshPort, user: 'alice', key: path.join(keyDir, 'listed') }, [
      `${guest.name}:0`,
    ]);
    await listed.waitFor('you are alice (operator)', 'stderr');
    await listed.waitFor('\nok-42'); // history
    await listed.close();
    const other = ssh({ port: sshPort, user: 'alice', key: path.join(keyDir, 'other') }, [guest.name]);
    expect(await other.exit).toBe(255);
    expect(other.stderr).toContain('Permission denied');
  });

  it('replays history on attach, and not with --no-history', async () => {
    const replay = ssh(login('alice'), [guest.name]);
    await replay.waitFor('\nok-42');
    const live = ssh(login('alice'), [`${guest.name}/serial0`, '--no-history']);
    await live.waitFor('you are alice', 'stderr');
    main.write('echo fresh-$((5*5))\r');
    await live.waitFor('\nfresh-25');
    await replay.waitFor('\nfresh-25');
    expect(live.text).not.toContain('ok-42');
    await replay.close();
    await live.close();
  });

  it('does not let a viewer type', async () => {
    const viewer = ssh(login('victor'), [guest.name, '--no-history'], { tty: true });
    await viewer.waitFor('you are victor (viewer, read-only)', 'stderr');
    viewer.write('echo viewer-$((2+3))\r');
    await viewer.waitFor('read-only', 'stderr');
    main.write('echo after-$((4+4))\r');
    await main.waitFor('\nafter-8');
    await viewer.waitFor('\nafter-8');
    expect(main.text).not.toContain('viewer-5');
    expect(viewer.text).not.toContain('viewer-5');
    await viewer.close();
  });

  it('gives an ssh session and a browser WebSocket the same bytes, a shared presence list and one write lock', async () => {
    const watcher = ssh(login('alice'), [guest.name, '--no-history']);
    await watcher.waitFor('you are alice', 'stderr');
    let bytes = Buffer.alloc(0);
    const messages: { type: string; holder?: { user: string } | null; clients?: { user: string }[] }[] = [];
    const ws = new WebSocket(
      `ws://127.0.0.1:${daemon.port}/ws/serial/${encodeURIComponent(guest.name)}/0?last=0`,
      {
        headers: { authorization: `Basic ${Buffer.from('bob:bob-pw').toString('base64')}` },
      },
    );
    ws.on('message', (data, isBinary) => {
      if (isBinary) bytes = Buffer.concat([bytes, data as Buffer]);
      else messages.push(JSON.parse((data as Buffer).toString()) as (typeof messages)[number]);
    });
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    // Presence: the browser sees the ssh sessions, the ssh sessions see the browser.
    await until('presence with alice and bob', () =>
      messages.some(
        (m) =>
          m.type === 'presence' &&
          m.clients!.some((c) => c.user === 'alice') &&
          m.clients!.some((c) => c.user === 'bob'),
      ),
    );
    await watcher.waitFor(/on this console: .*bob/, 'stderr');

    main.write('echo same-$((1+1)); echo same-end\r');
    const done = /\nsame-end\r\n[\s\S]*vwc-guest:ttyS0# /;
    await until('both saw the command and the next prompt', () =>
      [bytes.toString('latin1'), watcher.text].every((t) => done.test(t)),
    );
    const cut = (t: string): string => t.slice(t.indexOf('echo same-'), t.lastIndexOf('same-end') + 8);
    expect(cut(watcher.text)).toContain('\nsame-2');
    expect(cut(bytes.toString('latin1'))).toBe(cut(watcher.text));

    // The browser takes the lock: the ssh operator's keys stop reaching the guest.
    ws.send(JSON.stringify({ type: 'take-lock' }));
    await main.waitFor('held by bob', 'stderr');
    main.write('echo blocked-$((7+1))\r');
    ws.send(Buffer.from('echo web-$((3+4))\r'));
    await main.waitFor('\nweb-7');
    // ~w at a line start takes it back.
    main.write('~w');
    await until('lock back with alice', () =>
      messages.some((m) => m.type === 'lock' && m.holder?.user === 'alice'),
    );
    main.write('echo back-$((3*3))\r');
    await main.waitFor('\nback-9');
    await until('browser saw it', () => bytes.toString('latin1').includes('\nback-9'));
    expect(main.text).not.toContain('blocked-8');
    ws.close();
    await watcher.close();
  });

  it('answers ~? with help, ~b with a reason on a pty and "break sent" on a telnet port, ~. detaches', async () => {
    const pty = ssh(login('alice'), [guest.name, '--no-history']);
    await pty.waitFor('you are alice', 'stderr');
    pty.write('~?');
    await pty.waitFor('~.  - detach from the console', 'stderr');
    pty.write('~b');
    await pty.waitFor('no break:', 'stderr');
    pty.write('~.');
    expect(await pty.exit).toBe(0);
    expect(pty.stderr).toContain('detached');

    const telnet = ssh(login('alice'), [`${guest.name}/serial1`, '--no-history']);
    await telnet.waitFor('you are alice', 'stderr');
    telnet.write('~b');
    await telnet.waitFor('break sent', 'stderr');
    telnet.write('~.');
    expect(await telnet.exit).toBe(0);
  });

  it('runs nothing but console names: no commands, no sftp, no port forwarding', async () => {
    const command = ssh(login('alice'), ['ls', '/']);
    expect(await command.exit).not.toBe(0);
    expect(command.stderr).toMatch(/VWC_ERR_SSH_COMMAND|VWC_ERR_NOT_FOUND/);

    const sftp = OpenSsh.sftp({ ...login('alice'), password: 'alice-pw' });
    sessions.push(sftp);
    expect(await sftp.exit).not.toBe(0);
    expect(sftp.stderr).toMatch(/subsystem request failed|Connection closed/);

    const remote = ssh(login('alice'), [], {
      extra: ['-o', 'ExitOnForwardFailure=yes', '-N', '-R', '0:127.0.0.1:22'],
    });
    expect(await remote.exit).toBe(255);
    expect(remote.stderr).toMatch(/forwarding failed/);

    const localPort = await freePort();
    const local = ssh(login('alice'), [], {
      extra: ['-o', 'ExitOnForwardFailure=yes', '-N', '-L', `${localPort}:127.0.0.1:${daemon.port}`],
    });
    // The listener comes up locally; a connection through it is closed by the ssh client as
    // soon as the server refuses the channel: no byte of the daemon's HTTP answer comes back.
    expect(await throughTunnel(localPort)).toBe('');
    await local.close();
  });

  it('limits sessions per user', async () => {
    const open: OpenSsh[] = [];
    for (let i = 0; i < 4; i += 1) {
      const viewer = ssh(login('victor'), [guest.name, '--no-history']);
      await viewer.waitFor('you are victor', 'stderr');
      open.push(viewer);
    }
    const refused = ssh(login('victor'), [guest.name]);
    expect(await refused.exit).toBe(1);
    expect(refused.stderr).toContain('VWC_ERR_SSH_SESSION_LIMIT');
    for (const viewer of open) await viewer.close();
  });

  it('counts a wrong ssh password in the HTTP lockout of that address and logs it', async () => {
    // From 127.0.0.2, so the other tests' address stays unlocked.
    const from = '127.0.0.2';
    for (let i = 0; i < 3; i += 1) {
      const wrong = ssh({ port: sshPort, user: 'alice', password: 'wrong-pw', bindAddress: from }, [
        guest.name,
      ]);
      expect(await wrong.exit).not.toBe(0);
    }
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(
          {
            host: '127.0.0.1',
            port: daemon.port,
            path: '/api/domains',
            localAddress: from,
            auth: 'alice:alice-pw',
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
        .on('error', reject);
    });
    expect(status).toBe(429);
    // And the right password over SSH is refused too while the address is locked out.
    const right = ssh({ ...login('alice'), bindAddress: from }, []);
    expect(await right.exit).not.toBe(0);
    const failures = daemon
      .output()
      .split('\n')
      .filter((line) => line.includes('"login failed"') && line.includes('"via":"ssh-'));
    expect(failures.length).toBeGreaterThanOrEqual(3);
    expect(failures[0]).toContain('"client":"127.0.0.2"');
    expect(daemon.output()).not.toContain('wrong-pw');
  });

  it('tells open sessions the daemon is shutting down and closes them', async () => {
    const open = ssh(login('alice'), [guest.name, '--no-history']);
    await open.waitFor('you are alice', 'stderr');
    expect(await daemon.stop()).toBe(0);
    expect(await open.exit).toBe(1);
    expect(open.stderr).toContain('server shutting down');
    expect(await main.exit).toBe(1);
  });
});
