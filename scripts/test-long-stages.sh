#!/usr/bin/env bash
# The two long stages of `make test` at once, to keep the whole suite well under 40 minutes on
# a 2-core machine:
#   background: molecule, then the integration tests that need no cloud (the real
#               kolla-ansible genconfig runs); both keep a CPU busy with ansible
#   foreground: the integration tests on the sandbox cloud, which mostly wait on Nova
# The background output goes to reports/background-stages.log and is printed when both ends are
# done; the exit status is non-zero when either failed. bench/test-suite records the timings.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
mkdir -p reports
log="reports/background-stages.log"
(
    rc=0
    scripts/stage.sh molecule make --no-print-directory molecule || rc=1
    scripts/stage.sh integration-offline make --no-print-directory integration-offline || rc=1
    exit $rc
) >"$log" 2>&1 </dev/null &
bg=$!
echo "[test] molecule and integration-offline run in the background (pid $bg), log: $log"
scripts/stage.sh integration-sandbox make --no-print-directory integration-sandbox
fg=$?
if kill -0 "$bg" 2>/dev/null; then
    echo "[test] waiting for the background stages (molecule, integration-offline)"
fi
wait "$bg"
bgrc=$?
echo
echo "----- background stages (molecule, integration-offline), from $log -----"
cat "$log"
echo "----- end of background stages: $([[ $bgrc -eq 0 ]] && echo passed || echo FAILED) -----"
((fg == 0 && bgrc == 0))
