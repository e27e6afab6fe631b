#!/usr/bin/env bash
# One command, as root on a fresh Debian machine: installs what is missing, builds, boots a demo
# VM from the test guest (serial on a pty, a second serial on a UNIX socket, VNC on a UNIX
# socket), starts the daemon (its log goes to a file) and prints the URL and the login. Ctrl-C
# stops the daemon and removes the demo VM and every file the demo made.
#   VWC_DEMO_LISTEN=0.0.0.0:8080 bash scripts/demo.sh   # reachable from other hosts
#   VWC_DEMO_ONLY=1 …                                   # serve the demo VM only, not the host's others
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
repo="$PWD"

name="${VWC_DEMO_DOMAIN:-vwc-demo}"
listen="${VWC_DEMO_LISTEN:-127.0.0.1:8080}"
state="/var/lib/virt-webconsole-demo/$name"
sockets="/run/vwc-demo/$name"
daemon_log="$state/daemon.log"

log() { printf 'demo: %s\n' "$*" >&2; }

# The name becomes a folder that the demo removes with rm -rf.
if [[ ! "$name" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]*$ ]]; then
  log "VWC_DEMO_DOMAIN must be letters, digits, '_', '.', '-' (got '$name')"
  exit 2
fi

bash scripts/setup-host.sh
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm install --no-audit --no-fund
fi
log "building"
npm run --silent build
guest="$(bash fixtures/guest/build.sh)"

# The VM, its sockets folder and the state folder (config, users, daemon log), and their parent
# folders when no other demo uses them.
remove_all() {
  virsh -q destroy "$name" >/dev/null 2>&1 || true
  virsh -q undefine "$name" >/dev/null 2>&1 || true
  rm -rf "$sockets" "$state"
  rmdir "${sockets%/*}" "${state%/*}" 2>/dev/null || true
}

daemon_pid=""
daemon_status=""
stopping="" # set on Ctrl-C / SIGTERM: the daemon's exit is then expected
cleanup() {
  # A second Ctrl-C (the terminal signals the whole process group) must not cut the removal short.
  trap '' INT TERM
  trap - EXIT
  if [[ -n "$daemon_pid" ]]; then
    if kill -0 "$daemon_pid" 2>/dev/null; then
      kill -TERM "$daemon_pid" 2>/dev/null || true
      wait "$daemon_pid" 2>/dev/null || true
    elif [[ -z "$stopping" ]]; then
      # The daemon stopped by itself: show why before its log is removed with the state folder.
      [[ -n "$daemon_status" ]] || { wait "$daemon_pid" 2>/dev/null && daemon_status=0 || daemon_status=$?; }
      log "the daemon exited (status $daemon_status); the last lines of its log:"
      tail -n 20 "$daemon_log" >&2 || true
    fi
  fi
  log "removing the demo VM $name and its files"
  remove_all
}
trap cleanup EXIT
trap 'stopping=1; exit 130' INT TERM

# A leftover from an interrupted demo is replaced, never reused half-configured.
remove_all
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
  "stateDir": "$state/state",
  "webDir": "$repo/dist/web",
  "logLevel": "info"
}
JSON

# The daemon's JSON log goes to a file, so the terminal shows only the demo's own lines.
node dist/src/cli.js serve --config "$state/config.json" >"$daemon_log" 2>&1 &
daemon_pid=$!

host="${listen%:*}"
port="${listen##*:}"
[[ "$host" == 0.0.0.0 || "$host" == "::" ]] && host="$(hostname -I 2>/dev/null | awk '{print $1}')"
for _ in $(seq 1 100); do
  curl -fsS -m 2 -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break
  kill -0 "$daemon_pid" 2>/dev/null || exit 1 # cleanup prints the end of the daemon's log
  sleep 0.2
done
cat >&2 <<MSG

  virt-webconsole demo is running.
    URL:    http://${host:-127.0.0.1}:$port/console/$name   (all VMs: http://${host:-127.0.0.1}:$port/)
    Login:  test / test   (operator)      viewer / viewer   (view only)
    Logs:   tail -f $daemon_log
  Ctrl-C stops the daemon and removes the demo VM and its files.

MSG
wait "$daemon_pid" && daemon_status=0 || daemon_status=$?
exit 1 # cleanup prints the end of the daemon's log
