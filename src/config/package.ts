// The package this module belongs to: its folder (for the default web folder) and the version
// `--version` prints, read at run time so it is always the installed one. Found by walking up
// from this module, which runs as src/config under tsx, as dist/src/config after a build, and
// installed (/usr/lib/virt-webconsole/…, or an npm global install's node_modules/virt-webconsole/…).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VwcError } from '../errors/index.js';

const NAME = 'virt-webconsole';

const HERE = path.dirname(fileURLToPath(import.meta.url));

export function packageVersion(from = HERE): string {
  return findPackage(from).version;
}

/** The package's root folder (where its package.json is). */
export function packageRoot(from = HERE): string {
  return findPackage(from).dir;
}

function findPackage(from: string): { dir: string; version: string } {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const found = readPackage(path.join(dir, 'package.json'));
    // A package.json of another name (a build's `{"type": "module"}`, a folder above the
    // install) is not ours: keep walking.
    if (found?.name === NAME && typeof found.version === 'string') return { dir, version: found.version };
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
