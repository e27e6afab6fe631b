// Takes one screenshot of a VM through libvirt or QEMU: `virsh screenshot` for libvirt domains
// (a PPM), QMP `screendump` for socket-folder VMs with a NAME.qmp socket, asking QEMU for a PNG
// (`format: 'png'`, QEMU ≥ 7.1): QEMU compresses, so the daemon reads and hashes a few KiB
// instead of a ~1 MiB PPM, and a small PNG needs no conversion at all (convert.ts). A QEMU that
// refuses the argument (older than 7.1) gets PPM requests from then on. Both write a file, so
// each capture gets a fresh name in a private (0700) folder of the daemon's; the file is read
// and removed at once, and the folder goes on stop().
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Vm } from '../../discovery/types.js';
import { VirshError, type VirshRunner } from '../../discovery/virsh.js';
import { VwcError, isVwcError } from '../../errors/index.js';
import { libvirtMessage } from '../actions.js';
import { QmpCommandError, qmpCommand, type QmpOptions } from '../qmp.js';

export interface CaptureDeps {
  readonly virsh: VirshRunner;
  /** QMP client override (tests); default `qmpCommand`. */
  readonly qmp?: typeof qmpCommand;
  readonly qmpOptions?: QmpOptions;
  /** Where the private folder is made; default the OS temp folder. */
  readonly tmpRoot?: string;
  /** Per capture, ms; default 10 000. */
  readonly timeoutMs?: number;
}

export interface ScreenCapturer {
  /** The screen as the bytes libvirt/QEMU wrote (PPM, or PNG from a libvirt that converts). */
  capture(vm: Vm): Promise<Buffer>;
  /** Removes the private folder. Captures under way fail. */
  stop(): void;
}

/** Whether `vm` has a screen the daemon can capture (the route falls back to the serial tail). */
export function canCaptureScreen(vm: Pick<Vm, 'source' | 'graphics' | 'vnc' | 'qmp'>): boolean {
  if (vm.source === 'libvirt') return vm.graphics.length > 0;
  return Boolean(vm.qmp) && vm.vnc !== null;
}

/** QEMU before 7.1 answers a screendump with `format` like this ("Parameter 'format' is unexpected"). */
const FORMAT_REFUSED = /'format'/;

export function createScreenCapturer(deps: CaptureDeps): ScreenCapturer {
  const qmp = deps.qmp ?? qmpCommand;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  /** QMP sockets whose QEMU refused `format: 'png'` (bounded by the VMs seen). */
  const ppmOnly = new Set<string>();
  let folder: string | null = null;
  let counter = 0;
  let stopped = false;

  // Never the domain name in the path: names are untrusted, a counter is not.
  const nextFile = (): string => {
    if (stopped) throw new VwcError('VWC_ERR_SHUTTING_DOWN', 'the daemon is stopping');
    folder ??= mkdtempSync(path.join(deps.tmpRoot ?? os.tmpdir(), 'vwc-thumbs-'));
    counter += 1;
    return path.join(folder, `${counter}.img`);
  };

  async function viaVirsh(vm: Vm, file: string): Promise<void> {
    try {
      await deps.virsh.run(['screenshot', '--domain', vm.name, '--file', file], { timeoutMs });
    } catch (error) {
      if (error instanceof VirshError && error.code === 'VWC_ERR_VIRSH_FAILED') {
        throw new VwcError('VWC_ERR_THUMBNAIL_FAILED', libvirtMessage(error.stderr), { cause: error });
      }
      throw error;
    }
  }

  async function screendump(socket: string, file: string): Promise<void> {
    const options = { timeoutMs, ...deps.qmpOptions };
    if (ppmOnly.has(socket)) {
      await qmp(socket, 'screendump', { filename: file }, options);
      return;
    }
    try {
      await qmp(socket, 'screendump', { filename: file, format: 'png' }, options);
    } catch (error) {
      if (!(error instanceof QmpCommandError && FORMAT_REFUSED.test(error.desc))) throw error;
      ppmOnly.add(socket);
      await qmp(socket, 'screendump', { filename: file }, options);
    }
  }

  async function viaQmp(vm: Vm, file: string): Promise<void> {
    if (!vm.qmp) throw new VwcError('VWC_ERR_THUMBNAIL_UNAVAILABLE', 'this VM has no QMP socket');
    try {
      await screendump(vm.qmp, file);
    } catch (error) {
      if (error instanceof QmpCommandError) {
        throw new VwcError('VWC_ERR_THUMBNAIL_FAILED', error.desc, { cause: error });
      }
      if (isVwcError(error, 'VWC_ERR_ACTION_CONFLICT')) {
        throw new VwcError('VWC_ERR_DOMAIN_STOPPED', error.message, { cause: error });
      }
      if (isVwcError(error)) throw new VwcError('VWC_ERR_THUMBNAIL_FAILED', error.message, { cause: error });
      throw error;
    }
  }

  return {
    async capture(vm) {
      const file = nextFile();
      try {
        if (vm.source === 'libvirt') await viaVirsh(vm, file);
        else await viaQmp(vm, file);
        return await readFile(file).catch((error: unknown) => {
          throw new VwcError('VWC_ERR_THUMBNAIL_FAILED', 'the screenshot file was not written', {
            cause: error,
          });
        });
      } finally {
        await rm(file, { force: true });
      }
    },
    stop() {
      stopped = true;
      if (folder !== null) rmSync(folder, { recursive: true, force: true });
    },
  };
}
