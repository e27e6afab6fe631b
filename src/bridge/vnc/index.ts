// The VNC bridge: noVNC (RFB in a WebSocket) to QEMU's VNC server, one upstream per browser,
// server-side view-only and shared-flag enforcement (rfb-filter), backpressure both ways (the
// relay core in src/bridge/relay).
export { createVncBridge, isVmStopped, type VncBridge, type VncBridgeOptions } from './bridge.js';
export type { SocketFactory } from '../relay/index.js';
export { RfbClientFilter, type RfbFilterOptions, type RfbVersion } from './rfb-filter.js';
export {
  VncControl,
  type InputKind,
  type InputLockMode,
  type VncClientInfo,
  type VncControlMessage,
  type VncControlRequest,
  type VncLockHolder,
  type VncRecordingInfo,
  type VncSeat,
  type VncWatch,
} from './control.js';
