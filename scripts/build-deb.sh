#!/usr/bin/env bash
# Builds the Debian package virt-webconsole_<version>_all.deb with dpkg-deb, non-interactively:
#
#   bash scripts/build-deb.sh [OUTPUT_DIR]        (default: dist/deb; prints the .deb's path)
#
# Needs `npm install` done in the repository (tsc and esbuild build the npm package) and
# dpkg-deb. The npm package (`npm pack`, its `files` list) is built from a clean copy of the
# sources, so stale files in dist/ never ship and the working tree's dist/ is left alone; its
# dist/ and package.json become /usr/lib/virt-webconsole with the production node_modules
# (`npm install --omit=dev` against package-lock.json; the npm cache is used when it has the
# packages). Layout:
#
#   /usr/lib/virt-webconsole/{dist,node_modules,package.json}
#   /usr/bin/virt-webconsole                        sh wrapper: node …/dist/src/cli.js
#   /lib/systemd/system/virt-webconsole.service     contrib/virt-webconsole.service as is
#   /etc/virt-webconsole/config.json                packaging/config.json, a conffile
#   /usr/share/doc/virt-webconsole/                 README.md, README.Debian, docs/, copyright,
#                                                   changelog.gz, examples/
#   /usr/share/man/man1/virt-webconsole.1.gz        from the --help texts (scripts/man-page.mjs)
#
# Maintainer scripts and the control template are in packaging/deb/. The maintainer field comes
# from package.json's "author", else $DEBFULLNAME <$DEBEMAIL>, else a placeholder.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$repo/dist/deb}
umask 022

die() {
  echo "build-deb: $*" >&2
  exit 1
}

for tool in node npm dpkg-deb tar gzip; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev; Node.js >= 20.19 with npm)"
done
[[ -x $repo/node_modules/.bin/tsc && -x $repo/node_modules/.bin/esbuild ]] ||
  die "run \`npm install\` in $repo first (the build needs tsc and esbuild)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/vwc-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT

pkg_field() {
  node -e 'const p = require(process.argv[1]); const v = process.argv[2].split(".").reduce((o, k) => o?.[k], p);
    process.stdout.write(v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));' \
    "$repo/package.json" "$1"
}
name=$(pkg_field name)
version=$(pkg_field version)
[[ $name == virt-webconsole && -n $version ]] || die "package.json: unexpected name/version ($name $version)"
# npm's 1.2.0-rc.1 sorts before 1.2.0; in Debian that is 1.2.0~rc.1.
debversion=${version//-/\~}

# shellcheck disable=SC2016 # a JavaScript template literal, not shell
maintainer=$(node -e 'const a = require(process.argv[1]).author;
  const s = typeof a === "string" ? a : a && a.name ? `${a.name}${a.email ? ` <${a.email}>` : ""}` : "";
  process.stdout.write(/<[^>]+@[^>]+>/.test(s) ? s.replace(/\s*\([^)]*\)\s*$/, "") : "");' "$repo/package.json")
if [[ -z $maintainer ]]; then
  if [[ -n ${DEBEMAIL:-} ]]; then
    maintainer="${DEBFULLNAME:-virt-webconsole maintainers} <$DEBEMAIL>"
  else
    maintainer='virt-webconsole maintainers <maintainers@virt-webconsole.invalid>'
  fi
fi

echo "== npm package (clean copy of the sources)" >&2
tree=$work/tree
mkdir -p "$tree/scripts"
for item in package.json package-lock.json tsconfig.json tsconfig.build.json README.md LICENSE .npmignore \
  src web scripts/build-web.mjs docs contrib packaging; do
  if [[ -e $repo/$item ]]; then cp -a "$repo/$item" "$tree/$item"; fi
done
ln -s "$repo/node_modules" "$tree/node_modules"
# prepack builds dist/ in the copy; its output goes to stderr so stdout stays this script's.
(cd "$tree" && npm pack --pack-destination "$work" --loglevel=warn >&2)
tarball=$(echo "$work"/"$name"-*.tgz)
[[ -f $tarball ]] || die "npm pack made no tarball"
mkdir "$work/npm"
tar -xzf "$tarball" -C "$work/npm"

echo "== staging" >&2
root=$work/root
lib=$root/usr/lib/virt-webconsole
doc=$root/usr/share/doc/virt-webconsole
mkdir -p "$lib" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/virt-webconsole" "$doc/examples" \
  "$doc/docs" "$root/DEBIAN"
cp -a "$work/npm/package/dist" "$work/npm/package/package.json" "$lib/"
cp "$repo/package-lock.json" "$lib/"
# Runtime modules only, without optional ones and without install scripts: nothing is compiled
# (ssh2 then uses its JavaScript fallbacks), so the package is architecture-independent.
(cd "$lib" && npm install --omit=dev --omit=optional --ignore-scripts --prefer-offline --no-audit --no-fund --loglevel=error >&2)
rm -f "$lib/package-lock.json"
rm -rf "$lib/node_modules/.bin"
# What no module loads at run time: each module's tests, docs (pino's docs page loads scripts
# from CDNs), examples and benches, dotfiles (eslint, npm and git settings), source maps. An
# executable bit without a #! line goes too.
while IFS= read -r -d '' manifest; do
  module=${manifest%/package.json}
  case ${module%/*} in */node_modules | */node_modules/@*) ;; *) continue ;; esac
  for junk in test tests __tests__ doc docs docsify example examples bench benchmark benchmarks .github index.html; do
    rm -rf "${module:?}/$junk"
  done
  # READMEs and change logs; license texts stay (the copyright file points to them).
  find "$module" -maxdepth 1 -type f \( -iname '*.md' -o -iname '*.markdown' \) ! -iname 'licen[cs]e*' -delete
done < <(find "$lib/node_modules" -name package.json -print0)
find "$lib/node_modules" -mindepth 1 -name '.*' ! -name .package-lock.json -prune -exec rm -rf {} +
find "$lib/node_modules" -type f -name '*.map' -delete
while IFS= read -r -d '' file; do
  [[ $(head -c 2 "$file") == '#!' ]] || chmod a-x "$file"
done < <(find "$lib/node_modules" -type f -perm /111 -print0)

cat >"$root/usr/bin/virt-webconsole" <<'EOF'
#!/bin/sh
exec /usr/bin/node /usr/lib/virt-webconsole/dist/src/cli.js "$@"
EOF
chmod 755 "$root/usr/bin/virt-webconsole"

cp "$repo/contrib/virt-webconsole.service" "$root/lib/systemd/system/"
mkdir -p "$root/usr/share/lintian/overrides"
cp "$repo/packaging/deb/lintian-overrides" "$root/usr/share/lintian/overrides/virt-webconsole"
cp "$repo/packaging/config.json" "$root/etc/virt-webconsole/config.json"

cp "$work/npm/package/README.md" "$repo/packaging/deb/README.Debian" "$doc/"
cp "$work/npm/package/docs/"*.md "$doc/docs/"
cp "$repo/contrib/nginx.conf" "$repo/packaging/config.json" "$repo/packaging/config-nginx.json" "$doc/examples/"

# Changelog of a native package; dated by the last commit when there is one (reproducible).
date=$(git -C "$repo" log -1 --format=%cD 2>/dev/null || true)
[[ -n $date ]] || date=$(date -R)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || true)
{
  echo "$name ($debversion) unstable; urgency=medium"
  echo
  echo "  * Built from the virt-webconsole sources${commit:+ at commit $commit}."
  echo "    The project's history: its git log."
  echo
  echo " -- $maintainer  $date"
} | gzip -9n >"$doc/changelog.gz"

# The manual page, made from the command's own --help texts.
mkdir -p "$root/usr/share/man/man1"
node "$repo/scripts/man-page.mjs" "$lib/dist/src/cli.js" "$(date -d "$date" +%F)" |
  gzip -9n >"$root/usr/share/man/man1/virt-webconsole.1.gz"

# Copyright: the project's license and every module shipped with it (node_modules, and the
# browser libraries esbuild bundled into dist/web).
node --input-type=module - "$repo" "$lib" "$(date -d "$date" +%Y)" >"$doc/copyright" <<'EOF'
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
const [repo, lib, year] = process.argv.slice(2);
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const license = (p) => (typeof p.license === 'string' ? p.license : (p.license?.type ?? 'see its files'));
const modules = [];
const walk = (dir) => {
  for (const entry of existsSync(dir) ? readdirSync(dir).sort() : []) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) walk(path.join(dir, entry));
    else {
      const file = path.join(dir, entry, 'package.json');
      if (!existsSync(file)) continue;
      const p = JSON.parse(readFileSync(file, 'utf8'));
      modules.push(p);
      walk(path.join(dir, entry, 'node_modules'));
    }
  }
};
walk(path.join(lib, 'node_modules'));
const lock = JSON.parse(readFileSync(path.join(repo, 'package-lock.json'), 'utf8'));
const bundled = ['@novnc/novnc', '@xterm/xterm', '@xterm/addon-fit', '@xterm/addon-search', '@xterm/addon-web-links']
  .map((name) => ({ name, ...lock.packages[`node_modules/${name}`] }))
  .filter((p) => p.version);
const projectText = existsSync(path.join(repo, 'LICENSE'))
  ? readFileSync(path.join(repo, 'LICENSE'), 'utf8').trim()
  : `Copyright (c) ${year} the ${pkg.name} authors

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction,
including without limitation the rights to use, copy, modify, merge, publish, distribute,
sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT
OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`;
const line = (p, where) => `  ${p.name} ${p.version} (${license(p)}): ${where}`;
process.stdout.write(`${pkg.name} ${pkg.version}

License: ${pkg.license}

${projectText}

Modules shipped in /usr/lib/virt-webconsole/node_modules, each under its own license; the full
texts are in each module's folder (LICENSE, LICENSE.md or README):

${modules.map((p) => line(p, `node_modules/${p.name}`)).join('\n')}

Browser libraries bundled into /usr/lib/virt-webconsole/dist/web/*.js by esbuild; their
notices are in dist/web/*.LEGAL.txt, and the MPL-2.0 text is in
/usr/share/common-licenses/MPL-2.0:

${bundled.map((p) => line(p, 'dist/web')).join('\n')}
`);
EOF

# A compiled module (*.node) would tie the package to this architecture (see above: none).
arch=all
if find "$lib/node_modules" -name '*.node' -print -quit | grep -q .; then
  arch=$(dpkg --print-architecture)
fi

# Permissions: nothing group/world-writable; the configuration folder as the unit sets it.
chmod -R u+rwX,go+rX,go-w "$root"
chmod 750 "$root/etc/virt-webconsole"

installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s|@VERSION@|$debversion|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
  -e "s|@INSTALLED_SIZE@|$installed_size|" "$repo/packaging/deb/control.in" >"$root/DEBIAN/control"
cp "$repo/packaging/deb/conffiles" "$root/DEBIAN/"
for script in postinst prerm postrm; do
  install -m 755 "$repo/packaging/deb/$script" "$root/DEBIAN/$script"
done
(cd "$root" && find . -type f ! -path './DEBIAN/*' ! -path './etc/*' -printf '%P\0' | LC_ALL=C sort -z |
  xargs -0 md5sum) >"$root/DEBIAN/md5sums"
chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"

deb=$out/${name}_${debversion}_${arch}.deb
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >&2
echo "$deb"
