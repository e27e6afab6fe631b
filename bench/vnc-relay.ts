// The relay under test, in its own process so the bench can read its CPU time and RSS:
// `ours` is the VNC bridge behind the test harness's HTTP server; `plain` is the baseline the
// issue measured (ws + net, one ws.send per socket read, no backpressure).
// argv: <mode> <socket folder> [<cert.pem> <key.pem>] (with them: HTTPS, wss:). Reports
// `{ port }` over IPC when listening.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { startHarness, vncVm } from '../harness/vnc-server.js';

const mode = process.argv[2];
// Exit through process.exit so `--cpu-prof` can write its profile.
process.on('SIGINT', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
const folder = process.argv[3]!;
const [certFile, keyFile] = process.argv.slice(4);
const tls = certFile && keyFile ? { cert: readFileSync(certFile), key: readFileSync(keyFile) } : undefined;
const socketFor = (name: string): string => path.join(folder, `${name}.sock`);

if (mode === 'ours') {
  const harness = await startHarness((name) => vncVm(name, { transport: 'unix', path: socketFor(name) }), {
    maxViewersPerVm: 1000,
    maxFrameBytes: 1024 * 1024,
    // Every echo client types into the same VM: shared input, as websockify has (with the
    // default exclusive lock only the first client's keys would pass, docs/vnc.md).
    inputLock: () => 'shared',
    ...(tls ? { tls } : {}),
  });
  process.send?.({ port: harness.port });
} else {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  const server = tls ? https.createServer(tls) : http.createServer();
  server.on('upgrade', (req, socket, head) => {
    const name = (req.url ?? '/').replace(/^\/ws\/vnc\//, '').replace(/\?.*$/, '');
    wss.handleUpgrade(req, socket, head, (ws) => {
      const upstream = net.connect({ path: socketFor(name) });
      upstream.on('data', (data) => {
        ws.send(data);
      });
      ws.on('message', (data: Buffer) => upstream.write(data));
      upstream.on('close', () => {
        ws.close();
      });
      upstream.on('error', () => undefined);
      ws.on('close', () => upstream.destroy());
    });
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}
