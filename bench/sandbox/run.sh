#!/bin/bash
# Time sandbox commands, one after the other, on a second sandbox beside the shared one
# (own state dir, ports +10000, own venv cache so "cold" really builds the venv).
#   bench/sandbox/run.sh up up                      # cold (empty cache dir), then no-op
#   bench/sandbox/run.sh down up reset up reset up  # warm figures
set -u
export KOLLA_OPS_SANDBOX_DIR=${KOLLA_OPS_SANDBOX_DIR:-/tmp/sbx-bench}
export KOLLA_OPS_SANDBOX_PORT_OFFSET=${KOLLA_OPS_SANDBOX_PORT_OFFSET:-10000}
export KOLLA_OPS_CACHE=${BENCH_CACHE:-/tmp/sbx-cache-cold}
cd "$(dirname "$0")/../.."
t() {
    local s e rc
    s=$(date +%s.%N); "$@"; rc=$?; e=$(date +%s.%N)
    awk -v s="$s" -v e="$e" -v rc="$rc" -v cmd="$*" -v ld="$(cut -d' ' -f1-3 /proc/loadavg)" \
        'BEGIN { printf "TIMING %-40s rc=%d %.1f s  (load %s)\n", cmd, rc, e - s, ld }'
}
for step in "$@"; do
    # shellcheck disable=SC2086  # a step may carry arguments: "up --scale-nodes 500"
    t sandbox/sandbox $step
done
