// The version `--version` prints, read at run time from the package's own package.json, so it is
// always the installed one. Found by walking up from this module, which runs as src/app under
// tsx, as dist/src/app after a build, and installed (/usr/lib/virt-webconsole/…, or an npm
// global install's node_modules/virt-webconsole/…).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VwcError } from '../errors/index.js';

const NAME = 'virt-webconsole';

export function packageVersion(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const found = readPackage(path.join(dir, 'package.json'));
    // A package.json of another name (a build's `{"type": "module"}`, a folder above the
    // install) is not ours: keep walking.
    if (found?.name === NAME && typeof found.version === 'string') return found.version;
    if (path.dirname(dir) === dir) {
      throw new VwcError('VWC_ERR_INTERNAL', `no package.json of ${NAME} in ${from} or a folder above it`);
    }
  }
}

function readPackage(file: string): { name?: unknown; version?: unknown } | null {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return typeof parsed === 'object' && parsed !== null ? parsed : null;
  } catch {
    return null; // missing or unreadable: not the one we look for
  }
}
