// VNC session recording through the real daemon (dist/src/cli.js) with real guests under
// libvirtd: a domain the config records from its start, stopped and started again by an
// operator through the API, the file's stream (normalised handshake, the guest's real
// ServerInit, framebuffer updates with growing times), downloads, who may do what, the audit
// lines, a password-protected screen recorded with the password from libvirt (and again after
// `virsh update-device` changed it), refused with a reason when QEMU's password was changed
// behind libvirt's back, the password never in the API or the log, and the end when the VM stops.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestDomains, runId, type TestDomain } from '../../../harness/libvirt/domains.js';
import { virsh } from '../../../harness/libvirt/virsh.js';
import { REPO_ROOT } from '../../../harness/libvirt/guest.js';
import { ALICE, VICTOR } from '../../../harness/http-server.js';
import { PLAYBACK_HANDSHAKE, decodeRecording } from '../../../src/bridge/vnc/recording/index.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' as const };
const victor = { name: 'victor', password: 'victor-pw', role: 'viewer' as const };

interface Listing {
  recording: { id: string; by: string; since: number } | null;
  recordings: { id: string; by: string; bytes: number; active: boolean; width: number; height: number }[];
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  ms = 60_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('VNC recording through the daemon, real guests', () => {
  const domains = new TestDomains();
  let daemon: RunningDaemon;
  let guest: TestDomain;
  let locked: TestDomain;

  const api = async (
    method: 'GET' | 'POST',
    suffix: string,
    auth = ALICE,
  ): Promise<{ status: number; body: unknown; bytes: Buffer }> => {
    const res = await fetch(`${daemon.url}/api/domains/${suffix}`, {
      method,
      headers: { authorization: auth },
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    let body: unknown = null;
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      // a recording file
    }
    return { status: res.status, body, bytes };
  };
  const listing = async (name: string): Promise<Listing> =>
    (await api('GET', `${encodeURIComponent(name)}/recordings`)).body as Listing;
  const recordingFiles = (): string[] => {
    const root = path.join(daemon.dir, 'state', 'vnc-recordings');
    return readdirSync(root).flatMap((d) =>
      readdirSync(path.join(root, d))
        .filter((f) => f.endsWith('.vncrec'))
        .map((f) => path.join(root, d, f)),
    );
  };
  const fileOf = (id: string): string => recordingFiles().find((f) => f.includes(id))!;

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    guest = await domains.create({ label: 'rec', serials: ['pty'], vnc: 'unix' });
    locked = await domains.create({
      label: 'rec-pw',
      serials: ['pty'],
      vnc: 'unix',
      vncPassword: 'sesame12',
    });
    daemon = await startDaemon({
      users: [alice, victor],
      config: {
        discovery: { include: [`vwct-${runId()}-*`] },
        vncRecording: { domains: [guest.name] },
      },
    });
  });

  afterAll(async () => {
    const code = await daemon.stop();
    await domains.cleanup();
    expect(code).toBe(0);
  });

  it('records a domain named in vncRecording.domains from the start; viewers may not see recordings', async () => {
    const first = await until('the config recording', async () => (await listing(guest.name)).recording);
    expect(first.by).toBe('config');
    const forbidden = await api('GET', `${encodeURIComponent(guest.name)}/recordings`, VICTOR);
    expect(forbidden.status).toBe(403);
    expect(await api('POST', `${encodeURIComponent(guest.name)}/recording/stop`, VICTOR)).toMatchObject({
      status: 403,
    });
  });

  let id: string;

  it('an operator stops it and starts a new one; the file holds the stream with times', async () => {
    const stop = await api('POST', `${encodeURIComponent(guest.name)}/recording/stop`);
    expect(stop.status).toBe(200);
    expect((await listing(guest.name)).recording).toBeNull();
    // The config does not start it again behind the operator's back.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await listing(guest.name)).recording).toBeNull();

    const start = await api('POST', `${encodeURIComponent(guest.name)}/recording/start`);
    expect(start.status).toBe(200);
    const recording = (start.body as Listing).recording!;
    expect(recording.by).toBe('alice');
    id = recording.id;
    // A couple of seconds of the guest's screen (it is booting: the text moves).
    await new Promise((r) => setTimeout(r, 3000));
    const stopped = await api('POST', `${encodeURIComponent(guest.name)}/recording/stop`);
    expect((stopped.body as { stopped: { id: string } }).stopped.id).toBe(id);

    const list = await listing(guest.name);
    expect(list.recordings.map((r) => r.by)).toEqual(['alice', 'config']);
    const mine = list.recordings[0]!;
    expect(mine).toMatchObject({ id, active: false });
    expect(mine.width).toBeGreaterThan(0);

    const decoded = decodeRecording(readFileSync(fileOf(id)));
    expect(decoded.start).toMatchObject({ domain: guest.name, by: 'alice', width: mine.width });
    expect(decoded.end).toMatchObject({ reason: 'stopped', by: 'alice' });
    const data = decoded.records.filter((r) => r.type === 'data');
    const stream = Buffer.concat(data.map((r) => r.data));
    expect(stream.subarray(0, PLAYBACK_HANDSHAKE.length)).toEqual(PLAYBACK_HANDSHAKE);
    // ServerInit: the guest's screen size, then its desktop name.
    const init = stream.subarray(PLAYBACK_HANDSHAKE.length);
    expect(init.readUInt16BE(0)).toBe(mine.width);
    expect(init.readUInt16BE(2)).toBe(mine.height);
    const firstMessage = init.subarray(24 + init.readUInt32BE(20));
    expect(firstMessage[0]).toBe(0); // a FramebufferUpdate: the full first frame
    // Offsets are the stream's, times never go back.
    let offset = 0;
    for (const record of data) {
      expect(record.offset).toBe(offset);
      offset += record.data.length;
    }
    const times = decoded.records.map((r) => r.time);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(stream.length).toBeGreaterThan(1000);
  });

  it('downloads the file as it is on disk, for operators, and audits who did what', async () => {
    const download = await api('GET', `${encodeURIComponent(guest.name)}/recordings/${id}`);
    expect(download.status).toBe(200);
    expect(download.bytes).toEqual(readFileSync(fileOf(id)));
    expect((await api('GET', `${encodeURIComponent(guest.name)}/recordings/${id}`, VICTOR)).status).toBe(403);
    expect((await api('GET', `${encodeURIComponent(guest.name)}/recordings/..%2Fx`)).status).toBe(404);
    const lines = daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('vnc recording'))
      .map((l) => JSON.parse(l) as { msg: string; user?: string; recording?: string; id?: string });
    expect(lines.some((l) => l.msg === 'vnc recording started' && l.user === 'alice' && l.id === id)).toBe(
      true,
    );
    expect(lines.some((l) => l.msg === 'vnc recording stopped' && l.user === 'alice' && l.id === id)).toBe(
      true,
    );
    expect(
      lines.some((l) => l.msg === 'vnc recording downloaded' && l.user === 'alice' && l.recording === id),
    ).toBe(true);
  });

  /** Records `name` for a moment; the file's stream after the normalised handshake. */
  const recordBriefly = async (name: string): Promise<{ width: number; height: number; stream: Buffer }> => {
    const start = await api('POST', `${encodeURIComponent(name)}/recording/start`);
    expect(start.status, JSON.stringify(start.body)).toBe(200);
    const recId = (start.body as Listing).recording!.id;
    await new Promise((r) => setTimeout(r, 1500));
    expect((await api('POST', `${encodeURIComponent(name)}/recording/stop`)).status).toBe(200);
    const mine = (await listing(name)).recordings.find((r) => r.id === recId)!;
    const decoded = decodeRecording(readFileSync(fileOf(recId)));
    const stream = Buffer.concat(decoded.records.filter((r) => r.type === 'data').map((r) => r.data));
    expect(stream.subarray(0, PLAYBACK_HANDSHAKE.length)).toEqual(PLAYBACK_HANDSHAKE);
    return { width: mine.width, height: mine.height, stream: stream.subarray(PLAYBACK_HANDSHAKE.length) };
  };

  it('records a password-protected screen with the password libvirt holds; the file plays without it', async () => {
    const { width, height, stream } = await recordBriefly(locked.name);
    // The guest's ServerInit (its screen size, QEMU's desktop name), then a full first frame.
    expect(width).toBeGreaterThan(0);
    expect(stream.readUInt16BE(0)).toBe(width);
    expect(stream.readUInt16BE(2)).toBe(height);
    const nameLength = stream.readUInt32BE(20);
    expect(stream.subarray(24, 24 + nameLength).toString()).toContain('QEMU');
    const update = stream.subarray(24 + nameLength);
    expect(update[0]).toBe(0); // FramebufferUpdate
    expect(update.readUInt16BE(2)).toBeGreaterThan(0); // rectangles
    // The first rectangle lies on the screen (QEMU tiles the whole screen in many of them).
    const [x, y, w, h] = [4, 6, 8, 10].map((at) => update.readUInt16BE(at)) as [
      number,
      number,
      number,
      number,
    ];
    expect(x + w).toBeLessThanOrEqual(width);
    expect(y + h).toBeLessThanOrEqual(height);
    expect(update.length).toBeGreaterThan(1000);
  });

  it('reads the password again at each start: a password changed with virsh update-device still records', async () => {
    const device = path.join(daemon.dir, 'vnc-device.xml');
    writeFileSync(device, `<graphics type='vnc' socket='${locked.vncSocket!}' passwd='opensesa'/>`);
    await virsh('update-device', locked.name, device, '--live');
    const { stream } = await recordBriefly(locked.name);
    expect(stream.length).toBeGreaterThan(24);
  });

  it('refuses, saying the VM’s password was refused, when QEMU’s password was changed behind libvirt', async () => {
    await virsh(
      'qemu-monitor-command',
      locked.name,
      JSON.stringify({ execute: 'change-vnc-password', arguments: { password: 'behind12' } }),
    );
    const refused = await api('POST', `${encodeURIComponent(locked.name)}/recording/start`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: { code: 'VWC_ERR_RECORDING_UNAVAILABLE' } });
    expect(JSON.stringify(refused.body)).toMatch(/VNC password was refused/);
    expect((await listing(locked.name)).recording).toBeNull();
  });

  it('never shows the VNC password in the API or the log', async () => {
    const seen = [
      JSON.stringify((await api('GET', '')).body),
      JSON.stringify((await api('GET', encodeURIComponent(locked.name))).body),
      JSON.stringify(await listing(locked.name)),
      daemon.output(),
    ].join('\n');
    expect(seen).toContain(locked.name);
    for (const password of ['sesame12', 'opensesa']) expect(seen).not.toContain(password);
    await locked.destroy();
  });

  it('ends the recording when the VM stops', async () => {
    const start = await api('POST', `${encodeURIComponent(guest.name)}/recording/start`);
    const again = (start.body as Listing).recording!.id;
    await guest.destroy();
    await until('the recording to end', async () => (await listing(guest.name)).recording === null);
    const decoded = decodeRecording(readFileSync(fileOf(again)));
    expect(['domain stopped', 'server closed']).toContain(decoded.end?.reason);
  });
});
