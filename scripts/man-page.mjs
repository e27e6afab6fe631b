// Writes the manual page virt-webconsole(1) in roff to stdout, made from the command's own
// --help texts (src/app/usage.ts), so the page never disagrees with the program:
//
//   node scripts/man-page.mjs dist/src/cli.js [DATE]
//
// Each command's usage goes in verbatim (no-fill): the help texts are already laid out.
import { execFileSync } from 'node:child_process';

const [cli, date = new Date().toISOString().slice(0, 10)] = process.argv.slice(2);
if (!cli) {
  console.error('usage: node scripts/man-page.mjs CLI_JS [DATE]');
  process.exit(2);
}
const run = (...args) => execFileSync(process.execPath, [cli, ...args], { encoding: 'utf8' }).trimEnd();

/** roff text escaping: backslashes, and a line must not start with a control character. */
const escape = (line) => line.replace(/\\/g, '\\e').replace(/^([.'])/, '\\&$1');
const verbatim = (text) => ['.nf', ...text.split('\n').map(escape), '.fi'];

const top = run('--help');
const version = run('--version').replace(/^virt-webconsole\s+/, '');
// "commands:" lists one command per line: two spaces, the name, its arguments, two spaces, what.
const commands = [];
let inCommands = false;
for (const line of top.split('\n')) {
  if (/^commands:/.test(line)) inCommands = true;
  else if (/^\S/.test(line)) inCommands = false;
  else if (inCommands) {
    const name = /^ {2}([a-z][a-z-]*)/.exec(line)?.[1];
    if (name && name !== 'help' && name !== 'version') commands.push(name);
  }
}
if (commands.length === 0) throw new Error('no commands found in --help');

const lines = [
  `.TH VIRT-WEBCONSOLE 1 "${date}" "virt-webconsole ${version}" "User Commands"`,
  '.SH NAME',
  'virt-webconsole \\- browser consoles (noVNC, xterm.js) for the libvirt/QEMU VMs of a host',
  '.SH SYNOPSIS',
  '.B virt-webconsole',
  '.I command',
  '[\\fIoptions\\fR]',
  '.SH DESCRIPTION',
  ...verbatim(top),
  '.SH COMMANDS',
];
for (const command of commands) {
  lines.push(`.SS ${command}`, ...verbatim(run(command, '--help')));
}
lines.push(
  '.SH FILES',
  '.TP',
  '.I /etc/virt-webconsole/config.json',
  'the configuration (every setting: /usr/share/doc/virt-webconsole/docs/config.md)',
  '.TP',
  '.I /etc/virt-webconsole/users',
  'users, bcrypt htpasswd format (virt-webconsole passwd)',
  '.TP',
  '.I /var/lib/virt-webconsole',
  "state: the first start's initial-admin-password, the SSH host key",
  '.SH SEE ALSO',
  '.BR virsh (1),',
  '.BR systemctl (1);',
  '/usr/share/doc/virt-webconsole/README.md',
);
process.stdout.write(`${lines.join('\n')}\n`);
