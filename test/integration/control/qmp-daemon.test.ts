// A socket-folder VM through the whole daemon: a real QEMU (the test guest) started by the test
// with `-qmp unix:FOLDER/NAME.qmp`, `-vnc unix:FOLDER/NAME.vnc` and a serial socket in a socket
// folder the daemon watches. Its power actions go through the QMP socket (API → control →
// QMP), and its thumbnail is a QMP `screendump` in PNG.
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pngjs from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic } from '../../../harness/http-server.js';
import { PASS_THROUGH_BYTES } from '../../../src/control/thumbnails/index.js';
import { BOOT_BANNER, REPO_ROOT, spawnHandQemu } from '../../../harness/libvirt/guest.js';
import { startDaemon, type RunningDaemon } from '../../helpers/daemon.js';
import { until } from '../http/stack.js';

const alice = { name: 'alice', password: 'alice-pw', role: 'operator' } as const;
const victor = { name: 'victor', password: 'victor-pw', role: 'viewer' } as const;
const ALICE = basic(alice.name, alice.password);
const VICTOR = basic(victor.name, victor.password);

describe('a socket-folder VM with NAME.qmp through the daemon', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-qmp-folder-'));
  const name = `vwct-qmp-${process.pid}`;
  let qemu: ChildProcess;
  let exited: Promise<number | null>;
  let daemon: RunningDaemon;
  const api = (suffix = ''): string => `${daemon.url}/api/domains/${encodeURIComponent(name)}${suffix}`;

  beforeAll(async () => {
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: REPO_ROOT, stdio: 'inherit' });
    const socket = (file: string): string => path.join(dir, file);
    qemu = spawnHandQemu([
      ...['-qmp', `unix:${socket(`${name}.qmp`)},server=on,wait=off`],
      ...['-vnc', `unix:${socket(`${name}.vnc`)}`],
      ...['-chardev', `socket,id=s0,path=${socket(`${name}.serial0`)},server=on,wait=off`],
      ...['-serial', 'chardev:s0'],
    ]);
    exited = new Promise((resolve) => qemu.once('exit', resolve));
    daemon = await startDaemon({
      users: [alice, victor],
      config: {
        discovery: { mode: 'socket-folder', socketFolders: [dir] },
        thumbnails: { intervalSeconds: 2 },
      },
    });
  });

  afterAll(async () => {
    qemu.kill('SIGKILL');
    const code = await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(0);
  });

  async function history(): Promise<string> {
    const res = await fetch(api('/serial/0/history'), { headers: { authorization: ALICE } });
    return Buffer.from(await res.arrayBuffer()).toString('latin1');
  }
  const boots = async (): Promise<number> => (await history()).split(BOOT_BANNER).length - 1;

  async function act(action: string, auth = ALICE): Promise<{ status: number; body: unknown }> {
    const res = await fetch(api(`/actions/${action}`), { method: 'POST', headers: { authorization: auth } });
    return { status: res.status, body: await res.json() };
  }

  it('lists the QMP actions, and shows the screen as a PNG with an ETag (304 when unchanged)', async () => {
    await until('the VM running with its QMP socket', async () => {
      const res = await fetch(api(), { headers: { authorization: ALICE } });
      if (!res.ok) return false;
      const item = (await res.json()) as { state: string; actions: string[] };
      return item.state === 'running' && item.actions.includes('reset');
    });
    const item = (await (await fetch(api(), { headers: { authorization: ALICE } })).json()) as {
      actions: string[];
    };
    expect(item.actions).toEqual(['shutdown', 'reset', 'force-off', 'pause', 'resume']);
    await until('the first boot', async () => (await boots()) === 1);

    // Viewers may see thumbnails.
    const res = await fetch(api('/thumbnail'), { headers: { authorization: VICTOR } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const etag = res.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    // QEMU 7.2 writes the screendump as PNG (format=png); a text console compresses to a few
    // KiB, so the daemon sends it as QEMU wrote it, at the screen's size.
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.length).toBeLessThanOrEqual(PASS_THROUGH_BYTES);
    const png = pngjs.PNG.sync.read(bytes);
    expect(png.width).toBeGreaterThanOrEqual(640);
    expect(png.height).toBeGreaterThanOrEqual(400);

    const again = await fetch(api('/thumbnail'), {
      headers: { authorization: ALICE, 'if-none-match': etag! },
    });
    expect(again.status).toBe(304);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    // Counted in /metrics (loopback scrape, the default).
    const metrics = await (await fetch(`${daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/^vwc_thumbnail_captures_total\{result="ok"\} [1-9]/m);
  });

  it('pauses, resumes and resets through QMP, refuses viewers and start, and forces off', async () => {
    expect(await act('pause', VICTOR)).toMatchObject({
      status: 403,
      body: { error: { code: 'VWC_ERR_FORBIDDEN' } },
    });
    expect(await act('start')).toMatchObject({
      status: 409,
      body: { error: { code: 'VWC_ERR_ACTION_UNSUPPORTED' } },
    });
    expect(await act('pause')).toEqual({
      status: 200,
      body: { domain: name, action: 'pause', result: 'ok' },
    });
    expect(await act('resume')).toMatchObject({ status: 200 });
    // A reset reboots the guest: its serial console (held by the daemon) sees a second boot.
    expect(await act('reset')).toMatchObject({ status: 200 });
    await until('the second boot', async () => (await boots()) === 2);
    expect(await act('force-off')).toMatchObject({ status: 200 });
    expect(await exited).not.toBeUndefined();
    // QEMU is gone: its sockets refuse, so the VM is stopped and has no thumbnail.
    await until('the VM stopped', async () => {
      const res = await fetch(api(), { headers: { authorization: ALICE } });
      return ((await res.json()) as { state: string }).state === 'shutoff';
    });
    const thumb = await fetch(api('/thumbnail'), { headers: { authorization: ALICE } });
    expect(thumb.status).toBe(409);
    expect(await thumb.json()).toMatchObject({ error: { code: 'VWC_ERR_DOMAIN_STOPPED' } });
    // QEMU removed NAME.qmp when it quit: the VM has no control channel left.
    expect(await act('reset')).toMatchObject({
      status: 409,
      body: { error: { code: 'VWC_ERR_ACTION_UNSUPPORTED' } },
    });
    const audit = daemon
      .output()
      .split('\n')
      .filter((l) => l.includes('"audit":"power"') && l.includes(name));
    expect(audit.some((l) => l.includes('"action":"force-off"') && l.includes('"result":"ok"'))).toBe(true);
  });
});
