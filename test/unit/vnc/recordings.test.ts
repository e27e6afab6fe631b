// The recordings manager (src/bridge/vnc/recording/recordings.ts): one recording per VM, the
// state pushed on start and stop, a recording past its size going on in a new file, retention by
// total size, the config's domains started with their VM and not restarted behind an operator
// who stopped them. The VNC server here is a minimal RFB server on a UNIX socket (a fake: these
// rules need screens that change on demand and sizes in kilobytes, which a real guest's QEMU
// does not give in a unit test; the real one is in test/integration/vnc/recording.test.ts).
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeRegistry, silentLogger } from '../../../harness/registry.js';
import { vncVm } from '../../../harness/vnc-server.js';
import {
  PLAYBACK_HANDSHAKE,
  VncRecordings,
  decodeRecording,
  type RecordingState,
  type VncRecordingOptions,
} from '../../../src/bridge/vnc/recording/index.js';

/** RFB 3.8, security None, a 64×32 screen; every update request is answered with `updateBytes` of raw pixels. */
class TinyRfbServer {
  readonly server: net.Server;
  readonly sockets = new Set<net.Socket>();
  updateBytes = 256;

  constructor(readonly path: string) {
    this.server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      let stage = 0;
      let pending = Buffer.alloc(0);
      socket.write('RFB 003.008\n');
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        const need = [12, 1, 1][stage];
        if (need !== undefined) {
          if (pending.length < need) return;
          pending = pending.subarray(need);
          stage += 1;
          if (stage === 1) socket.write(Buffer.from([1, 1]));
          if (stage === 2) socket.write(Buffer.from([0, 0, 0, 0]));
          if (stage === 3) {
            const init = Buffer.alloc(24 + 4);
            init.writeUInt16BE(64, 0);
            init.writeUInt16BE(32, 2);
            init.writeUInt32BE(4, 20);
            init.write('tiny', 24);
            socket.write(init);
          }
        }
        // After the handshake: answer each FramebufferUpdateRequest (10 bytes) with a raw rect.
        for (let i = 0; stage === 3 && i + 10 <= pending.length;) {
          if (pending[i] === 3) {
            socket.write(this.update());
            i += 10;
          } else
            i +=
              pending[i] === 0 ? 20 : pending[i] === 2 ? 4 + 4 * pending.readUInt16BE(i + 2) : pending.length;
          if (i >= pending.length) pending = Buffer.alloc(0);
        }
      });
    });
  }

  private update(): Buffer {
    const header = Buffer.alloc(16);
    header[0] = 0;
    header.writeUInt16BE(1, 2);
    header.writeUInt16BE(64, 8);
    header.writeUInt16BE(Math.max(1, Math.floor(this.updateBytes / 256)), 10);
    return Buffer.concat([header, Buffer.alloc(this.updateBytes, 0x41)]);
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.path, resolve));
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => {
      this.server.close(() => {
        resolve();
      });
    });
  }
}

async function until<T>(what: string, probe: () => T | undefined | null | false, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('VncRecordings', () => {
  let dir: string;
  let server: TinyRfbServer;
  let registry: FakeRegistry;
  let recordings: VncRecordings;
  let changes: [string, RecordingState | null][];

  const make = (options: Partial<VncRecordingOptions>): VncRecordings => {
    recordings = new VncRecordings({
      root: path.join(dir, 'rec'),
      registry,
      logger: silentLogger,
      options: { flushMs: 10, updateIntervalMs: 10, ...options },
      onChange: (vm, state) => changes.push([vm, state]),
    });
    recordings.start();
    return recordings;
  };
  const files = (): string[] =>
    readdirSync(path.join(dir, 'rec')).flatMap((d) =>
      readdirSync(path.join(dir, 'rec', d))
        .filter((f) => f.endsWith('.vncrec'))
        .map((f) => path.join(dir, 'rec', d, f)),
    );

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-recs-'));
    server = new TinyRfbServer(path.join(dir, 'vnc.sock'));
    await server.listen();
    registry = new FakeRegistry();
    registry.set(vncVm('web1', { transport: 'unix', path: server.path }));
    changes = [];
  });
  afterEach(async () => {
    await recordings.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records, tells on start and stop, and a second start returns the same recording', async () => {
    make({});
    const state = await recordings.begin('web1', 'alice');
    expect(await recordings.begin('web1', 'bob')).toEqual(state);
    expect(changes).toEqual([['web1', state]]);
    await until('a few updates', () => recordings.list('web1')[0]!.bytes > 2000);
    await recordings.end('web1', 'stopped', 'alice');
    expect(changes.at(-1)).toEqual(['web1', null]);
    const [file] = files();
    const decoded = decodeRecording(readFileSync(file!));
    expect(decoded.start).toMatchObject({ by: 'alice', width: 64, height: 32, name: 'tiny' });
    expect(decoded.end).toEqual({ kind: 'end', reason: 'stopped', by: 'alice' });
    const first = decoded.records.find((r) => r.type === 'data');
    expect(first?.type === 'data' ? first.data.subarray(0, PLAYBACK_HANDSHAKE.length) : null).toEqual(
      PLAYBACK_HANDSHAKE,
    );
    expect(recordings.list('web1')).toMatchObject([{ by: 'alice', active: false, width: 64 }]);
  });

  it('a recording past maxBytesPerRecording goes on in a new file that continues it', async () => {
    make({ maxBytesPerRecording: 8 * 1024 });
    server.updateBytes = 1024;
    const first = await recordings.begin('web1', 'alice');
    await until('a second file', () => recordings.state('web1') && recordings.state('web1')!.id !== first.id);
    const list = recordings.list('web1');
    const old = list.find((r) => r.id === first.id)!;
    expect(old.active).toBe(false);
    const next = list.find((r) => r.active)!;
    expect(next.by).toBe('alice');
    await until(
      'the new file has its start',
      () => decodeRecording(readFileSync(files().find((f) => f.includes(next.id))!)).start,
    );
    expect(decodeRecording(readFileSync(files().find((f) => f.includes(first.id))!)).end?.reason).toBe(
      'size limit',
    );
    expect(decodeRecording(readFileSync(files().find((f) => f.includes(next.id))!)).start?.continues).toBe(
      first.id,
    );
    // Viewers saw the recording go on: the last change names the new one.
    expect(changes.at(-1)![1]?.id).toBe(next.id);
  });

  it('deletes the oldest recordings past maxTotalBytes, never the one under way', async () => {
    make({ maxBytesPerRecording: 4 * 1024, maxTotalBytes: 12 * 1024 });
    server.updateBytes = 1024;
    await recordings.begin('web1', 'alice');
    await until('several rotations', () => changes.length >= 8);
    await recordings.end('web1', 'stopped', 'alice');
    const total = files().reduce((sum, f) => sum + readFileSync(f).length, 0);
    expect(total).toBeLessThanOrEqual(12 * 1024 + 4 * 1024);
    expect(files().length).toBeLessThan(changes.filter(([, s]) => s !== null).length);
  });

  it('records the config domains when they run; an operator stop holds until the VM starts again', async () => {
    make({ autoRecord: (name) => name === 'web1' });
    await until('the config recording', () => recordings.state('web1'));
    expect(recordings.state('web1')!.by).toBe('config');
    await recordings.end('web1', 'stopped', 'alice');
    registry.set({ ...registry.get('web1')!, title: 'changed' });
    await new Promise((r) => setTimeout(r, 100));
    expect(recordings.state('web1')).toBeNull();
    // Stopped and started again (a new libvirt id): recorded again.
    registry.set({ ...registry.get('web1')!, state: 'shutoff', id: null });
    registry.set({ ...registry.get('web1')!, state: 'running', id: 2 });
    await until('recorded again', () => recordings.state('web1'));
  });

  it('ends the recording when the VM stops, and refuses a stopped VM', async () => {
    make({});
    await recordings.begin('web1', 'alice');
    registry.set({ ...registry.get('web1')!, state: 'shutoff', id: null });
    await until('ended', () => changes.at(-1)?.[1] === null);
    expect(decodeRecording(readFileSync(files()[0]!)).end?.reason).toBe('domain stopped');
    await expect(recordings.begin('web1', 'alice')).rejects.toMatchObject({
      code: 'VWC_ERR_RECORDING_UNAVAILABLE',
    });
  });
});
