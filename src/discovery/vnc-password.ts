// A libvirt domain's VNC password (`<graphics type='vnc' passwd=…>`), for the VNC recorder only
// (docs/vnc.md "Recording"). Kept apart from the registry on purpose: a Vm says `passwordSet`
// and nothing more, so the password never reaches a snapshot, the API, an SSE event or a log
// line; it is read here when a recording starts and handed to the recorder's handshake.
// Where it is (measured, libvirt 9.0): the live status file /run/libvirt/qemu/NAME.xml (root,
// 0600) and `virsh dumpxml --security-info` carry it; a plain `virsh dumpxml` leaves it out.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_RUN_DIR } from './libvirt-source.js';
import { isSafeFileName } from './source.js';
import type { Vm } from './types.js';
import type { VirshRunner } from './virsh.js';
import { attr, child, children, parseXmlTree } from './xml-tree.js';

/** The VM's VNC password, or null when it has none or the daemon cannot know it. Never throws. */
export type VncPasswordLookup = (vm: Vm) => Promise<string | null>;

/** The first VNC graphics' `passwd` of a domain XML or domstatus document; null without one. */
export function vncPasswordOf(xml: string): string | null {
  const tree = parseXmlTree(xml);
  const domain = child(child(tree, 'domstatus') ?? tree, 'domain');
  const devices = domain && child(domain, 'devices');
  if (!devices) return null;
  const vnc = children(devices, 'graphics').find((g) => attr(g, 'type') === 'vnc');
  return attr(vnc, 'passwd');
}

export interface VncPasswordLookupOptions {
  /** Asked when the status file cannot be read (the daemon is not root, or another URI). */
  readonly virsh: VirshRunner;
  /** Default /run/libvirt/qemu. */
  readonly runDir?: string;
}

/**
 * Reads the running domain's status file, else asks `virsh dumpxml --security-info`. VMs of a
 * socket folder have no libvirt XML: no password known (their recording is refused as before).
 */
export function createVncPasswordLookup(options: VncPasswordLookupOptions): VncPasswordLookup {
  const runDir = options.runDir ?? DEFAULT_RUN_DIR;
  return async (vm) => {
    if (vm.source !== 'libvirt' || !isSafeFileName(vm.name)) return null;
    try {
      if (options.virsh.uri === 'qemu:///system')
        return vncPasswordOf(await readFile(path.join(runDir, `${vm.name}.xml`), 'utf8'));
    } catch {
      // Not root, or the file is being rewritten: virsh knows too.
    }
    try {
      return vncPasswordOf(await options.virsh.run(['dumpxml', '--security-info', '--domain', vm.name]));
    } catch {
      return null;
    }
  };
}
