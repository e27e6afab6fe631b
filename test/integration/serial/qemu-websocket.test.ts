// The QEMU websocket chardev connector against a real QEMU (started by hand, as a socket-folder
// VM would be: `-chardev socket,…,websocket=on` on a UNIX socket): a command typed through it
// reaches the guest's shell and its answer comes back. The command is 130 bytes: QEMU hands a
// frame to the guest only as far as the UART's 16-byte FIFO has room, so this fails unless input
// goes out in 16-byte frames paced for the guest to drain (measured: back to back, bytes are
// lost; one 64-byte frame delivers 16).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  connectSerial,
  QEMU_WS_INPUT_FRAME_BYTES,
  type SerialUpstream,
} from '../../../src/bridge/upstream/index.js';
import { promptFor, spawnHandQemu } from '../../helpers/guest.js';
import { until } from './harness.js';

describe('QEMU websocket chardev, real QEMU', () => {
  const dir = mkdtempSync('/tmp/vwc-qemu-ws-');
  const socketPath = path.join(dir, 'serial0.ws');
  let qemu: ChildProcess | undefined;
  let upstream: SerialUpstream | undefined;

  afterAll(() => {
    upstream?.close();
    qemu?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('types a command longer than one input frame and reads its answer', async () => {
    qemu = spawnHandQemu([
      ...['-chardev', `socket,id=s0,path=${socketPath},server=on,wait=off,websocket=on`],
      ...['-serial', 'chardev:s0'],
    ]);
    await until('the websocket chardev socket', () => existsSync(socketPath), 30_000);

    const received: Buffer[] = [];
    const text = (): string => Buffer.concat(received).toString('latin1');
    upstream = await connectSerial(
      { kind: 'websocket', path: socketPath },
      {
        data: (chunk) => {
          received.push(chunk);
          // Answer the shell's cursor query as a terminal would (busybox ash waits for it).
          if (chunk.includes('\x1b[6n')) upstream?.write(Buffer.from('\x1b[24;80R'));
        },
        drain: () => undefined,
        closed: () => undefined,
      },
    );
    expect(upstream.description).toContain('qemu-websocket');

    // Output before we connected is gone (QEMU drops it): press Enter until the shell prompts.
    const prompt = promptFor('ttyS0');
    let pressedAt = 0;
    await until(
      'the shell prompt',
      () => {
        if (text().includes(prompt)) return true;
        if (Date.now() - pressedAt > 500) {
          pressedAt = Date.now();
          upstream!.write(Buffer.from('\r'));
        }
        return undefined;
      },
      90_000,
    );
    const command = `echo websocket-$((6*7)) ${'x'.repeat(100)} done\r`;
    expect(command.length).toBeGreaterThan(QEMU_WS_INPUT_FRAME_BYTES);
    const since = text().length;
    upstream.write(Buffer.from(command));
    // The shell's answer holds every byte of the command after `echo `, in order.
    await until(
      () => `the answer; got ${JSON.stringify(text().slice(-400))}`,
      () =>
        text()
          .slice(since)
          .includes(`websocket-42 ${'x'.repeat(100)} done\r\n`) || undefined,
      30_000,
    );
  });
});
