// The tiny test guest (kernel + busybox initramfs), built by fixtures/guest/build.sh.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface GuestImage {
  readonly kernel: string;
  readonly initrd: string;
}

let cached: GuestImage | undefined;

/** Builds the guest if its cache is cold (a few seconds) and returns the installed paths. */
export function guestImage(): GuestImage {
  if (!cached) {
    const folder = execFileSync('bash', [path.join(REPO_ROOT, 'fixtures/guest/build.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    cached = { kernel: path.join(folder, 'vmlinuz'), initrd: path.join(folder, 'initrd.img') };
  }
  return cached;
}

/** What the guest prints once per boot on ttyS0 and tty1. */
export const BOOT_BANNER = 'VWC-GUEST BOOTED';
/** The shell prompt on a port, e.g. `vwc-guest:ttyS0# ` (followed by ESC[6n from busybox ash). */
export function promptFor(tty: string): string {
  return `vwc-guest:${tty}# `;
}

/**
 * Starts the test guest in a QEMU of its own, without libvirt (as a socket-folder VM is run):
 * software emulation, 128 MiB, no display or monitor, `devices` as given (e.g. `-vnc`,
 * `-chardev … -serial chardev:…`). The caller kills it.
 */
export function spawnHandQemu(devices: readonly string[]): ChildProcess {
  const guest = guestImage();
  return spawn(
    'qemu-system-x86_64',
    [
      ...['-machine', 'pc', '-accel', 'tcg,tb-size=32', '-m', '128', '-display', 'none', '-monitor', 'none'],
      ...devices,
      ...['-kernel', guest.kernel, '-initrd', guest.initrd, '-append', 'console=ttyS0'],
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
}
