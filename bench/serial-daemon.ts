// The daemon side of bench/serial.ts, in its own process so its CPU and memory can be read
// from /proc: the real ConsoleHub with VMs bench0 … bench<N-1>, each with serial port 0 on the
// same UNIX socket (the source serves every connection its own stream), served on
// ws://127.0.0.1:<port>/<vm>[?role=operator] (a viewer by default, starting at the live end,
// like websockify).
// Usage: serial-daemon.ts <source.sock> <coalesceMs> [vms]
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createConsoleHub } from '../src/bridge/index.js';
import { FakeRegistry, makeVm, stubVnc } from '../harness/registry.js';
import { serialWebSocketServer } from './serial-ws-server.js';

const [sourcePath = '', coalesce = '5', vms = '1'] = process.argv.slice(2);
const registry = new FakeRegistry();
for (let i = 0; i < Number(vms); i += 1)
  registry.set(makeVm(`bench${i}`, 'running', i + 1, [{ kind: 'unix', path: sourcePath, mode: 'bind' }]));

const hub = createConsoleHub({
  registry,
  logger: pino({ level: 'warn' }),
  serial: { coalesceMs: Number(coalesce) },
  vnc: stubVnc(),
});
hub.start();
const server = serialWebSocketServer(hub);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
// Exit cleanly on a signal (so `--cpu-prof` can write its profile).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.exit(0);
  });
}
