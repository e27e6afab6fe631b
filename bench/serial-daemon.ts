// The daemon side of bench/serial.ts, in its own process so its CPU and memory can be read
// from /proc: the real ConsoleHub with one VM whose serial port 0 is a UNIX socket, served on
// ws://127.0.0.1:<port>/ (every client a viewer starting at the live end, like websockify).
// Usage: serial-daemon.ts <source.sock> <coalesceMs>
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { createConsoleHub } from '../src/bridge/index.js';
import type { RegistryEvents, Vm, VmRegistry } from '../src/discovery/types.js';

const [sourcePath = '', coalesce = '2'] = process.argv.slice(2);
const vm: Vm = {
  name: 'bench',
  uuid: null,
  id: 1,
  title: null,
  description: null,
  state: 'running',
  reason: null,
  source: 'libvirt',
  persistent: true,
  vnc: null,
  graphics: [],
  serials: [
    {
      index: 0,
      element: 'serial',
      port: 0,
      targetType: 'isa-serial',
      alias: 'serial0',
      source: { kind: 'unix', path: sourcePath, mode: 'bind' },
      logFile: null,
    },
  ],
};

/** A registry that holds one running VM and never changes. */
class OneVm extends EventEmitter implements VmRegistry {
  snapshot(): readonly Vm[] {
    return [vm];
  }
  get(name: string): Vm | undefined {
    return name === vm.name ? vm : undefined;
  }
  sources(): [] {
    return [];
  }
  override on<E extends keyof RegistryEvents>(
    event: E,
    listener: (...args: RegistryEvents[E]) => void,
  ): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }
  override off<E extends keyof RegistryEvents>(
    event: E,
    listener: (...args: RegistryEvents[E]) => void,
  ): this {
    return super.off(event, listener as (...args: unknown[]) => void);
  }
}

const hub = createConsoleHub({
  registry: new OneVm(),
  logger: pino({ level: 'warn' }),
  serial: { coalesceMs: Number(coalesce) },
  vnc: {
    available: () => ({ ok: true }),
    attach: (ws) => {
      ws.close();
    },
    vmChanged: () => undefined,
    vmRemoved: () => undefined,
    stop: () => Promise.resolve(),
  },
});
hub.start();
const server = http.createServer();
const wss = new WebSocketServer({ server, maxPayload: 64 * 1024, perMessageDeflate: false });
wss.on('connection', (ws) => {
  hub.attachSerial(
    ws,
    'bench',
    0,
    { user: 'bench', role: 'viewer', clientAddress: '127.0.0.1' },
    { last: 0 },
  );
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
// Exit cleanly on a signal (so `--cpu-prof` can write its profile).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.exit(0);
  });
}
