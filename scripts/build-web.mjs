// Bundles the browser pages into dist/web with esbuild: every web/*.page.ts (noVNC and xterm.js
// come from npm and are bundled in: no vendored copies, no CDN) and every web/*.css (its
// @imports, e.g. xterm.js's stylesheet, are inlined); copies web/*.html and web/*.svg.
// web/*.classic.ts are classic blocking <head> scripts (the theme before first paint): an IIFE,
// so nothing leaks into the page's globals.
// Run from the repository root: `node scripts/build-web.mjs`.
import { build } from 'esbuild';
import { existsSync, mkdirSync, readdirSync, copyFileSync } from 'node:fs';
import path from 'node:path';

const src = 'web';
const out = 'dist/web';
mkdirSync(out, { recursive: true });
const files = existsSync(src) ? readdirSync(src) : [];
const entries = files
  .filter((f) => f.endsWith('.page.ts') || f.endsWith('.css'))
  .map((f) => path.join(src, f));
const common = {
  bundle: true,
  platform: 'browser',
  // noVNC uses top-level await (its WebCodecs probe): ES2022 modules.
  target: ['chrome110', 'firefox115', 'safari16'],
  outdir: out,
  sourcemap: true,
  minify: true,
  legalComments: 'linked',
  logLevel: 'warning',
};
if (entries.length > 0) await build({ ...common, entryPoints: entries, format: 'esm' });
const classic = files.filter((f) => f.endsWith('.classic.ts')).map((f) => path.join(src, f));
if (classic.length > 0) await build({ ...common, entryPoints: classic, format: 'iife' });
for (const f of files) {
  if (f.endsWith('.html') || f.endsWith('.svg')) copyFileSync(path.join(src, f), path.join(out, f));
}
