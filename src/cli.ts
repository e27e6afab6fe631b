#!/usr/bin/env node
// The `virt-webconsole` command. What each command does is in src/app (driven by tests with fake
// I/O); this file only hands it the process's streams and signals and sets the exit code.
import { runCli } from './app/index.js';
import { realParts } from './app/parts.js';

const argv = process.argv.slice(2);
const io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };

process.exitCode = await runCli(argv, io, {
  parts: realParts,
  onSignal: (handler) => {
    process.once('SIGTERM', () => {
      handler('SIGTERM');
    });
    process.once('SIGINT', () => {
      handler('SIGINT');
    });
    process.on('SIGHUP', () => {
      handler('SIGHUP');
    });
  },
});
// Anything still holding the loop after serve (a stuck upstream) must not keep a stopped daemon
// alive. Other commands end by themselves, so their output is never cut short.
if (argv[0] === 'serve') process.exit();
