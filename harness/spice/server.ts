// The SPICE bridge mounted on a tiny HTTP server, as the HTTP layer mounts it: WebSocket upgrade
// on /ws/spice/<name>?role=viewer|operator&user=NAME[&takeover=1], subprotocol `binary`, no auth
// (tests and bench only).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { binaryWebSocketServer, harnessLogger } from '../binary-wss.js';
import type { Vm, VncTarget } from '../../src/discovery/types.js';
import { makeVm } from '../registry.js';
import {
  createSpiceBridge,
  type SpiceBridge,
  type SpiceBridgeOptions,
} from '../../src/bridge/spice/index.js';

export interface SpiceHarness {
  readonly bridge: SpiceBridge;
  readonly port: number;
  url(vmName: string, role: 'viewer' | 'operator', extra?: { user?: string; takeover?: boolean }): string;
  close(): Promise<void>;
}

/** A running VM with SPICE at `target`, as discovery would describe it. */
export function spiceVm(name: string, target: VncTarget, state: Vm['state'] = 'running'): Vm {
  return {
    ...makeVm(name, state, state === 'running' ? 1 : null, []),
    vnc: null,
    spice: { target, tlsPort: null, passwordSet: false },
    graphics: [{ type: 'spice', supported: true }],
  };
}

export async function startSpiceHarness(
  lookup: (name: string) => Vm | undefined,
  options: Partial<SpiceBridgeOptions> = {},
): Promise<SpiceHarness> {
  const maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  const bridge = createSpiceBridge({
    logger: harnessLogger(),
    maxConnectionsPerVm: 32,
    maxFrameBytes,
    ...options,
  });
  const wss = binaryWebSocketServer(maxFrameBytes);
  const server = http.createServer((_req, res) => {
    res.writeHead(404).end();
  });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const vm = lookup(decodeURIComponent(url.pathname.replace(/^\/ws\/spice\//, '')));
    if (!vm) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    const role = url.searchParams.get('role') === 'operator' ? 'operator' : 'viewer';
    const user = url.searchParams.get('user') ?? `test-${role}`;
    const takeover = url.searchParams.get('takeover') === '1';
    wss.handleUpgrade(req, socket, head, (ws) => {
      bridge.attach(
        ws,
        socket,
        vm,
        { user, role, clientAddress: req.socket.remoteAddress ?? '' },
        { takeover },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    bridge,
    port,
    url: (vmName, role, extra = {}) =>
      `ws://127.0.0.1:${port}/ws/spice/${encodeURIComponent(vmName)}?role=${role}` +
      (extra.user ? `&user=${encodeURIComponent(extra.user)}` : '') +
      (extra.takeover ? '&takeover=1' : ''),
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
