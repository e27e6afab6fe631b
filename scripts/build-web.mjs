// Bundles the browser pages (web/*.ts) with esbuild into dist/web. noVNC and xterm.js come
// from npm and are bundled here: no vendored copies, no CDN.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';

const out = 'dist/web';
mkdirSync(out, { recursive: true });
const entries = existsSync('web')
  ? readdirSync('web')
      .filter((f) => f.endsWith('.page.ts'))
      .map((f) => path.join('web', f))
  : [];
if (entries.length > 0) {
  await build({
    entryPoints: entries,
    bundle: true,
    format: 'esm',
    target: 'chrome110',
    outdir: out,
    sourcemap: true,
    minify: true,
    loader: { '.css': 'css' },
    logLevel: 'warning',
  });
}
for (const f of existsSync('web') ? readdirSync('web') : []) {
  if (f.endsWith('.css') || f.endsWith('.html') || f.endsWith('.svg'))
    copyFileSync(path.join('web', f), path.join(out, f));
}
