#!/usr/bin/env bash
# One command, as root on a fresh Debian machine: installs what is missing, builds, boots a demo
# VM from the test guest (serial on a pty, a second serial on a UNIX socket, VNC on a UNIX
# socket), starts the daemon and prints the URL and the login. Ctrl-C stops the daemon and
# removes the demo VM.
#   VWC_DEMO_LISTEN=0.0.0.0:8080 bash scripts/demo.sh   # reachable from other hosts
#   VWC_DEMO_ONLY=1 …                                   # serve the demo VM only, not the host's others
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

name="${VWC_DEMO_DOMAIN:-vwc-demo}"
listen="${VWC_DEMO_LISTEN:-127.0.0.1:8080}"
state="/var/lib/virt-webconsole-demo/$name"
sockets="/run/vwc-demo/$name"

log() { printf 'demo: %s\n' "$*" >&2; }

bash scripts/setup-host.sh
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
log "building"
npm run --silent build
guest="$(bash fixtures/guest/build.sh)"

remove_vm() {
  virsh -q destroy "$name" >/dev/null 2>&1 || true
  virsh -q undefine "$name" >/dev/null 2>&1 || true
  rm -rf "$sockets"
}

daemon_pid=""
cleanup() {
  # A second Ctrl-C (the terminal signals the whole process group) must not cut the removal short.
  trap '' INT TERM
  trap - EXIT
  if [[ -n "$daemon_pid" ]] && kill -0 "$daemon_pid" 2>/dev/null; then
    kill -TERM "$daemon_pid" 2>/dev/null || true
    wait "$daemon_pid" 2>/dev/null || true
  fi
  log "removing the demo VM $name"
  remove_vm
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A leftover from an interrupted demo is replaced, never reused half-configured.
remove_vm
mkdir -p "$sockets" "$state"
chown libvirt-qemu:kvm "$sockets"
chmod 0770 "$sockets"
sed -e "s|@NAME@|$name|g" -e "s|@GUEST@|$guest|g" -e "s|@SOCKETS@|$sockets|g" \
  fixtures/domains/demo.xml.in >"$state/$name.xml"
virsh -q define "$state/$name.xml" >/dev/null
virsh -q start "$name" >/dev/null
log "started VM $name"

# Demo users: test:test may type, viewer:viewer may only watch. (`virt-webconsole passwd`
# refuses passwords this short; the demo writes its users file directly.)
node --input-type=module -e "
  import bcrypt from 'bcryptjs';
  import { writeFileSync } from 'node:fs';
  const line = (u, p, r) => u + ':' + bcrypt.hashSync(p, 10) + ':' + r;
  writeFileSync(process.argv[1], [line('test', 'test', 'operator'), line('viewer', 'viewer', 'viewer')].join('\n') + '\n', { mode: 0o600 });
" "$state/users"

include='[]'
[[ "${VWC_DEMO_ONLY:-}" == 1 ]] && include="[\"$name\"]"
cat >"$state/config.json" <<JSON
{
  "listen": "$listen",
  "discovery": { "include": $include },
  "usersFile": "$state/users",
  "webDir": "$repo/dist/web",
  "logLevel": "info"
}
JSON

node dist/src/cli.js serve --config "$state/config.json" &
daemon_pid=$!

host="${listen%:*}"
port="${listen##*:}"
[[ "$host" == 0.0.0.0 || "$host" == "::" ]] && host="$(hostname -I 2>/dev/null | awk '{print $1}')"
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || { log "the daemon exited"; exit 1; }
  sleep 0.2
done
cat >&2 <<MSG

  virt-webconsole demo is running.
    URL:    http://${host:-127.0.0.1}:$port/console/$name   (all VMs: http://${host:-127.0.0.1}:$port/)
    Login:  test / test   (operator)      viewer / viewer   (view only)
  Ctrl-C stops the daemon and removes the demo VM.

MSG
wait "$daemon_pid"
