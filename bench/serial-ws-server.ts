// The measured daemons' WebSocket side: `ws://…/<vm>?role=operator|viewer` attaches to serial 0
// of <vm> (default bench0) on the hub, live end only, as the daemon's upgrade handler would.
import http from 'node:http';
import { WebSocketServer } from 'ws';
import type { ConsoleHub } from '../src/bridge/types.js';

export function serialWebSocketServer(hub: ConsoleHub): http.Server {
  const server = http.createServer();
  const wss = new WebSocketServer({ server, maxPayload: 64 * 1024, perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url ?? '/', 'http://bench');
    const role = url.searchParams.get('role') === 'operator' ? 'operator' : 'viewer';
    hub.attachSerial(
      ws,
      req.socket,
      url.pathname.slice(1) || 'bench0',
      0,
      { user: role, role, clientAddress: '127.0.0.1' },
      { last: 0 },
    );
  });
  return server;
}
