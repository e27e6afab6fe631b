#!/usr/bin/env node
// The `virt-webconsole` command. Subcommands are added as the daemon grows.
const [command] = process.argv.slice(2);
if (command === undefined || command === '--help' || command === '-h') {
  process.stdout.write('usage: virt-webconsole [serve|passwd] …\n');
} else {
  process.stderr.write(`virt-webconsole: unknown command ${JSON.stringify(command)}\n`);
  process.exitCode = 2;
}
