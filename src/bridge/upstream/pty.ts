// A pty serial (`<serial type='pty'>`, /dev/pts/N). Why it is done this way (measured, see
// docs/serial.md): fs streams on a pty block libuv pool threads (four ptys hang every file
// operation of the process), so reads go through tty.ReadStream, which is event driven. A
// tty.WriteStream makes its handle blocking, which freezes the whole daemon once the guest stops
// draining the pty; it is switched back to non-blocking so `write` reports backpressure instead.
// Reader and writer get a descriptor each, so each stream closes only its own.
import { open, close, constants } from 'node:fs';
import tty from 'node:tty';
import type { SerialUpstream, UpstreamHandlers } from './types.js';

const FLAGS = constants.O_RDWR | constants.O_NOCTTY | constants.O_NONBLOCK;

function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, FLAGS, (error, fd) => {
      if (error) reject(error);
      else resolve(fd);
    });
  });
}

interface BlockingHandle {
  setBlocking?: (blocking: boolean) => number;
}

export async function connectPty(path: string, handlers: UpstreamHandlers): Promise<SerialUpstream> {
  const readFd = await openFd(path);
  let writeFd: number;
  try {
    writeFd = await openFd(path);
  } catch (error) {
    close(readFd, () => undefined);
    throw error;
  }
  let reader: tty.ReadStream;
  let writer: tty.WriteStream;
  try {
    // Throws ERR_TTY_INIT_FAILED when the path is not a terminal: the link retries every
    // second, so the descriptors must not stay behind.
    reader = new tty.ReadStream(readFd);
  } catch (error) {
    close(readFd, () => undefined);
    close(writeFd, () => undefined);
    throw error;
  }
  try {
    // Raw: no echo, no line editing, no signal characters: the bytes pass as they are.
    reader.setRawMode(true);
    writer = new tty.WriteStream(writeFd);
  } catch (error) {
    reader.destroy();
    close(writeFd, () => undefined);
    throw error;
  }
  (writer as unknown as { _handle?: BlockingHandle })._handle?.setBlocking?.(false);

  let done = false;
  const finish = (error: Error | null): void => {
    if (done) return;
    done = true;
    reader.destroy();
    writer.destroy();
    handlers.closed(error);
  };
  reader.on('data', (chunk: Buffer) => {
    handlers.data(chunk);
  });
  // The VM going away shows as EIO or end-of-file on the pty.
  reader.on('error', (error) => {
    finish((error as NodeJS.ErrnoException).code === 'EIO' ? null : error);
  });
  reader.on('end', () => {
    finish(null);
  });
  reader.on('close', () => {
    finish(null);
  });
  writer.on('error', (error: Error) => {
    finish((error as NodeJS.ErrnoException).code === 'EIO' ? null : error);
  });
  writer.on('drain', () => {
    handlers.drain();
  });
  return {
    description: `pty ${path}`,
    // The line discipline's read buffer; the tty layer holds more behind it before the
    // writer (QEMU) is blocked.
    holdBytes: 4096,
    write: (data) => writer.write(data),
    pause: () => {
      reader.pause();
    },
    resume: () => {
      reader.resume();
    },
    close: () => {
      finish(null);
    },
  };
}
