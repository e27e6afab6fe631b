// The serial console multiplexer: per VM and serial port, one owner of the source, a
// byte-addressed history and fan-out to many WebSocket clients. See docs/serial.md.
export { SerialConsoles, type SerialConsolesDeps } from './consoles.js';
export { SerialMux, type SerialMuxDeps, type SerialMuxStats, type SerialClientHandle } from './mux.js';
export { SerialHistory, type HistoryLimits } from './history.js';
export {
  DEFAULT_SERIAL_OPTIONS,
  serialOptions,
  type SerialOptions,
  type SlowClientPolicy,
} from './options.js';
export type { ClientTransport } from './client.js';
export { attachWebSocket, closeWithError, webSocketTransport } from './ws-adapter.js';
export {
  gapMarker,
  parseClientMessage,
  type ClientInfo,
  type ClientMessage,
  type GapReason,
  type LockHolder,
  type ServerMessage,
} from './protocol.js';
