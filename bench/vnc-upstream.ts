// Fake VNC servers for the bench, on UNIX sockets in the folder given as argv[2]: each greets
// like QEMU (`RFB 003.008\n`) and then
// - flood.sock: writes FLOOD_BYTES in 64 KiB writes (respecting backpressure), stays open;
// - echo.sock: echoes every byte it receives;
// - endless.sock: writes 64 KiB chunks for as long as the peer reads (stalled-reader test).
// Reports `{ ready }` and, on request, bytes written per socket kind over IPC.
import net from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';

const folder = process.argv[2]!;
const FLOOD_BYTES = Number(process.argv[3] ?? 1024 ** 3);
const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
const GREETING = Buffer.from('RFB 003.008\n');
const written: Record<string, number> = { flood: 0, echo: 0, endless: 0 };

function pump(socket: net.Socket, kind: string, total: number): void {
  let sent = 0;
  const go = (): void => {
    while (sent < total) {
      const n = Math.min(CHUNK.length, total - sent);
      sent += n;
      written[kind]! += n;
      if (!socket.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        socket.once('drain', go);
        return;
      }
    }
    // Stay open: the client closes once it has everything (websockify drops what it still
    // queues when the target closes first).
  };
  go();
}

function serve(kind: string, onConnection: (socket: net.Socket) => void): Promise<void> {
  const file = path.join(folder, `${kind}.sock`);
  rmSync(file, { force: true });
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    socket.write(GREETING);
    onConnection(socket);
  });
  return new Promise((resolve) => server.listen(file, resolve));
}

await serve('flood', (s) => {
  pump(s, 'flood', FLOOD_BYTES);
});
await serve('echo', (s) => {
  s.setNoDelay(true);
  s.on('data', (d) => {
    written.echo! += d.length;
    s.write(d);
  });
});
await serve('endless', (s) => {
  pump(s, 'endless', Number.MAX_SAFE_INTEGER);
});
process.on('message', (message) => {
  if (message === 'stats') process.send?.({ written });
});
process.send?.({ ready: true });
