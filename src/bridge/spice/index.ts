// The SPICE bridge: spice-html5 (one WebSocket per SPICE channel) to QEMU's SPICE server, each
// channel relayed by the relay core after its link message is read: server-side view-only
// (channel policy, main-channel filter), one client at a time with an asked-for takeover.
export {
  createSpiceBridge,
  type SpiceAttachOptions,
  type SpiceBridge,
  type SpiceBridgeOptions,
} from './bridge.js';
export { LinkReader, parseLink, type SpiceLink } from './link.js';
export { ViewerMainFilter, PassFilter } from './filter.js';
export { channelAllowed } from './policy.js';
export { decideMain } from './session.js';
export { CHANNEL, MSGC } from './protocol.js';
