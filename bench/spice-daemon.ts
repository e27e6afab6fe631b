// The daemon side of bench/spice.ts, in its own process so its CPU can be read from /proc: the
// real daemon (`virt-webconsole serve` as src/cli.ts runs it: config file, users file with Basic
// auth, the HTTP server's upgrade routing with auth, ACL and Origin checks, the console hub and
// its SPICE bridge, metrics) with one change, discovery: a registry holding one running VM,
// `bench`, whose SPICE server is the fake one on the UNIX socket given (bench/spice-upstream.ts).
// Usage: spice-daemon.ts <config.json> <spice.sock>. Reports `{ ready }` over IPC once listening.
import { runCli } from '../src/app/index.js';
import { realParts } from '../src/app/parts.js';
import { FakeRegistry } from '../harness/registry.js';
import { spiceVm } from '../harness/spice/server.js';

const [configFile = '', socketPath = ''] = process.argv.slice(2);
const registry = new FakeRegistry();
registry.set(spiceVm('bench', { transport: 'unix', path: socketPath }));

let stop: (signal: string) => void = () => undefined;
process.once('SIGTERM', () => {
  stop('SIGTERM');
});
const code = runCli(
  ['serve', '--config', configFile],
  { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
  {
    parts: {
      ...realParts,
      createDiscovery: () => ({ registry, start: () => undefined, stop: () => undefined }),
    },
    // Called once the daemon listens.
    onSignal: (handler) => {
      stop = handler;
      process.send?.({ ready: true });
    },
  },
);
process.exitCode = await code;
process.exit();
