// The VNC input lock mode of each domain from the config (docs/config.md, docs/vnc.md "Control
// lock"): the first `vnc.inputLockDomains` glob that matches the name, else `vnc.inputLock`.
import type { Config, VncInputLock } from '../config/index.js';
import { globToRegExp } from '../http/index.js';

export function vncInputLock(vnc: Config['vnc']): (vmName: string) => VncInputLock {
  const rules = Object.entries(vnc.inputLockDomains).map(
    ([glob, mode]) => [globToRegExp(glob), mode] as const,
  );
  return (vmName) => rules.find(([re]) => re.test(vmName))?.[1] ?? vnc.inputLock;
}
