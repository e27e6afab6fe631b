// The tiny test guest (kernel + busybox initramfs), built by fixtures/guest/build.sh.
import { execFileSync } from 'node:child_process';
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
