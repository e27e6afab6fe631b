// Reads a systemd unit's [Service] settings and turns its file-system sandbox into bubblewrap
// arguments. systemd is not PID 1 on the CI machine, so the unit cannot be started for real;
// bwrap builds the same view of the file system (ProtectSystem=strict: all read-only but the
// unit's Runtime/State/ConfigurationDirectory and ReadWritePaths; PrivateTmp; ProtectHome) so
// the daemon's first start is tried against it. The other sandbox settings (capabilities,
// namespaces, system calls) are systemd's own and are checked by `systemd-analyze verify` only.
import { readdirSync, lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

export type UnitSection = ReadonlyMap<string, readonly string[]>;

/** `Key=value` lines of one section; a key given twice keeps both values. */
export function readSection(text: string, name: string): UnitSection {
  const settings = new Map<string, string[]>();
  let inSection = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inSection = line === `[${name}]`;
    else if (inSection && line !== '' && !line.startsWith('#')) {
      const at = line.indexOf('=');
      const key = line.slice(0, at).trim();
      settings.set(key, [...(settings.get(key) ?? []), line.slice(at + 1).trim()]);
    }
  }
  return settings;
}

function values(service: UnitSection, key: string): string[] {
  return (service.get(key) ?? []).flatMap((v) => v.split(/\s+/)).filter((v) => v !== '');
}

/** The folders the unit makes writable under ProtectSystem=strict, as absolute paths. */
export function writableDirs(service: UnitSection): string[] {
  return [
    ...values(service, 'RuntimeDirectory').map((d) => path.join('/run', d)),
    ...values(service, 'StateDirectory').map((d) => path.join('/var/lib', d)),
    ...values(service, 'ReadWritePaths').map((d) => d.replace(/^-/, '')),
  ];
}

/** True when `file` lies in one of `dirs` (the folder itself must be writable to create it). */
export function insideOne(file: string, dirs: readonly string[]): boolean {
  return dirs.some((dir) => path.dirname(file) === dir || path.dirname(file).startsWith(dir + '/'));
}

/**
 * bwrap arguments for the unit's file-system view. Each writable folder `to` is bound from
 * `binds[to]` (a test folder standing in for it). A folder cannot be mounted into the read-only
 * tree where it does not exist, so its parent is rebuilt instead: an empty tmpfs, every entry of
 * the real parent bound back read-only, the stand-in bound, then the tmpfs made read-only too.
 */
export function sandboxArgs(
  service: UnitSection,
  binds: Readonly<Record<string, string>>,
  keepVisible: readonly string[],
): string[] {
  const args = ['--ro-bind', '/', '/', '--dev-bind', '/dev', '/dev', '--proc', '/proc', '--die-with-parent'];
  const parents = new Map<string, string[]>();
  for (const to of Object.keys(binds)) {
    const parent = path.dirname(to);
    parents.set(parent, [...(parents.get(parent) ?? []), to]);
  }
  for (const [parent, targets] of parents) {
    args.push('--tmpfs', parent);
    for (const entry of readdirSync(parent)) {
      const full = path.join(parent, entry);
      if (targets.includes(full)) continue;
      const st = lstatSync(full);
      if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(full), full);
      else if (st.isDirectory() || st.isFile()) args.push('--ro-bind', full, full);
      else args.push('--dev-bind', full, full); // sockets (libvirt's) stay reachable
    }
    for (const to of targets) args.push('--bind', binds[to]!, to);
    args.push('--remount-ro', parent);
  }
  if (service.get('PrivateTmp')?.[0] === 'yes') args.push('--tmpfs', '/tmp');
  if (service.get('ProtectHome')?.[0] === 'yes') args.push('--tmpfs', '/root', '--tmpfs', '/home');
  // What the test runs from (a clone under /tmp, say) stays visible, read-only.
  for (const dir of keepVisible) args.push('--ro-bind', dir, dir);
  return args;
}
