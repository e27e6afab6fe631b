// Talks to a guest's serial port directly (pty, UNIX socket or TCP) for rig tests and as the
// reference the daemon's own connectors are checked against.
import { openSync, constants as fsConstants, closeSync } from 'node:fs';
import net from 'node:net';
import tty from 'node:tty';
import type { Duplex } from 'node:stream';

export class ConsoleProbe {
  private buffer = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private closed = false;

  constructor(
    input: NodeJS.ReadableStream,
    private readonly output: NodeJS.WritableStream,
    private readonly release: () => void,
  ) {
    input.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      for (const w of this.waiters.splice(0)) w();
    });
    input.on('error', () => undefined);
    input.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Everything read so far, as latin1 text (bytes preserved one to one). */
  get text(): string {
    return this.buffer.toString('latin1');
  }

  write(data: string | Buffer): void {
    this.output.write(data);
  }

  /** Waits until the text read so far matches; returns the match. */
  async waitFor(pattern: RegExp | string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.text;
      if (typeof pattern === 'string') {
        if (text.includes(pattern)) return pattern;
      } else {
        const m = pattern.exec(text);
        if (m) return m[0];
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) {
        throw new Error(
          `console: ${String(pattern)} not seen in ${timeoutMs} ms; got ${JSON.stringify(text.slice(-400))}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Forgets what was read so far (so the next waitFor sees only new output). */
  clear(): void {
    this.buffer = Buffer.alloc(0);
  }

  close(): void {
    this.release();
  }

  /** Opens a pty non-blocking, not as controlling terminal, in raw mode (see DESIGN.md). */
  static pty(path: string): ConsoleProbe {
    const fd = openSync(path, fsConstants.O_RDWR | fsConstants.O_NOCTTY | fsConstants.O_NONBLOCK);
    const reader = new tty.ReadStream(fd);
    reader.setRawMode(true);
    const writer = new tty.WriteStream(fd);
    return new ConsoleProbe(reader, writer, () => {
      reader.destroy();
      writer.destroy();
      try {
        closeSync(fd);
      } catch {
        // already closed by the streams
      }
    });
  }

  static async socket(options: net.NetConnectOpts): Promise<ConsoleProbe> {
    const socket: Duplex = await new Promise((resolve, reject) => {
      const s = net.connect(options, () => {
        resolve(s);
      });
      s.once('error', reject);
    });
    return new ConsoleProbe(socket, socket, () => socket.destroy());
  }
}

/** Reads the first `count` bytes a socket sends (e.g. the RFB greeting). */
export async function readGreeting(path: string, count: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ path });
    let data = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no ${count}-byte greeting from ${path} in ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      if (data.length >= count) {
        clearTimeout(timer);
        socket.destroy();
        resolve(data.subarray(0, count));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}
