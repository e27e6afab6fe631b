// The daemon side of bench/serial.ts, in its own process so its CPU and memory can be read
// from /proc: the real ConsoleHub with one VM whose serial port 0 is a UNIX socket, served on
// ws://127.0.0.1:<port>/ (every client a viewer starting at the live end, like websockify).
// Usage: serial-daemon.ts <source.sock> <coalesceMs>
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { WebSocketServer } from 'ws';
import { createConsoleHub } from '../src/bridge/index.js';
import { FakeRegistry, makeVm, stubVnc } from '../test/unit/serial/fakes.js';

const [sourcePath = '', coalesce = '2'] = process.argv.slice(2);
/** One running VM whose serial port 0 is the source, never changing. */
const registry = new FakeRegistry();
registry.set(makeVm('bench', 'running', 1, [{ kind: 'unix', path: sourcePath, mode: 'bind' }]));

const hub = createConsoleHub({
  registry,
  logger: pino({ level: 'warn' }),
  serial: { coalesceMs: Number(coalesce) },
  vnc: stubVnc(),
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
