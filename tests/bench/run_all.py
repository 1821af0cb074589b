#!/usr/bin/python3
"""Runs copydesk's benchmarks and rewrites docs/BENCHMARKS.md with the figures they report.

Every benchmark prints `BENCH {json}` lines (tests/bench/bench_result.py). This driver runs each
benchmark of the registry below (or those named with --only), keeps its whole output under
tests/bench/out/<name>.log, and replaces the rows of the figures it reported in
docs/BENCHMARKS.md: one row per figure with its target, value, command, date, commit and the host
speed probe taken just before the benchmark ran. Rows of benchmarks that did not run are kept as
they were, so the file always holds the latest value of every figure and nothing older.

  scripts/bench                 every benchmark, full size
  scripts/bench --quick         every benchmark, short (smaller inputs; figures marked "quick")
  scripts/bench --only NAME...  some benchmarks (names: scripts/bench --list)
"""
import argparse
import datetime
import json
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bench_result import host_speed_ms  # noqa: E402

DOC = os.path.join(REPO, "docs", "BENCHMARKS.md")
PY = "/usr/bin/python3"
BIN = "build/bin/copydesk"

# name -> (what it measures, full command, quick command). Commands run from the repository root.
BENCHES = {
    "extraction": ("body F1 and metadata accuracy of the HTML decoder on the 124 article pages",
                   [PY, "tests/bench/extraction_eval.py", "--bin", BIN],
                   None),
    "normalize-speed": ("normalize speed against readability-lxml on the same pages, peak RSS",
                        [PY, "tests/bench/normalize_speed.py", "--bin", BIN, "--repeat", "5", "--rss"],
                        [PY, "tests/bench/normalize_speed.py", "--bin", BIN, "--repeat", "1"]),
    "text-twins": ("body F1 of text dumps of the 124 pages (Chromium innerText), cross-validated halves",
                   [PY, "tests/bench/textdump_twins.py", "--bin", BIN],
                   None),
    "reuters-text": ("Reuters records sent as text/plain: headline kept, body F1",
                     [PY, "tests/bench/reuters_text_eval.py", "--bin", BIN],
                     [PY, "tests/bench/reuters_text_eval.py", "--bin", BIN, "--limit", "2000"]),
    "ninjs-schema": ("ninjs output validated against the IPTC ninjs 2.2 JSON Schema",
                     [PY, "tests/bench/ninjs_validate.py", "--bin", BIN],
                     None),
    "dedup-quality": ("story identity and near-duplicate quality on Reuters, ECB+ and BBC",
                      [PY, "tests/bench/dedup_eval.py", "all"],
                      None),
    "dedup-speed": ("dedup replay speed, single-threaded",
                    [PY, "tests/bench/dedup_eval.py", "speed"],
                    None),
    "dedup-memory": ("worker state memory at 1,000,000 stories",
                     ["tests/bench/dedup_memory.sh", "build", "1000000"],
                     ["tests/bench/dedup_memory.sh", "build", "100000"]),
    "pipeline": ("pipeline throughput against the kcat pass-through ceiling; end-to-end latency",
                 ["tests/bench/pipeline_bench.sh", BIN, "--seconds", "30"],
                 ["tests/bench/pipeline_bench.sh", BIN, "--events", "4000", "--seconds", "10"]),
    "lookup": ("GetArticle throughput and latency over 100,000 stories",
               ["tests/bench/lookup_bench.sh", "build"],
               ["env", "STORIES=20000", "DURATION=5", "tests/bench/lookup_bench.sh", "build"]),
    "chaos-long": ("the long chaos run: 100,000 events through faults",
                   ["scripts/chaos"],
                   None),
}

HEADER = """# Benchmarks

Current figures only, one row per figure, written by `scripts/bench` (tests/bench/run_all.py): run
`scripts/bench` to measure everything again, `scripts/bench --only NAME` for one benchmark,
`scripts/bench --quick` for a short pass. History lives in git (`git log -p docs/BENCHMARKS.md`).

The machine is a 2-core virtual machine whose speed drifts within an hour; the host probe (a fixed
single-threaded loop, best of 5, lower is faster) is taken just before each benchmark, so figures
taken at different times compare only with it beside them. Speed targets are benchmarks, never
test assertions; a figure whose target is missed says so in the "met" column.

"""

ROW_RE = re.compile(r"^\| (?P<figure>[^|]+?) \|")


def git_commit():
    try:
        c = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                           check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True).stdout.strip()
        return c + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def read_rows():
    """figure -> (bench, row line) from the current document."""
    rows = {}
    if not os.path.exists(DOC):
        return rows
    section = None
    with open(DOC) as f:
        for line in f:
            if line.startswith("## "):
                section = line[3:].split(":", 1)[0].strip()
            m = ROW_RE.match(line)
            if m and section and not line.startswith("| figure") and not line.startswith("| ---"):
                rows[m.group("figure").strip()] = (section, line.rstrip("\n"))
    return rows


def cell(s):
    return str(s).replace("|", "\\|").replace("\n", " ")


def run_bench(name, quick):
    desc, full, short = BENCHES[name]
    cmd = short if (quick and short) else full
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    log_path = os.path.join(HERE, "out", name + ".log")
    probe = host_speed_ms()
    load = open("/proc/loadavg").read().split()[0]
    started = time.time()
    print("== %s: %s" % (name, " ".join(shlex.quote(c) for c in cmd)), flush=True)
    figures = []
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace")
        for line in p.stdout:
            log.write(line)
            if line.startswith("BENCH "):
                try:
                    figures.append(json.loads(line[6:]))
                except ValueError:
                    pass
                print("   " + line[6:].strip(), flush=True)
        rc = p.wait()
    secs = time.time() - started
    print("   exit %d after %.0f s, %d figures (log: %s)" % (rc, secs, len(figures), os.path.relpath(log_path, REPO)),
          flush=True)
    meta = {"command": " ".join(shlex.quote(c) for c in cmd) + (" (quick)" if quick and short else ""),
            "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "commit": git_commit(),
            "probe": "%.0f ms, load %s" % (probe, load)}
    return rc, figures, meta


def row(fig, meta):
    met = {True: "yes", False: "**no**", None: "—"}[fig.get("met")]
    return "| %s | %s | %s | %s | `%s` | %s | %s | %s |" % (
        cell(fig["figure"]), cell(fig.get("target") or "—"), cell(fig["value"]), met, cell(meta["command"]),
        meta["date"], meta["commit"], cell(meta["probe"]))


def write_doc(rows):
    by_bench = {}
    for fig, (bench, line) in rows.items():
        by_bench.setdefault(bench, []).append(line)
    out = [HEADER]
    for name, (desc, _, _) in BENCHES.items():
        if name not in by_bench:
            continue
        out.append("## %s: %s\n\n" % (name, desc))
        out.append("| figure | target | value | met | command | date | commit | host probe |\n")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        for line in by_bench[name]:
            out.append(line + "\n")
        out.append("\n")
    with open(DOC + ".tmp", "w") as f:
        f.write("".join(out).rstrip("\n") + "\n")
    os.replace(DOC + ".tmp", DOC)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs (smaller inputs)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    args = ap.parse_args()
    if args.list:
        for name, (desc, full, _) in BENCHES.items():
            print("%-16s %s\n%16s %s" % (name, desc, "", " ".join(full)))
        return 0
    names = args.only or list(BENCHES)
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print("scripts/bench: unknown benchmark(s) %s; choose from: %s" % (", ".join(unknown), ", ".join(BENCHES)),
              file=sys.stderr)
        return 2
    rows = read_rows()
    failed = []
    for name in names:
        rc, figures, meta = run_bench(name, args.quick)
        if not figures:
            failed.append(name)
            continue
        for old in [f for f, (b, _) in rows.items() if b == name]:
            del rows[old]
        for fig in figures:
            rows[fig["figure"]] = (name, row(fig, meta))
        write_doc(rows)
    if failed:
        print("scripts/bench: no figures from: %s (see tests/bench/out/<name>.log)" % ", ".join(failed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
