// Stand-ins for many QEMUs in a socket folder, for bench/thumbnails.ts: 200 real guests do not
// fit a 2-CPU test machine. Each fake VM listens on NAME.vnc (accepts and holds connections, so
// discovery's probe sees it running; it speaks no RFB) and NAME.qmp, which speaks enough QMP for
// the daemon: the greeting, qmp_capabilities, query-status, and `screendump`, which writes a
// real-size picture (default 720x400, the guest's VGA text console) to the file asked for: a
// PPM, or with `format: 'png'` (QEMU ≥ 7.1) a PNG, encoded once per picture beforehand (QEMU
// compresses with libpng on every screendump; that cost is QEMU's, not the daemon's).
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pngjs from 'pngjs';

export interface FakeFolderOptions {
  readonly width?: number;
  readonly height?: number;
  /** Whether every screendump draws a different picture (worst case: every capture converts). */
  readonly changing?: boolean;
}

/** What QEMU before 7.1 answers a screendump with `format`. */
const FORMAT_REFUSED = "Parameter 'format' is unexpected";

export interface FakeFolder {
  readonly names: readonly string[];
  /** screendump commands answered so far. */
  readonly screendumps: number;
  setChanging(changing: boolean): void;
  /** false: answer like QEMU before 7.1, which has no `format` argument (PPM only). */
  setPng(supported: boolean): void;
  close(): Promise<void>;
}

/** A text-console-like picture: grey glyph blocks on black, shifted by `frame`. */
export function consolePpm(width: number, height: number, frame: number): Buffer {
  const header = Buffer.from(`P6\n${width} ${height}\n255\n`);
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = Math.floor(y / 16) + frame;
    if (y % 16 >= 12) continue;
    for (let x = 0; x < width; x++) {
      const column = Math.floor(x / 9);
      // Roughly the density of boot messages: about half the cells hold a glyph.
      if ((column * 7 + row * 13) % 5 < 2 || x % 9 >= 7 || (x + y) % 3 !== 0) continue;
      pixels.fill(0xaa, (y * width + x) * 3, (y * width + x) * 3 + 3);
    }
  }
  return Buffer.concat([header, pixels]);
}

/** The PPM's pixels as a PNG, as QEMU's `screendump format=png` writes one (RGB, 8 bits). */
function toPng(ppm: Buffer, width: number, height: number): Buffer {
  const png = new pngjs.PNG({ width, height });
  png.data = ppm.subarray(ppm.length - width * height * 3);
  return pngjs.PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}

function serveQmp(
  socket: net.Socket,
  onScreendump: (file: string, format: string | undefined) => void,
): void {
  socket.write(
    `${JSON.stringify({ QMP: { version: { qemu: { major: 7, minor: 2, micro: 0 } }, capabilities: [] } })}\n`,
  );
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let message: { execute?: string; arguments?: { filename?: string; format?: string } };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        continue;
      }
      if (message.execute === 'screendump' && typeof message.arguments?.filename === 'string') {
        try {
          onScreendump(message.arguments.filename, message.arguments.format);
          socket.write('{"return": {}}\n');
        } catch (error) {
          socket.write(
            `${JSON.stringify({ error: { class: 'GenericError', desc: error instanceof Error ? error.message : String(error) } })}\n`,
          );
        }
      } else if (message.execute === 'query-status') {
        socket.write('{"return": {"status": "running", "running": true}}\n');
      } else {
        socket.write('{"return": {}}\n');
      }
    }
  });
  socket.on('error', () => undefined);
}

/** Starts `count` fake VMs named `<prefix><i>` in `dir`. */
export async function startFakeQemuFolder(
  dir: string,
  count: number,
  prefix: string,
  options: FakeFolderOptions = {},
): Promise<FakeFolder> {
  const width = options.width ?? 720;
  const height = options.height ?? 400;
  let changing = options.changing ?? true;
  let pngSupported = true;
  let screendumps = 0;
  // A few prepared pictures: the fake's own CPU stays small (its cost is not the daemon's).
  const frames = Array.from({ length: 8 }, (_, i) => consolePpm(width, height, i));
  const pngFrames = frames.map((frame) => toPng(frame, width, height));
  const servers: net.Server[] = [];
  const sockets = new Set<net.Socket>();
  const names = Array.from({ length: count }, (_, i) => `${prefix}${String(i).padStart(3, '0')}`);
  const listen = (server: net.Server, file: string): Promise<void> =>
    new Promise((resolve, reject) => {
      servers.push(server);
      server.once('error', reject);
      server.listen(path.join(dir, file), resolve);
    });
  for (const name of names) {
    let dumps = 0;
    const track = (socket: net.Socket): void => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    };
    await listen(net.createServer(track), `${name}.vnc`);
    await listen(
      net.createServer((socket) => {
        track(socket);
        serveQmp(socket, (file, format) => {
          if (format !== undefined && !pngSupported) throw new Error(FORMAT_REFUSED);
          screendumps += 1;
          dumps += 1;
          writeFileSync(file, (format === 'png' ? pngFrames : frames)[changing ? dumps % frames.length : 0]!);
        });
      }),
      `${name}.qmp`,
    );
  }
  return {
    names,
    get screendumps() {
      return screendumps;
    },
    setChanging(next) {
      changing = next;
    },
    setPng(supported) {
      pngSupported = supported;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
