// The relay core shared by the console bridges (vnc/, spice/): WebSocket binary frames written
// straight on the socket under a browser's WebSocket (frames.ts), raw upstream connections
// reading into one reused buffer (upstream.ts, read-buffer.ts), and the per-connection relay
// with backpressure both ways, frame limits and lifecycle (relay.ts, relay-set.ts).
export { BrowserFrames, FRAME_HEADROOM, wsFrame } from './frames.js';
export {
  describeTarget,
  openRawUpstream,
  targetOptions,
  type RawUpstream,
  type SocketFactory,
  type StreamTarget,
  type Upstream,
  type UpstreamEvents,
} from './upstream.js';
export { ByteRelay, truncate, type ByteRelayOptions, type ClientFilter } from './relay.js';
export { RelaySet } from './relay-set.js';
