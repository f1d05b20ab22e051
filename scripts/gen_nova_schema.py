#!/usr/bin/env python3
"""Generate the Nova option schema shipped in plugins/module_utils/nova_schema/data/.

For each supported Nova release this script creates a throwaway virtualenv,
installs the real ``nova`` package from PyPI into it, runs Nova's own option
generator over the namespaces that nova's ``etc/nova/nova-config-generator.conf``
lists (the same set ``kolla-ansible validate-config`` uses)::

    oslo-config-generator --format yaml --namespace nova.conf --namespace oslo.log ... \
        --output-file nova-34.yaml

and reduces the YAML to readable Python literals in ``nova_schema/data/nova_<major>.py``: for every
section and option the type, default, min/max, choices, whether it is multi-valued,
deprecation data (deprecated_for_removal, reason, since, old names), the first
sentence of the help text and whether oslo.config declares it ``secret=True``.

Usage (Python 3.12 on PATH or via pyenv; about one minute per release with a warm
pip cache)::

    python3 scripts/gen_nova_schema.py                 # 31 32 33 34
    python3 scripts/gen_nova_schema.py --release 34    # one release
    python3 scripts/gen_nova_schema.py --keep-yaml DIR # also keep the raw generator output

The venvs live in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "plugins" / "module_utils" / "nova_schema" / "data"

# nova major -> exact release used for the data (the first release of each series:
# option sets do not change within a stable series).
RELEASES = {
    "31": ("31.0.0", "2025.1"),
    "32": ("32.0.0", "2025.2"),
    "33": ("33.0.0", "2026.1"),
    "34": ("34.0.0", "2026.2"),
}

# From nova's etc/nova/nova-config-generator.conf (same in 31..34).
NAMESPACES = [
    "nova.conf",
    "oslo.limit",
    "oslo.log",
    "oslo.messaging",
    "oslo.policy",
    "oslo.privsep",
    "oslo.service.periodic_task",
    "oslo.service.service",
    "oslo.db",
    "oslo.cache",
    "oslo.middleware",
    "oslo.concurrency",
    "oslo.reports",
    "oslo.versionedobjects",
    "keystonemiddleware.auth_token",
    "osprofiler",
    "os_vif",
    "os_brick",
]

_SENTENCE = re.compile(r"^(.+?[.:])(\s|$)", re.S)


def first_sentence(text, limit=160):
    text = " ".join((text or "").split())
    m = _SENTENCE.match(text)
    if m:
        text = m.group(1)
    if len(text) > limit:
        text = text[: limit - 3].rstrip() + "..."
    return text


def pick_python():
    for cand in (os.environ.get("KOLLA_OPS_PYTHON"), shutil.which("python3.12")):
        if cand:
            return cand
    try:
        root = subprocess.run(["pyenv", "root"], capture_output=True, text=True, check=True).stdout.strip()
        for v in sorted(Path(root, "versions").glob("3.12*"), reverse=True):
            if (v / "bin" / "python3.12").exists():
                return str(v / "bin" / "python3.12")
    except (OSError, subprocess.CalledProcessError):
        pass
    return sys.executable


def generate_yaml(version, workdir, python):
    venv = Path(workdir) / ("venv-" + version)
    subprocess.run([python, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    # osprofiler is optional for nova but its namespace is in nova's generator config.
    subprocess.run([*pip, "nova==" + version, "osprofiler"], check=True)
    out = Path(workdir) / ("nova-%s.yaml" % version)
    cmd = [str(venv / "bin" / "oslo-config-generator"), "--format", "yaml", "--output-file", str(out)]
    for ns in NAMESPACES:
        cmd += ["--namespace", ns]
    subprocess.run(cmd, check=True)
    # The YAML does not say which options are MultiOpt(item_type=...) (for example
    # [DEFAULT] reserved_huge_pages): ask oslo.config itself.
    multi = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _MULTI_SNIPPET, *NAMESPACES],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    (Path(workdir) / ("nova-%s.multi.json" % version)).write_text(multi)
    return out


_MULTI_SNIPPET = """
import json, sys
from oslo_config import cfg, generator
out = []
for _ns, groups in generator._list_opts(sys.argv[1:]):
    for group, opts in groups:
        name = getattr(group, "name", group) or "DEFAULT"
        for opt in opts:
            if getattr(opt, "multi", False):
                out.append([name, opt.dest])
print(json.dumps(sorted(out)))
"""


def _type_of(opt):
    t = (opt.get("type") or "string").lower()
    # oslo.config's yaml writes e.g. "string", "integer", "boolean", "floating point",
    # "list", "dict", "port number", "host address", "uri", "string(...)".
    for key, norm in (
        ("bool", "boolean"),
        ("integer", "integer"),
        ("port", "port"),
        ("float", "float"),
        ("list", "list"),
        ("dict", "dict"),
        ("host", "host"),
        ("ip", "ip"),
        ("uri", "uri"),
    ):
        if key in t:
            return norm
    return "string"


def _norm(name):
    # oslo.config treats "auth-url" and "auth_url" alike (keystoneauth options use dashes).
    return name.replace("-", "_")


def compact(yaml_path, version, series):
    import yaml  # noqa: PLC0415  (PyYAML: only needed when generating)

    data = yaml.safe_load(Path(yaml_path).read_text())
    multi_file = Path(str(yaml_path)[: -len(".yaml")] + ".multi.json")
    multi = {tuple(x) for x in json.loads(multi_file.read_text())} if multi_file.exists() else set()
    sections = {}
    for group, body in sorted(data["options"].items()):
        opts = {}
        for opt in body.get("opts", []):
            entry = {"t": _type_of(opt)}
            if opt.get("default") not in (None, ""):
                entry["d"] = opt["default"]
            for src, dst in (("min", "min"), ("max", "max")):
                if opt.get(src) is not None:
                    entry[dst] = opt[src]
            if opt.get("choices"):
                entry["c"] = [c[0] if isinstance(c, list | tuple) else c for c in opt["choices"]]
            if opt.get("multi") or "multi" in (opt.get("type") or "") or (group, _norm(opt["name"])) in multi:
                entry["m"] = 1
            if opt.get("secret"):
                # oslo.config's secret=True: the value is a credential (masked in outputs).
                entry["s"] = 1
            if opt.get("deprecated_for_removal"):
                entry["dep"] = 1
                if opt.get("deprecated_reason"):
                    entry["why"] = first_sentence(opt["deprecated_reason"], 200)
                if opt.get("deprecated_since"):
                    entry["since"] = str(opt["deprecated_since"])
            old = [
                [o.get("group") or group, _norm(o.get("name") or opt["name"])]
                for o in opt.get("deprecated_opts") or []
            ]
            if old:
                entry["old"] = old
            if opt.get("help"):
                entry["h"] = first_sentence(opt["help"])
            opts[_norm(opt["name"])] = entry
        sections[group] = opts
    return {
        "nova": version,
        "series": series,
        "generator": "oslo-config-generator --format yaml "
        + " ".join("--namespace " + n for n in NAMESPACES),
        "sections": sections,
    }


WIDTH = 160


def _literal(value):
    """A Python literal for JSON-like data, strings in double quotes (JSON escaping is valid Python)."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[%s]" % ", ".join(_literal(v) for v in value)
    return "{%s}" % ", ".join("%s: %s" % (json.dumps(k), _literal(v)) for k, v in sorted(value.items()))


def _string_lines(value, indent):
    """A long string as implicitly concatenated pieces, each line within WIDTH."""
    room = WIDTH - len(indent) - 4
    pieces, cur = [], ""
    for word in re.split(r"(?<= )", value):
        if cur and len(json.dumps(cur + word)) > room:
            pieces.append(cur)
            cur = ""
        cur += word
        while len(json.dumps(cur)) > room:  # one word longer than a line
            cut = room // 2
            pieces.append(cur[:cut])
            cur = cur[cut:]
    pieces.append(cur)
    return ["%s%s" % (indent, json.dumps(p)) for p in pieces]


def _emit(prefix, value, indent, suffix=","):
    """Lines for ``prefix + literal(value) + suffix``, broken up only when over WIDTH."""
    one = "%s%s%s%s" % (indent, prefix, _literal(value), suffix)
    if len(one) <= WIDTH:
        return [one]
    inner = indent + "    "
    if isinstance(value, str):
        return ["%s%s(" % (indent, prefix)] + _string_lines(value, inner) + ["%s)%s" % (indent, suffix)]
    if isinstance(value, list | tuple):
        lines = ["%s%s[" % (indent, prefix)]
        for v in value:
            lines += _emit("", v, inner)
        return lines + ["%s]%s" % (indent, suffix)]
    if isinstance(value, dict):
        lines = ["%s%s{" % (indent, prefix)]
        for k, v in sorted(value.items()):
            lines += _emit("%s: " % json.dumps(k), v, inner)
        return lines + ["%s}%s" % (indent, suffix)]
    return [one]


def module_text(doc, version, series):
    """The text of ``data/nova_<major>.py``: readable Python literals, one option per line
    (an option longer than a line is spread over several, one key per line).

    A Python module rather than a .json file, because Ansible ships a module's
    module_utils imports to the target (AnsiballZ) but no data files.  Kept as it is
    written (``# fmt: off``) so that a regeneration diffs option by option.
    """
    lines = [
        "# Generated by scripts/gen_nova_schema.py from nova %s (%s). Do not edit." % (version, series),
        "# Option data from oslo-config-generator --format yaml; per option: t type, d default,",
        "# min/max, c choices, m multi-valued, s secret (oslo.config secret=True), dep deprecated",
        "# for removal (why, since), old deprecated [section, name] pairs, h first sentence of help.",
        "# ruff: noqa: E501, S104, S108",
        "# fmt: off",
        "from __future__ import annotations",
        "",
        "NOVA_VERSION = %s" % json.dumps(version),
        "SERIES = %s" % json.dumps(series),
    ]
    lines += _emit("GENERATOR = ", doc["generator"], "", suffix="")
    lines += [
        "SECTIONS = {",
    ]
    for section, opts in sorted(doc["sections"].items()):
        lines.append("    %s: {" % json.dumps(section))
        for name, opt in sorted(opts.items()):
            lines += _emit("%s: " % json.dumps(name), opt, "        ")
        lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_module(doc, major, version, series):
    """Write data/nova_<major>.py (see :func:`module_text`)."""
    dest = OUT / ("nova_%s.py" % major)
    dest.write_text(module_text(doc, version, series))
    return dest


def rewrite(releases):
    """Re-emit data/nova_<major>.py from itself: same data, current layout (checked equal)."""
    for major in releases:
        path = OUT / ("nova_%s.py" % major)
        spec = importlib.util.spec_from_file_location("nova_data_%s" % major, path)
        old = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(old)
        doc = {"generator": old.GENERATOR, "sections": old.SECTIONS}
        text = module_text(doc, old.NOVA_VERSION, old.SERIES)
        fresh = {}
        exec(compile(text, str(path), "exec"), fresh)  # noqa: S102 - our own generated literals
        if fresh["SECTIONS"] != old.SECTIONS or fresh["GENERATOR"] != old.GENERATOR:
            raise SystemExit("%s: re-emitted data differs; not written" % path)
        path.write_text(text)
        print("rewrote %s" % path, file=sys.stderr)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--release", action="append", choices=sorted(RELEASES), help="nova major (repeatable)")
    ap.add_argument("--keep-yaml", metavar="DIR", help="copy the raw generator output there")
    ap.add_argument("--from-yaml", metavar="FILE", help="only compact an existing generator YAML file")
    ap.add_argument(
        "--rewrite", action="store_true", help="re-emit the existing data modules (format change)"
    )
    args = ap.parse_args(argv)
    releases = args.release or sorted(RELEASES)
    OUT.mkdir(parents=True, exist_ok=True)
    if args.rewrite:
        return rewrite(releases)
    python = pick_python()
    with tempfile.TemporaryDirectory(prefix="nova-schema-") as work:
        for major in releases:
            version, series = RELEASES[major]
            if args.from_yaml:
                yaml_path = Path(args.from_yaml)
            else:
                print("nova %s (%s): installing into a throwaway venv" % (version, series), file=sys.stderr)
                yaml_path = generate_yaml(version, work, python)
                if args.keep_yaml:
                    Path(args.keep_yaml).mkdir(parents=True, exist_ok=True)
                    shutil.copy(yaml_path, args.keep_yaml)
                    shutil.copy(str(yaml_path)[: -len(".yaml")] + ".multi.json", args.keep_yaml)
            doc = compact(yaml_path, version, series)
            dest = write_module(doc, major, version, series)
            n = sum(len(v) for v in doc["sections"].values())
            print("wrote %s: %d sections, %d options" % (dest, len(doc["sections"]), n), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
