#!/usr/bin/env node
// The `virt-webconsole` command: `serve` runs the daemon, `passwd` manages the users file.
import { runPasswd, runServe } from './app/index.js';
import { realParts } from './app/parts.js';

const USAGE = `usage:
  virt-webconsole serve [--config FILE] [--listen HOST:PORT|unix:/PATH] [--tls-cert FILE --tls-key FILE]
                        [--users-file FILE] [--libvirt-uri URI] [--discovery libvirt|socket-folder|both]
                        [--socket-folder DIR]… [--allowed-origin ORIGIN]… [--trusted-proxy ADDR]…
                        [--web-dir DIR] [--log-level LEVEL]
  virt-webconsole passwd <user> [--role viewer|operator] [--users FILE] [--config FILE]
`;

const [command, ...rest] = process.argv.slice(2);
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

if (command === 'serve') {
  process.exitCode = await runServe(rest, io, realParts, (handler) => {
    process.once('SIGTERM', () => {
      handler('SIGTERM');
    });
    process.once('SIGINT', () => {
      handler('SIGINT');
    });
  });
  // Anything still holding the loop (a stuck upstream) must not keep a stopped daemon alive.
  process.exit();
} else if (command === 'passwd') {
  process.exitCode = await runPasswd(rest, io);
} else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(USAGE);
} else {
  process.stderr.write(`virt-webconsole: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  process.exitCode = 2;
}
