#!/usr/bin/env python3
"""Stage durations of one `make test` run, from its output (the `.ci/run` log or a terminal copy).

    bash .ci/run 2>&1 | tee /tmp/make-test.log; python3 bench/test-suite/stage_times.py /tmp/make-test.log

Reads the banners scripts/stage.sh prints (``===== stage NAME: passed in Ns =====``), including
those of the background stages that scripts/test-long-stages.sh prints at the end, and the
molecule scenario lines. Prints a table and, with ``--json FILE``, writes the figures. The wall
time of the whole run is given with ``--wall SECONDS`` (the log has no clock of its own).
"""

from __future__ import annotations

import argparse
import json
import re
import sys

STAGE = re.compile(r"^===== stage (\S+): (passed|FAILED) in (\d+)s =====$")
SCENARIO = re.compile(r"^----- molecule scenario (\S+): (passed|FAILED) in (\d+)s -----$")
PYTEST = re.compile(r"^=* ?(\d+ (?:passed|failed).*) in ([\d.]+)s")


def parse(lines):
    stages, scenarios, pytest_runs = [], [], []
    for raw in lines:
        line = raw.rstrip("\n")
        m = STAGE.match(line)
        if m:
            stages.append({"stage": m.group(1), "status": m.group(2), "seconds": int(m.group(3))})
            continue
        m = SCENARIO.match(line)
        if m:
            scenarios.append({"scenario": m.group(1), "status": m.group(2), "seconds": int(m.group(3))})
            continue
        m = PYTEST.match(line)
        if m:
            pytest_runs.append({"summary": m.group(1).rstrip("= "), "seconds": float(m.group(2))})
    return {"stages": stages, "molecule_scenarios": scenarios, "pytest": pytest_runs}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("log")
    ap.add_argument("--wall", type=int, help="wall seconds of the whole run")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args(argv)
    with open(args.log, errors="replace") as fh:
        result = parse(fh)
    if args.wall:
        result["wall_seconds"] = args.wall
    for s in result["stages"]:
        print("%-22s %-7s %6ds  %5.1f min" % (s["stage"], s["status"], s["seconds"], s["seconds"] / 60))
    for s in result["molecule_scenarios"]:
        print("  molecule %-19s %-7s %6ds" % (s["scenario"], s["status"], s["seconds"]))
    for p in result["pytest"]:
        print("  pytest: %s in %.0fs" % (p["summary"], p["seconds"]))
    if args.wall:
        print("%-22s %-7s %6ds  %5.1f min" % ("whole run (wall)", "", args.wall, args.wall / 60))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(result, fh, indent=1)
            fh.write("\n")
    return 0 if all(s["status"] == "passed" for s in result["stages"]) else 1


if __name__ == "__main__":
    sys.exit(main())
