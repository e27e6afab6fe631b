// The VNC bridge mounted on a tiny HTTP server, as the HTTP layer will mount it: WebSocket
// upgrade on /ws/vnc/<name>?role=viewer|operator[&user=&window=], subprotocol `binary`, and the
// control channel on /ws/vnc/<name>/control with the same parameters; no auth (tests only).
// Also used by bench/vnc.ts (in a child process) so the bench measures the real relay.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { binaryWebSocketServer, harnessLogger } from './binary-wss.js';
import type { Vm, VncTarget } from '../src/discovery/types.js';
import { makeVm } from './registry.js';
import { createVncBridge, type VncBridge, type VncBridgeOptions } from '../src/bridge/vnc/index.js';

export interface Harness {
  readonly bridge: VncBridge;
  readonly port: number;
  url(vmName: string, role: 'viewer' | 'operator', who?: { user?: string; window?: string }): string;
  /** The VM's control channel (presence, input lock) for `who`. */
  controlUrl(vmName: string, role: 'viewer' | 'operator', who?: { user?: string; window?: string }): string;
  close(): Promise<void>;
}

/** A running VM with VNC at `target`, as discovery would describe it. */
export function vncVm(name: string, target: VncTarget, state: Vm['state'] = 'running'): Vm {
  return {
    ...makeVm(name, state, state === 'running' ? 1 : null, []),
    vnc: { target, websocketPort: null, passwordSet: false },
    graphics: [{ type: 'vnc', supported: true }],
  };
}

function query(role: string, who: { user?: string; window?: string }): string {
  return new URLSearchParams({ role, ...who }).toString();
}

export async function startHarness(
  lookup: (name: string) => Vm | undefined,
  harnessOptions: Partial<VncBridgeOptions> & { readonly tls?: { cert: Buffer; key: Buffer } } = {},
): Promise<Harness> {
  const { tls, ...options } = harnessOptions;
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  const bridge = createVncBridge({
    logger: harnessLogger(),
    maxViewersPerVm: 8,
    maxFrameBytes,
    ...options,
  });
  const wss = binaryWebSocketServer(maxFrameBytes);
  const notFound = (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    res.writeHead(404).end();
  };
  // With TLS the socket under each WebSocket is a TLSSocket: the relay writes frames on it.
  const server = tls ? https.createServer(tls, notFound) : http.createServer(notFound);
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const control = url.pathname.endsWith('/control');
    const name = url.pathname.replace(/^\/ws\/vnc\//, '').replace(/\/control$/, '');
    const vm = lookup(decodeURIComponent(name));
    if (!vm) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const role = url.searchParams.get('role') === 'operator' ? 'operator' : 'viewer';
    const window = url.searchParams.get('window');
    const session = {
      user: url.searchParams.get('user') ?? `test-${role}`,
      role,
      clientAddress: req.socket.remoteAddress ?? '',
      ...(window ? { window } : {}),
    } as const;
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (control) bridge.attachControl(ws, vm, session);
      else bridge.attach(ws, socket, vm, session);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    bridge,
    port,
    url: (vmName, role, who = {}) =>
      `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws/vnc/${encodeURIComponent(vmName)}?${query(role, who)}`,
    controlUrl: (vmName, role, who = {}) =>
      `${tls ? 'wss' : 'ws'}://127.0.0.1:${port}/ws/vnc/${encodeURIComponent(vmName)}/control?${query(role, who)}`,
    async close() {
      await bridge.stop('test over');
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}
