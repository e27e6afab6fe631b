// The console bridges behind one ConsoleHub: serial muxes and the VNC bridge, plus the upstream
// connectors they share.
export { createConsoleHub, type ConsoleHubDeps, type ConsoleHubHandle, type VncBridgeLike } from './hub.js';
export type {
  Availability,
  ClientTransport,
  SerialClientHandle,
  ConsoleHub,
  ConsoleSession,
  HistoryRead,
  Role,
  SerialAttachOptions,
  SpiceAttachOptions,
} from './types.js';
export {
  DEFAULT_SERIAL_OPTIONS,
  serialOptions,
  type SerialOptions,
  type SlowClientPolicy,
} from './serial/index.js';
export { browserLabel, sshLabel, windowTag } from './label.js';
export { connectStream, type StreamTarget } from './upstream/index.js';
export {
  DEFAULT_SERIAL_LOG_OPTIONS,
  SerialLogStore,
  decodeSegment,
  type SerialLogOptions,
} from './serial/log/index.js';
