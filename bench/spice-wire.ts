// The few SPICE bytes bench/spice.ts and its fake server (bench/spice-upstream.ts) exchange
// before the flood: the client's link message and ticket, the server's link reply and result.
import { CHANNEL, LINK_REPLY_BYTES, TICKET_BYTES } from '../src/bridge/spice/protocol.js';
import { linkMessage } from '../harness/spice/client.js';

const MAGIC = 0x51444552;
/** AUTH_SELECTION | AUTH_SPICE | MINI_HEADER, as QEMU offers them. */
const SERVER_CAPS = (1 << 0) | (1 << 1) | (1 << 3);
/** The auth mechanism (u32) and the encrypted ticket the client sends after the reply. */
export const AUTH_BYTES = 4 + TICKET_BYTES;

/** SpiceLinkHeader + SpiceLinkReply (no error, one common caps word, pub_key left zero). */
export function linkReply(): Buffer {
  const reply = Buffer.alloc(16 + LINK_REPLY_BYTES + 4);
  reply.writeUInt32LE(MAGIC, 0);
  reply.writeUInt32LE(2, 4);
  reply.writeUInt32LE(2, 8);
  reply.writeUInt32LE(LINK_REPLY_BYTES + 4, 12);
  const body = reply.subarray(16);
  body.writeUInt32LE(1, 166); // one common caps word
  body.writeUInt32LE(0, 170); // no channel caps
  body.writeUInt32LE(LINK_REPLY_BYTES, 174); // caps right after the fixed part
  body.writeUInt32LE(SERVER_CAPS, LINK_REPLY_BYTES);
  return reply;
}

/** What the server sends before the flood: the link reply and the auth result (u32 0). */
export const SERVER_PREAMBLE_BYTES = linkReply().length + 4;

/**
 * A display channel's opening as one client message: the link message (session 1, as a
 * display channel joins a main channel's session), the SPICE auth mechanism and a ticket. A
 * real client waits for the reply before the ticket; sent together they cost a relay the same.
 */
export function displayHello(): Buffer {
  const mechanism = Buffer.alloc(4);
  mechanism.writeUInt32LE(1, 0); // SPICE_COMMON_CAP_AUTH_SPICE
  return Buffer.concat([linkMessage(CHANNEL.display, 0, 1), mechanism, Buffer.alloc(TICKET_BYTES)]);
}
