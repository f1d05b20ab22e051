#!/usr/bin/env bash
# Run one stage of `make test` with a visible banner and its duration.
set -uo pipefail
name="$1"; shift
start=$(date +%s)
printf '\n===== stage %s =====\n' "$name"
"$@"
rc=$?
printf '===== stage %s: %s in %ss =====\n' "$name" "$([[ $rc -eq 0 ]] && echo passed || echo FAILED)" "$(( $(date +%s) - start ))"
exit $rc
