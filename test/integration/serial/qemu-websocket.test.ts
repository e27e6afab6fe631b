// The QEMU websocket chardev connector against a real QEMU (started by hand, as a socket-folder
// VM would be: `-chardev socket,…,websocket=on` on a UNIX socket). QEMU hands a frame to the
// guest only as far as the UART's 16-byte FIFO has room and drops the rest (measured: frames
// back to back lose bytes; one 64-byte frame delivers 16), so input must go out in 16-byte frames
// paced for the guest to drain. Checked twice: a 130-byte command typed through the connector,
// and a 16 KiB paste through the UpstreamLink the serial mux uses, whose queued input is written
// from inside the connector's `drain` (that path once sent frames back to back: half the paste
// was lost).
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UpstreamLink } from '../../../src/bridge/serial/link.js';
import { connectSerial, QEMU_WS_INPUT_FRAME_BYTES } from '../../../src/bridge/upstream/index.js';
import { promptFor, spawnHandQemu } from '../../../harness/libvirt/guest.js';
import { until } from './harness.js';

const PROMPT = promptFor('ttyS0');
/** Without escape sequences (line editing, cursor queries): what the shell printed. */
// eslint-disable-next-line no-control-regex -- stripping terminal escape sequences
const plain = (text: string): string => text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');

/** A console on the websocket chardev through an UpstreamLink, answering ESC[6n as a terminal does. */
class Console {
  text = '';
  connected = false;
  readonly link: UpstreamLink;

  constructor(socketPath: string) {
    this.link = new UpstreamLink(
      connectSerial,
      {
        data: (chunk) => {
          this.text += chunk.toString('latin1');
          // busybox ash asks for the cursor position after a prompt and waits for the answer.
          if (chunk.includes('\x1b[6n')) this.link.write(Buffer.from('\x1b[24;80R'));
        },
        inputBlocked: () => undefined,
        connected: () => {
          this.connected = true;
        },
        disconnected: () => {
          this.connected = false;
        },
      },
      pino({ level: 'silent' }),
    );
    this.link.want({ kind: 'websocket', path: socketPath });
  }

  /** Presses Enter every half second until the shell prompts (output before we came is gone). */
  async prompt(): Promise<void> {
    await until('connected', () => this.connected, 30_000);
    let pressedAt = 0;
    await until(
      'the shell prompt',
      () => {
        if (this.text.includes(PROMPT)) return true;
        if (Date.now() - pressedAt > 500) {
          pressedAt = Date.now();
          this.link.write(Buffer.from('\r'));
        }
        return undefined;
      },
      90_000,
    );
  }

  /** Runs `command` and returns what it printed before the next prompt. */
  async run(command: string, timeoutMs = 30_000): Promise<string> {
    const since = this.text.length;
    this.link.write(Buffer.from(`${command}; echo END-$((40+2))\r`));
    const out = await until(
      () => `the end of ${JSON.stringify(command)}; got ${JSON.stringify(this.text.slice(-300))}`,
      () => /\r\nEND-42\r\n/.exec(plain(this.text.slice(since))) && plain(this.text.slice(since)),
      timeoutMs,
    );
    return out.slice(0, out.indexOf('END-42'));
  }
}

describe('QEMU websocket chardev, real QEMU', () => {
  const dir = mkdtempSync('/tmp/vwc-qemu-ws-');
  const socketPath = path.join(dir, 'serial0.ws');
  let qemu: ChildProcess | undefined;
  let shell: Console | undefined;

  beforeAll(async () => {
    qemu = spawnHandQemu([
      ...['-chardev', `socket,id=s0,path=${socketPath},server=on,wait=off,websocket=on`],
      ...['-serial', 'chardev:s0'],
    ]);
    await until('the websocket chardev socket', () => existsSync(socketPath), 30_000);
    shell = new Console(socketPath);
    await shell.prompt();
  });

  afterAll(() => {
    shell?.link.close();
    qemu?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('types a command longer than one input frame and reads its answer', async () => {
    const tail = 'x'.repeat(100);
    const command = `echo websocket-$((6*7)) ${tail} done`;
    expect(command.length).toBeGreaterThan(QEMU_WS_INPUT_FRAME_BYTES * 8);
    // The answer holds every byte of the command after `echo `, in order.
    expect(await shell!.run(command)).toContain(`websocket-42 ${tail} done\r\n`);
  });

  it('delivers a 16 KiB paste whole, written in browser-sized pieces', async () => {
    await shell!.run('stty -echo');
    const line = `${'p'.repeat(63)}\r`;
    const paste = Buffer.from(line.repeat(256)); // 16 KiB: four times the connector's queue mark
    shell!.link.write(Buffer.from('cat > /tmp/paste\r'));
    await new Promise((resolve) => setTimeout(resolve, 500));
    // As a browser sends it: 1 KiB frames; the link queues what the connector cannot take yet
    // and writes it from inside the connector's drain.
    for (let at = 0; at < paste.length; at += 1024) shell!.link.write(paste.subarray(at, at + 1024));
    // End cat's input (Ctrl-D): it goes out after the paste, in order (about 10 s at 16 bytes
    // per 10 ms), and so does the count.
    shell!.link.write(Buffer.from('\x04'));
    const counted = await shell!.run('wc -c < /tmp/paste; stty echo', 30_000);
    expect(counted).toMatch(new RegExp(`(^|\\s)${paste.length}\\r\\n`));
  });
});
