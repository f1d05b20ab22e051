#!/usr/bin/env bash
# Bootstrap the controller environment for kolla_ops.nova, unattended.
#
#   scripts/bootstrap.sh            # venv + pinned requirements + collections + this collection
#   scripts/bootstrap.sh --collection-only   # rebuild and reinstall this collection only
#
# Re-running is fast and changes nothing: each step is keyed by a stamp that
# holds the hash of its inputs.
#
# Environment:
#   VENV                  virtualenv path (default: .venv in the repository)
#   KOLLA_OPS_PYTHON      interpreter to build the venv with (default: 3.12 from pyenv or
#                         python3.12 on PATH, else python3)
#   ANSIBLE_BUNDLE_VERSION  PyPI `ansible` bundle used when no Galaxy server answers
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
COLLECTIONS_DIR="$ROOT/.collections"
CACHE_DIR="${KOLLA_OPS_CACHE:-$HOME/.cache/kolla-ops-nova}"
ANSIBLE_BUNDLE_VERSION="${ANSIBLE_BUNDLE_VERSION:-14.5.0}"
DEP_COLLECTIONS=(openstack.cloud ansible.posix community.general community.library_inventory_filtering_v1 containers.podman)

log() { printf '[bootstrap] %s\n' "$*" >&2; }
die() { printf '[bootstrap] ERROR: %s\n' "$*" >&2; exit 1; }

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

pick_python() {
    if [[ -n "${KOLLA_OPS_PYTHON:-}" ]]; then echo "$KOLLA_OPS_PYTHON"; return; fi
    if command -v pyenv >/dev/null 2>&1; then
        local root v
        root="$(pyenv root)"
        v="$(ls -d "$root"/versions/3.12* 2>/dev/null | sort -V | tail -1 || true)"
        if [[ -n "$v" && -x "$v/bin/python3.12" ]]; then echo "$v/bin/python3.12"; return; fi
    fi
    if command -v python3.12 >/dev/null 2>&1; then command -v python3.12; return; fi
    command -v python3 || die "no python3 found: install python3 (3.12 preferred) and re-run"
}

step_venv() {
    local py
    if [[ -x "$VENV/bin/python" ]]; then return; fi
    py="$(pick_python)"
    log "creating virtualenv $VENV with $py ($("$py" -V 2>&1))"
    "$py" -m venv "$VENV" || die "could not create a venv with $py (Debian: apt-get install python3-venv)"
}

step_requirements() {
    local stamp="$VENV/.kolla_ops_requirements" want
    want="$(hash_of requirements/runtime.txt requirements/test.txt requirements/constraints.txt)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
    log "installing pinned requirements into $VENV"
    "$VENV/bin/python" -m pip install -q --upgrade pip >/dev/null 2>&1 || true
    "$VENV/bin/python" -m pip install -q -r requirements/test.txt \
        || die "pip install of requirements/test.txt failed (see the output above)"
    echo "$want" > "$stamp"
}

galaxy_reachable() {
    [[ "${KOLLA_OPS_OFFLINE:-}" == "1" ]] && return 1
    "$VENV/bin/python" - <<'EOF' >/dev/null 2>&1
import urllib.request
urllib.request.urlopen("https://galaxy.ansible.com/api/", timeout=5)
EOF
}

step_collections() {
    local stamp="$COLLECTIONS_DIR/.kolla_ops_deps" want
    want="$(hash_of requirements/collections.yml)-$ANSIBLE_BUNDLE_VERSION"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then return; fi
    mkdir -p "$COLLECTIONS_DIR/ansible_collections"
    if galaxy_reachable; then
        log "installing dependency collections from Galaxy"
        "$VENV/bin/ansible-galaxy" collection install -r requirements/collections.yml \
            -p "$COLLECTIONS_DIR" --force >/dev/null
    else
        log "no Galaxy server reachable: taking ${DEP_COLLECTIONS[*]} from the PyPI ansible==$ANSIBLE_BUNDLE_VERSION bundle"
        mkdir -p "$CACHE_DIR/wheels"
        local whl="$CACHE_DIR/wheels/ansible-$ANSIBLE_BUNDLE_VERSION-py3-none-any.whl"
        if [[ ! -f "$whl" ]]; then
            "$VENV/bin/python" -m pip download -q --no-deps "ansible==$ANSIBLE_BUNDLE_VERSION" \
                -d "$CACHE_DIR/wheels" || die "could not download ansible==$ANSIBLE_BUNDLE_VERSION from PyPI"
        fi
        local patterns=() c
        for c in "${DEP_COLLECTIONS[@]}"; do
            rm -rf "$COLLECTIONS_DIR/ansible_collections/${c/.//}"
            patterns+=("ansible_collections/${c/.//}/*")
        done
        "$VENV/bin/python" - "$whl" "$COLLECTIONS_DIR" "${patterns[@]}" <<'EOF'
import fnmatch, sys, zipfile
whl, dest, pats = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(whl) as z:
    names = [n for n in z.namelist() if any(fnmatch.fnmatch(n, p) for p in pats)]
    for p in pats:
        if not any(fnmatch.fnmatch(n, p) for n in names):
            sys.exit(f"collection {p} is not in {whl}")
    z.extractall(dest, names)
EOF
    fi
    echo "$want" > "$stamp"
}

step_collection_self() {
    local build="$ROOT/.build" tarball
    local stamp="$COLLECTIONS_DIR/.kolla_ops_self" want
    # Hash every file that goes into the collection (tracked or not, minus ignored).
    want="$(cd "$ROOT" && { git ls-files -co --exclude-standard 2>/dev/null || find . -type f; } \
        | LC_ALL=C sort | while read -r f; do [[ -f "$f" ]] && printf '%s %s\n' "$f" "$(sha256sum < "$f")"; done \
        | sha256sum | cut -c1-16)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" \
          && -f "$COLLECTIONS_DIR/ansible_collections/kolla_ops/nova/MANIFEST.json" ]]; then
        return
    fi
    build="$build/self.$$"
    rm -rf "$build" && mkdir -p "$build"
    "$VENV/bin/ansible-galaxy" collection build --force --output-path "$build" "$ROOT" >/dev/null \
        || die "ansible-galaxy collection build failed"
    tarball="$(ls "$build"/kolla_ops-nova-*.tar.gz)"
    # Install beside the live copy, then swap it in with renames, so a playbook
    # running meanwhile never sees a half-installed collection.
    "$VENV/bin/ansible-galaxy" collection install --no-deps --force -p "$build/install" "$tarball" \
        >"$build.log" 2>&1 || { cat "$build.log" >&2; die "ansible-galaxy collection install of $tarball failed"; }
    rm -f "$build.log"
    local live="$COLLECTIONS_DIR/ansible_collections/kolla_ops/nova"
    mkdir -p "$(dirname "$live")"
    if [[ -d "$live" ]]; then mv "$live" "$build/old"; fi
    mv "$build/install/ansible_collections/kolla_ops/nova" "$live"
    rm -rf "$build"
    echo "$want" > "$stamp"
    log "installed $(basename "$tarball") into $COLLECTIONS_DIR"
}

# One bootstrap at a time (several shells or CI stages may call it).
mkdir -p "$ROOT/.build"
exec 9>"$ROOT/.build/bootstrap.lock"
flock 9

if [[ "${1:-}" == "--collection-only" ]]; then
    step_collection_self
    exit 0
fi
step_venv
step_requirements
step_collections
step_collection_self
log "ready: source $VENV/bin/activate (collections in $COLLECTIONS_DIR)"
