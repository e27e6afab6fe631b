// What `ssh -p 2222 alice@host` (no command) prints: the VMs alice may see, with the console
// names to give ssh. Domain names and titles come from XML, so control characters are shown
// escaped: a name must not be able to drive the user's terminal.
import type { Vm } from '../discovery/types.js';

/** Control characters (C0, DEL, C1) as `\xNN`. */
export function printable(text: string): string {
  return text.replace(
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u001f\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

export function formatVmList(vms: readonly Vm[], usage: string): string {
  const rows = [...vms]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((vm) => {
      const name = printable(vm.name);
      const consoles =
        vm.serials.length === 0
          ? '(no serial console)'
          : vm.serials.map((s) => (s.index === 0 ? name : `${name}/serial${s.index}`)).join(' ');
      return [name, vm.state, consoles, vm.title === null ? '' : printable(vm.title)];
    });
  const header = ['NAME', 'STATE', 'CONSOLES', 'TITLE'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
  const body = rows.length === 0 ? ['(no VMs you may open)'] : lines;
  return [...body, '', usage, ''].join('\r\n');
}
