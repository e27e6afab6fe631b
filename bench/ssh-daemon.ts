// The daemon side of bench/ssh.ts, in its own process so its CPU can be read from /proc: the
// real ConsoleHub with one VM, bench0, whose serial port 0 is the bench source's UNIX socket,
// served both ways a user reaches it — a WebSocket (ws://127.0.0.1:<port>/bench0[?role=operator],
// no auth, as bench/serial-daemon.ts) and the real SSH server (src/ssh) with user `bench`,
// password `bench`, operator. Both attach to the same mux.
// Usage: ssh-daemon.ts <source.sock>
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import bcrypt from 'bcryptjs';
import pino from 'pino';
import { createConsoleHub } from '../src/bridge/index.js';
import { createAccessPolicy, LoginRateLimiter, UserStore } from '../src/http/index.js';
import { createSshServer, ensureHostKey } from '../src/ssh/index.js';
import { FakeRegistry, makeVm, stubVnc } from '../harness/registry.js';
import { serialWebSocketServer } from './serial-ws-server.js';

const [sourcePath = ''] = process.argv.slice(2);
const dir = mkdtempSync(path.join(os.tmpdir(), 'vwc-bench-ssh-'));
writeFileSync(path.join(dir, 'users'), `bench:${bcrypt.hashSync('bench', 4)}:operator\n`, { mode: 0o600 });

const logger = pino({ level: 'warn' });
const registry = new FakeRegistry();
registry.set(makeVm('bench0', 'running', 1, [{ kind: 'unix', path: sourcePath, mode: 'bind' }]));
const hub = createConsoleHub({ registry, logger, vnc: stubVnc() });
hub.start();

const server = serialWebSocketServer(hub);

const ssh = createSshServer({
  config: {
    listen: { host: '127.0.0.1', port: 0 },
    authorizedKeys: path.join(dir, 'keys', '%u'),
    idleTimeoutSeconds: 0,
    maxSessionsPerUser: 100_000,
    historyBytes: 0,
  },
  hostKey: ensureHostKey(path.join(dir, 'state')).key,
  registry,
  hub,
  users: new UserStore(path.join(dir, 'users'), 'viewer'),
  limiter: new LoginRateLimiter(1_000_000, 1000, Date.now),
  access: createAccessPolicy({}),
  logger,
});

server.listen(0, '127.0.0.1', () => {
  void ssh.listen().then((address) => {
    const sshPort = address.split(':').pop();
    process.stdout.write(`ready ${(server.address() as AddressInfo).port} ${sshPort}\n`);
  });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    process.exit(0);
  });
}
