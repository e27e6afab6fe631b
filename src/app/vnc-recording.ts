// The VNC recorder's options from the config (docs/config.md, docs/vnc.md "Recording"): the
// `vncRecording.domains` globs compiled once, days and sizes in the recorder's units.
import type { VncRecordingOptions } from '../bridge/vnc/recording/index.js';
import type { Config } from '../config/index.js';
import { globToRegExp } from '../http/index.js';

export function vncRecordingOptions(config: Config['vncRecording']): Partial<VncRecordingOptions> {
  const patterns = config.domains.map(globToRegExp);
  return {
    enabled: config.enabled,
    autoRecord: (vmName) => patterns.some((re) => re.test(vmName)),
    maxBytesPerRecording: config.maxBytesPerRecording,
    maxTotalBytes: config.maxTotalBytes,
    maxAgeMs: config.maxAgeDays * 24 * 3600 * 1000,
  };
}
