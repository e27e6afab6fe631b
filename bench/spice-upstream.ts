// A fake SPICE server for bench/spice.ts, on the UNIX socket given as argv[2]. It is a fake on
// purpose: the bench measures what relaying costs, and a real QEMU display channel cannot be
// made to send a GiB on demand. It speaks as much of the link handshake as a relay and the
// daemon's bridge see: reads the client's SpiceLinkHeader + SpiceLinkMess (display channel
// only), answers a SpiceLinkReply (AUTH_SELECTION, AUTH_SPICE, MINI_HEADER), reads the auth
// mechanism and the 128-byte ticket, answers "linked" (0); then floods FLOOD_BYTES (argv[3]) of
// display messages, 64 KiB writes of one mini-header message each, respecting backpressure, and
// stays open (the client closes once it has everything). It never asks for ACKs.
// Reports `{ ready }` over IPC.
import { rmSync } from 'node:fs';
import net from 'node:net';
import { CHANNEL } from '../src/bridge/spice/protocol.js';
import { AUTH_BYTES, linkReply } from './spice-wire.js';

const file = process.argv[2]!;
const FLOOD_BYTES = Number(process.argv[3] ?? 1024 ** 3);
const MAGIC = 0x51444552;
/** SPICE_MSG_DISPLAY_DRAW_COPY: what a changing screen mostly sends. The client never decodes it. */
const DRAW_COPY = 304;
const WRITE = 64 * 1024;

/** One message per write: mini header (type u16, size u32), then the payload. */
function message(bytes: number): Buffer {
  const out = Buffer.alloc(bytes, 0x5a);
  out.writeUInt16LE(DRAW_COPY, 0);
  out.writeUInt32LE(bytes - 6, 2);
  return out;
}
const FULL = message(WRITE);

function pump(socket: net.Socket): void {
  let sent = 0;
  const go = (): void => {
    while (sent < FLOOD_BYTES) {
      const n = Math.min(WRITE, FLOOD_BYTES - sent);
      sent += n;
      if (!socket.write(n === WRITE ? FULL : message(n))) {
        socket.once('drain', go);
        return;
      }
    }
  };
  go();
}

function serve(socket: net.Socket): void {
  socket.on('error', () => undefined);
  let buffered = Buffer.alloc(0);
  let stage: 'link' | 'ticket' | 'flood' = 'link';
  socket.on('data', (chunk: Buffer) => {
    if (stage === 'flood') return;
    buffered = Buffer.concat([buffered, chunk]);
    if (stage === 'link') {
      if (buffered.length < 16 || buffered.length < 16 + buffered.readUInt32LE(12)) return;
      if (buffered.readUInt32LE(0) !== MAGIC || buffered[16 + 4] !== CHANNEL.display) {
        socket.destroy();
        return;
      }
      buffered = buffered.subarray(16 + buffered.readUInt32LE(12));
      socket.write(linkReply());
      stage = 'ticket';
    }
    if (buffered.length >= AUTH_BYTES) {
      stage = 'flood';
      socket.write(Buffer.alloc(4)); // SPICE_LINK_ERR_OK
      pump(socket);
    }
  });
}

rmSync(file, { force: true });
const server = net.createServer(serve);
server.listen(file, () => process.send?.({ ready: true }));
process.on('disconnect', () => process.exit(0));
