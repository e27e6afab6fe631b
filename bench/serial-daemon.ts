// The daemon side of bench/serial.ts, in its own process so its CPU and memory can be read
// from /proc: the real ConsoleHub with VMs bench0 … bench<N-1>, each with serial port 0 on the
// same UNIX socket (the source serves every connection its own stream), served on
// ws://127.0.0.1:<port>/<vm>[?role=operator] (a viewer by default, starting at the live end,
// like websockify).
// Usage: serial-daemon.ts <source.sock> <coalesceMs> [vms] [log]
// With `log`, every port's output also goes to a serial log on disk (in a temporary folder,
// removed at exit), as the daemon does by default.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { SerialLogStore, createConsoleHub } from '../src/bridge/index.js';
import { FakeRegistry, makeVm, stubVnc } from '../harness/registry.js';
import { serialWebSocketServer } from './serial-ws-server.js';

const [sourcePath = '', coalesce = '5', vms = '1', log = ''] = process.argv.slice(2);
const logDir = log === 'log' ? mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-logs-')) : null;
const registry = new FakeRegistry();
for (let i = 0; i < Number(vms); i += 1)
  registry.set(makeVm(`bench${i}`, 'running', i + 1, [{ kind: 'unix', path: sourcePath, mode: 'bind' }]));

const hub = createConsoleHub({
  registry,
  logger: pino({ level: 'warn' }),
  serial: { coalesceMs: Number(coalesce) },
  vnc: stubVnc(),
  ...(logDir ? { serialLogStore: new SerialLogStore(logDir, {}, { logger: pino({ level: 'warn' }) }) } : {}),
});
hub.start();
const server = serialWebSocketServer(hub);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`ready ${(server.address() as AddressInfo).port}\n`);
});
// Exit cleanly on a signal (so `--cpu-prof` can write its profile).
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (logDir) rmSync(logDir, { recursive: true, force: true });
    process.exit(0);
  });
}
