#!/usr/bin/env bash
# Start `sandbox up` in the background while the first test stages run, so the integration
# stage finds the cloud ready. The integration fixture runs `sandbox up` again: it waits for
# this one (the sandbox's lock) and reports its errors if it failed. Output: reports/sandbox-up.log
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ "${KOLLA_OPS_SANDBOX_SKIP:-0}" == "1" ]]; then
    exit 0
fi
mkdir -p "$ROOT/reports"
log="$ROOT/reports/sandbox-up.log"
nohup "$ROOT/sandbox/sandbox" up >"$log" 2>&1 </dev/null &
echo "[test] sandbox up started in the background (pid $!), log: $log"
