#!/usr/bin/env bash
# The one command that runs every test on a fresh Debian machine, as root:
# host packages and daemons, npm packages, the test guest, then lint, type-check, build and
# the unit, integration and e2e suites. Idempotent; safe to run again.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup-host.sh
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  # `npm install`, not `npm ci`: npm 11 leaves other platforms' optional packages (rollup,
  # esbuild) out of the lock file here, and `npm ci` then refuses the lock as out of sync.
  npm install --no-audit --no-fund
fi
bash fixtures/guest/build.sh >/dev/null

echo '== lint'
npm run --silent lint
echo '== type-check'
npm run --silent typecheck
echo '== build'
npm run --silent build

echo '== tests'
status=0
npx vitest run --reporter=default --reporter=json --outputFile=.test-results.json "$@" || status=$?
node scripts/summarize-tests.mjs .test-results.json || true
exit "$status"
