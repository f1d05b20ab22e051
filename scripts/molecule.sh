#!/usr/bin/env bash
# Run every molecule scenario under molecule/ (or those named as arguments) on podman.
# Prepares podman first (scripts/podman-setup.sh: packages, containers.conf, local image).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export ANSIBLE_COLLECTIONS_PATH="${ANSIBLE_COLLECTIONS_PATH:-$ROOT/.collections}"
"$ROOT/scripts/podman-setup.sh"
if (($#)); then
    scenarios=("$@")
else
    mapfile -t scenarios < <(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml -printf '%h\n' | xargs -rn1 basename | sort)
fi
((${#scenarios[@]})) || { echo "no molecule scenarios found" >&2; exit 1; }
export MOLECULE_RUN_ID="$$"
failed=()
for s in "${scenarios[@]}"; do
    echo "----- molecule scenario $s -----"
    start=$(date +%s)
    if molecule test -s "$s"; then
        echo "----- molecule scenario $s: passed in $(( $(date +%s) - start ))s -----"
    else
        echo "----- molecule scenario $s: FAILED in $(( $(date +%s) - start ))s -----"
        failed+=("$s")
    fi
done
if ((${#failed[@]})); then
    echo "molecule scenarios failed: ${failed[*]}" >&2
    exit 1
fi
