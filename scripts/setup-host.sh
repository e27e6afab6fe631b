#!/usr/bin/env bash
# Prepares a Debian/Ubuntu host for virt-webconsole and its tests, idempotently:
#   - installs the Debian packages that are missing (QEMU, libvirt, busybox, Chromium, websockify …)
#   - makes sure Node.js >= 20.19 and npm are there (apt's nodejs when it is new enough, else exit 2)
#   - makes sure virtlogd and libvirtd run (systemd where it is PID 1, plain daemons otherwise)
#   - waits until `virsh -c qemu:///system version` answers.
# Not root and something missing: prints what to run and exits 2.
set -euo pipefail

PACKAGES=(
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients
  busybox-static cpio chromium websockify openssl procps psmisc iproute2 ca-certificates curl
  fonts-dejavu-core nginx-light bubblewrap systemd dpkg-dev lintian openssh-client sshpass prometheus
  asciinema
)
URI=qemu:///system

log() { printf 'setup-host: %s\n' "$*" >&2; }

apt_updated=0
# A fresh machine has no package lists; an old list may not know the current versions.
apt_update_once() {
  ((apt_updated)) || apt-get update -qq
  apt_updated=1
}
# Installs Debian packages as root; as another user, prints what to run and exits 2.
apt_install() {
  if [[ $EUID -ne 0 ]]; then
    log "missing Debian packages: $*"
    log "run as root:  apt-get update && apt-get install -y --no-install-recommends $*"
    exit 2
  fi
  log "installing: $*"
  apt_update_once
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  hash -r
}

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

# Node.js >= 20.19 (package.json "engines"). Debian 12's own nodejs is 18: apt's nodejs is
# installed only when its candidate is new enough (NodeSource's repository, Debian 13).
NODE_MIN=20.19
node_ok() { [[ "$1" =~ ^[0-9] ]] && dpkg --compare-versions "$1" ge "$NODE_MIN"; }
ensure_node() {
  local found candidate
  found="$(node --version 2>/dev/null)" || found=""
  if ! node_ok "${found#v}"; then
    [[ $EUID -ne 0 ]] || apt_update_once
    candidate="$(apt-cache policy nodejs 2>/dev/null | awk '$1 == "Candidate:" { print $2 }')"
    if ! node_ok "${candidate#*:}"; then
      log "Node.js >= $NODE_MIN is needed; found: ${found:-no node}; apt's nodejs: ${candidate:-(none)}"
      log "install Node.js >= $NODE_MIN (e.g. nodejs from NodeSource's Debian repository," \
        "https://github.com/nodesource/distributions, or Debian 13's nodejs), then run this again"
      exit 2
    fi
    apt_install nodejs
    found="$(node --version 2>/dev/null)" || found=""
    if ! node_ok "${found#v}"; then
      log "Node.js >= $NODE_MIN is needed; after installing nodejs $candidate, $(command -v node || echo node) is ${found:-missing}"
      exit 2
    fi
  fi
  # NodeSource's nodejs brings npm; Debian's does not.
  command -v npm >/dev/null || apt_install npm
}
ensure_node

# Without udev (containers), /dev/kvm can be root-only. libvirt then probes QEMU as root with
# KVM, finds KVM unusable for the libvirt-qemu user, throws the capabilities away and probes
# again on every call: each virsh call hangs for seconds (measured). Give it udev's usual mode.
fix_kvm_node() {
  [[ -c /dev/kvm && $EUID -eq 0 ]] || return 0
  if [[ "$(stat -c %G /dev/kvm)" != kvm ]] || ((($(stat -c %#a /dev/kvm) & 0060) != 0060)); then
    chgrp kvm /dev/kvm && chmod 0660 /dev/kvm && log "gave /dev/kvm to group kvm (mode 0660)"
  fi
}
fix_kvm_node

virsh_answers() { timeout 10 virsh -c "$URI" version >/dev/null 2>&1; }

if virsh_answers; then
  log "libvirtd answers on $URI"
  exit 0
fi

if [[ $EUID -ne 0 ]]; then
  log "libvirtd does not answer on $URI; as root run: systemctl start virtlogd libvirtd"
  log "(without systemd: virtlogd -d && libvirtd -d)"
  exit 2
fi

if [[ "$(ps -p 1 -o comm= 2>/dev/null)" == systemd ]]; then
  systemctl start virtlogd.socket virtlogd libvirtd
else
  # No systemd: run the daemons ourselves. Each is started only when no instance runs.
  pgrep -x virtlogd >/dev/null || virtlogd -d
  if ! pgrep -x libvirtd >/dev/null; then
    rm -f /run/libvirtd.pid
    libvirtd -d
  fi
fi

for _ in $(seq 1 60); do
  if virsh_answers; then
    log "libvirtd answers on $URI"
    exit 0
  fi
  sleep 0.5
done
log "libvirtd did not answer on $URI within 30 s; see /var/log/libvirt/libvirtd.log"
exit 1
