// The WebSocket server the bridge harnesses put in front of a bridge: no server of its own
// (upgrades are handed in), no compression, frames up to the bridge's limit, and only the
// `binary` subprotocol (what noVNC and spice-html5 speak).
import { pino, type Logger } from 'pino';
import { WebSocketServer } from 'ws';

export function binaryWebSocketServer(maxFrameBytes: number): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: maxFrameBytes,
    handleProtocols: (protocols) => (protocols.has('binary') ? 'binary' : false),
  });
}

/** Silent unless VWC_TEST_LOG names a level. */
export function harnessLogger(): Logger {
  return pino({ level: process.env.VWC_TEST_LOG ?? 'silent' });
}
