#!/usr/bin/env bash
# Prepares a Debian/Ubuntu host for virt-webconsole and its tests, idempotently:
#   - installs the Debian packages that are missing (QEMU, libvirt, busybox, Chromium, websockify …)
#   - makes sure virtlogd and libvirtd run (systemd where it is PID 1, plain daemons otherwise)
#   - waits until `virsh -c qemu:///system version` answers.
# Not root and something missing: prints what to run and exits 2.
set -euo pipefail

PACKAGES=(
  qemu-system-x86 qemu-utils libvirt-daemon-system libvirt-clients
  busybox-static cpio chromium websockify openssl procps psmisc iproute2 ca-certificates curl
  fonts-dejavu-core
)
URI=qemu:///system

log() { printf 'setup-host: %s\n' "$*" >&2; }

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  if [[ $EUID -ne 0 ]]; then
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
    exit 2
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists; an old list may not know the current versions.
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

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
