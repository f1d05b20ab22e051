#!/usr/bin/env bash
# ansible-test sanity on the built collection, offline-capable.
#
# ansible-test bootstraps pip in each sanity virtualenv with a script it downloads
# from ci-files.testing.ansible.com; a file at ~/.ansible/test/cache/get_pip_<ver>.py
# is used instead when present.  Where that host is unreachable we place a small
# stand-in there that runs ensurepip and then `pip install` with the caller's
# environment (ensurepip points PIP_CONFIG_FILE at /dev/null, which would hide this
# machine's pip configuration and mirrors).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PY_VERSION="${KOLLA_OPS_SANITY_PYTHON:-$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')}"
# Outside the repository: inside it, ansible-test would ask git and see only tracked files.
WORK="${KOLLA_OPS_SANITY_DIR:-${TMPDIR:-/tmp}/kolla_ops_nova_sanity}"
COLL="$WORK/ansible_collections/kolla_ops/nova"

pip_version="$("$VENV/bin/python" - <<'EOF2'
import re, ansible_test, os
src = open(os.path.join(os.path.dirname(ansible_test.__file__), "_internal", "python_requirements.py")).read()
print(re.search(r"pip='([0-9.]+)'", src).group(1))
EOF2
)"
cache="$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
if [[ ! -f "$cache" ]] || grep -q 'kolla_ops.nova stand-in' "$cache"; then
    mkdir -p "$(dirname "$cache")"
    cat > "$cache" <<'EOF2'
# kolla_ops.nova stand-in for ansible-test's get-pip download (see scripts/sanity.sh).
import ensurepip
import os
import subprocess
import sys

saved_env = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
raise SystemExit(subprocess.call([sys.executable, "-m", "pip", "install", "-q"] + args, env=saved_env))
EOF2
fi

# A fresh copy of the installed (built) collection, beside its dependencies.
rm -rf "$COLL" && mkdir -p "$(dirname "$COLL")"
cp -a "$ROOT/.collections/ansible_collections/kolla_ops/nova" "$COLL"
for dep in "$ROOT"/.collections/ansible_collections/*/*; do
    ns="$(basename "$(dirname "$dep")")"; name="$(basename "$dep")"
    [[ "$ns/$name" == kolla_ops/nova ]] && continue
    mkdir -p "$WORK/ansible_collections/$ns"
    ln -sfn "$dep" "$WORK/ansible_collections/$ns/$name"
done
cd "$COLL"
exec "$VENV/bin/ansible-test" sanity --color no --python "$PY_VERSION" --requirements "$@"
