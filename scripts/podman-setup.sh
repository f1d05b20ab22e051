#!/usr/bin/env bash
# Prepare podman for molecule on a Debian host (see ../shared/ENVIRONMENT.md):
#  - podman, runc, debootstrap from Debian when missing;
#  - /etc/containers/containers.conf with runc and explicit ulimits
#    (crun fails on cgroups v1 hybrid hosts; without ulimits setrlimit is refused);
#  - a local image localhost/debian-node:bookworm built with debootstrap (no
#    registry is needed); kept in podman's store, so later runs reuse it.
# Idempotent: a second run changes nothing and takes about a second.
set -euo pipefail

IMAGE="${KOLLA_OPS_MOLECULE_IMAGE:-localhost/debian-node:bookworm}"
SUITE="${KOLLA_OPS_MOLECULE_SUITE:-bookworm}"
MIRROR="${KOLLA_OPS_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
log() { printf '[podman-setup] %s\n' "$*" >&2; }
die() { printf '[podman-setup] ERROR: %s\n' "$*" >&2; exit 1; }

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi

missing=()
for cmd in podman runc debootstrap; do
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
done
if ((${#missing[@]})); then
    log "installing ${missing[*]} from Debian"
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q podman runc debootstrap >/dev/null \
        || { $SUDO apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null && \
             $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q podman runc debootstrap >/dev/null; } \
        || die "apt-get install podman runc debootstrap failed"
fi

CONF=/etc/containers/containers.conf
WANT='# Written by kolla_ops.nova scripts/podman-setup.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"'
if [[ ! -f "$CONF" ]] || [[ "$(cat "$CONF")" != "$WANT" ]]; then
    if [[ -f "$CONF" ]] && ! grep -q 'kolla_ops.nova' "$CONF"; then
        $SUDO cp -n "$CONF" "$CONF.orig-kolla-ops" || true
        log "saved the previous $CONF as $CONF.orig-kolla-ops"
    fi
    $SUDO mkdir -p /etc/containers
    printf '%s\n' "$WANT" | $SUDO tee "$CONF" >/dev/null
    log "wrote $CONF (runtime runc, default ulimits)"
fi

if ! podman image exists "$IMAGE"; then
    root="$(mktemp -d /var/tmp/debian-node.XXXXXX)"
    log "building $IMAGE with debootstrap ($SUITE, about 40 s)"
    $SUDO debootstrap --variant=minbase \
        --include=python3,python3-apt,openssh-server,iproute2,kmod,procps,systemd-sysv,grub-common \
        "$SUITE" "$root" "$MIRROR" >/var/tmp/debian-node-debootstrap.log 2>&1 \
        || die "debootstrap failed, see /var/tmp/debian-node-debootstrap.log"
    $SUDO tar -C "$root" -c . | podman import - "$IMAGE" >/dev/null || die "podman import failed"
    $SUDO rm -rf "$root"
    log "image $IMAGE ready"
fi
podman run --rm "$IMAGE" python3 -c 'import sys; print(sys.version.split()[0])' >/dev/null \
    || die "podman cannot run $IMAGE (check $CONF and 'podman info')"
