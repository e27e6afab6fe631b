// SPICE wire facts the bridge needs (spice-protocol's spice/protocol.h, enums.h; all integers
// little-endian). Every channel is its own connection and starts with:
//   SpiceLinkHeader  magic 'REDQ' u32, major u32 (2), minor u32, size u32 (bytes that follow)
//   SpiceLinkMess    connection_id u32, channel_type u8, channel_id u8, num_common_caps u32,
//                    num_channel_caps u32, caps_offset u32 (from the start of SpiceLinkMess), caps
// The server answers with a SpiceLinkHeader and SpiceLinkReply: error u32, pub_key [162],
// num_common_caps u32, num_channel_caps u32, caps_offset u32, caps. With AUTH_SELECTION on
// both sides the client then sends its auth mechanism (u32), and for SPICE auth the password
// encrypted with pub_key (128 bytes); the server answers u32 (0: linked). Then messages:
// with MINI_HEADER on both sides type u16 + size u32, else serial u64 + type u16 + size u32 +
// sub_list u32.

export const SPICE_MAGIC = 0x51444552; // 'REDQ' read as a little-endian u32
export const SPICE_VERSION_MAJOR = 2;
export const LINK_HEADER_BYTES = 16;
/** SpiceLinkMess without caps. */
export const LINK_MESS_BYTES = 18;
/** SpiceLinkReply without caps. */
export const LINK_REPLY_BYTES = 178;
export const TICKET_BYTES = 128;
export const MINI_HEADER_BYTES = 6;
export const FULL_HEADER_BYTES = 18;

/** Common capability bits (first word). */
export const CAP_AUTH_SELECTION = 0;
export const CAP_AUTH_SPICE = 1;
export const CAP_MINI_HEADER = 3;

export const CHANNEL = {
  main: 1,
  display: 2,
  inputs: 3,
  cursor: 4,
  playback: 5,
  record: 6,
  tunnel: 7,
  smartcard: 8,
  usbredir: 9,
  port: 10,
  webdav: 11,
} as const;

const CHANNEL_NAMES = new Map<number, string>(Object.entries(CHANNEL).map(([name, type]) => [type, name]));

export function channelName(type: number): string {
  return CHANNEL_NAMES.get(type) ?? `type ${type}`;
}

/** Client → server messages of the main channel (and the common ones every channel has). */
export const MSGC = {
  ackSync: 1,
  ack: 2,
  pong: 3,
  migrateFlushMark: 4,
  migrateData: 5,
  disconnecting: 6,
  clientInfo: 101,
  migrateConnected: 102,
  migrateConnectError: 103,
  attachChannels: 104,
  mouseModeRequest: 105,
  agentStart: 106,
  agentData: 107,
  agentToken: 108,
  migrateEnd: 109,
} as const;
