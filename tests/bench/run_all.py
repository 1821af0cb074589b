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
  scripts/bench --list          name, target and command of every benchmark, without running any
  scripts/bench --record NAME LOG [--record-command CMD]
                                the figures of a run made separately (its output saved in LOG)
  --build DIR                   measure the binaries of DIR instead of build/
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
BIN = "{build}/bin/copydesk"  # {build} is --build (default: build)


class Bench:
    """One benchmark: what it measures, its target(s), the full and the quick command (None: the
    full one is already short) and, for a script that prints no BENCH lines itself, a function
    turning its output and exit status into figures. Commands run from the repository root."""

    def __init__(self, desc, target, full, quick=None, parse=None):
        self.desc, self.target, self.full, self.quick, self.parse = desc, target, full, quick, parse


def ninjs_figures(lines, rc):
    """services/normalize/tests/ninjs_schema_test.py prints `ninjs 2.2 documents validated: N (...)`,
    one `FAIL ...` line per invalid document or lost field (`FAIL round trip ...`), then `all valid` or
    `K failures`."""
    validated, counts = None, ""
    lost = sum(1 for l in lines if l.startswith("FAIL round trip"))
    invalid = sum(1 for l in lines if l.startswith("FAIL ")) - lost
    for line in lines:
        m = re.match(r"ninjs 2\.2 documents validated: (\d+) \((.*)\)", line)
        if m:
            validated, counts = int(m.group(1)), m.group(2)
    if validated is None:
        return []
    return [{"figure": "ninjs 2.2 JSON Schema: documents valid", "target": "all valid",
             "value": "%d of %d (%s)" % (validated - invalid, validated, counts), "met": invalid == 0},
            {"figure": "ninjs round trip of the IPTC examples: fields lost", "target": "0",
             "value": str(lost), "met": lost == 0}]


BENCHES = {
    "extraction": Bench("body F1 and metadata accuracy of the HTML decoder on the 124 article pages",
                        "body F1 >= 0.97",
                        [PY, "tests/bench/extraction_eval.py", "--bin", BIN],
                        [PY, "tests/bench/extraction_eval.py", "--bin", BIN, "--bootstrap", "100"]),
    "normalize-speed": Bench("normalize speed against readability-lxml on the same pages, peak RSS",
                             ">= 8x readability-lxml",
                             [PY, "tests/bench/normalize_speed.py", "--bin", BIN, "--repeat", "5", "--rss"],
                             [PY, "tests/bench/normalize_speed.py", "--bin", BIN, "--repeat", "1"]),
    "text-twins": Bench("body F1 of text dumps of the 124 pages (Chromium innerText), cross-validated halves",
                        "reported",
                        [PY, "tests/bench/textdump_twins.py", "--bin", BIN]),
    "reuters-text": Bench("Reuters records sent as text/plain: headline kept, body F1",
                          "see each figure",
                          [PY, "tests/bench/reuters_text_eval.py", "--bin", BIN],
                          [PY, "tests/bench/reuters_text_eval.py", "--bin", BIN, "--limit", "2000"]),
    "ninjs-schema": Bench("ninjs output validated against the IPTC ninjs 2.2 JSON Schema",
                          "every document valid",
                          [PY, "services/normalize/tests/ninjs_schema_test.py", "--bin", BIN, "--src", "."],
                          parse=ninjs_figures),
    "dedup-quality": Bench("story identity and near-duplicate quality on Reuters, ECB+ and BBC",
                           "per figure (tests/bench/dedup_eval.py)",
                           [PY, "tests/bench/dedup_eval.py", "quality", "--copydesk", BIN],
                           [PY, "tests/bench/dedup_eval.py", "reuters-guid", "--copydesk", BIN]),
    "lineage": Bench("change summaries and field lineage on the Reuters versions: edit scripts reproduce "
                     "every newer body; headline changes; bytes and CPU per event",
                     "every version pair reproduced; cost reported",
                     [PY, "tests/bench/lineage_eval.py", "--copydesk", BIN, "--runs", "5"],
                     [PY, "tests/bench/lineage_eval.py", "--copydesk", BIN, "--runs", "1"]),
    "embargo": Bench("embargo release lateness with real processes: items 5-30 s ahead held and released "
                     "once, one across a SIGKILL of its owner",
                     "release within 1 s of its time; exactly once",
                     [PY, "tests/e2e/embargo_e2e.py", BIN, ".", "--runs", "3"],
                     [PY, "tests/e2e/embargo_e2e.py", BIN, ".", "--runs", "1"]),
    "dedup-speed": Bench("dedup replay speed, single-threaded",
                         ">= 20,000 records/s",
                         [PY, "tests/bench/dedup_eval.py", "speed", "--copydesk", BIN]),
    "dedup-memory": Bench("worker state memory at 1,000,000 stories",
                          "< 300 MiB",
                          ["tests/bench/dedup_memory.sh", "{build}", "1000000"],
                          ["tests/bench/dedup_memory.sh", "{build}", "100000"]),
    "pipeline": Bench("pipeline throughput against the kcat pass-through ceiling; end-to-end latency",
                      "throughput >= 25 % of kcat; p99 <= 100 ms at-least-once, <= 200 ms transactional",
                      ["tests/bench/pipeline_bench.sh", BIN, "--seconds", "30"],
                      ["tests/bench/pipeline_bench.sh", BIN, "--events", "4000", "--seconds", "10", "--throughput-runs", "1"]),
    "lookup": Bench("GetArticle throughput and latency over 100,000 stories",
                    ">= 20,000 calls/s, p99 <= 5 ms",
                    ["tests/bench/lookup_bench.sh", "{build}"],
                    ["env", "STORIES=20000", "DURATION=5", "tests/bench/lookup_bench.sh", "{build}"]),
    "chaos-long": Bench("the long chaos run: 100,000 events through faults, then a reference run",
                        "every check holds",
                        ["scripts/chaos", "--bin", BIN],
                        ["scripts/chaos", "--bin", BIN, "--events", "3000", "--no-reference"]),
    "faults": Bench("the fault run (tests/faults/fault_run.py) 10 times in a row",
                    "10 of 10 runs pass",
                    ["scripts/faultrun", "--bin", BIN, "--runs", "10"],
                    ["scripts/faultrun", "--bin", BIN, "--runs", "1"]),
    "hostile": Bench("hostile inputs through a real Kafka client into one worker, checked from outside",
                     "every check holds; each input within ingest.max_event_millis + 10 %; Prometheus up = 1",
                     [PY, "tests/hostile/hostile_e2e.py", BIN, "."]),
    "fuzz": Bench("libFuzzer over every decoder (ASan + UBSan), two targets at a time: seconds run and findings per target",
                  "no finding",
                  ["env", "FUZZ_LANES=2", "scripts/fuzz", "600"],
                  ["scripts/fuzz", "--smoke"]),
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


def command(bench, quick, build):
    """(argv, quick?) with {build} filled in."""
    cmd = bench.quick if (quick and bench.quick) else bench.full
    return [c.replace("{build}", build) for c in cmd], bool(quick and bench.quick)


def quoted(cmd):
    return " ".join(shlex.quote(c) for c in cmd)


def figures_of(name, lines, rc):
    """The figures a benchmark reported: its BENCH lines, or what its parse function reads."""
    figures = []
    for line in lines:
        if line.startswith("BENCH "):
            try:
                figures.append(json.loads(line[6:]))
            except ValueError:
                pass
    if not figures and BENCHES[name].parse:
        figures = BENCHES[name].parse(lines, rc)
    return figures


def run_bench(name, quick, build):
    cmd, short = command(BENCHES[name], quick, build)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    log_path = os.path.join(HERE, "out", name + ".log")
    probe = host_speed_ms()
    load = open("/proc/loadavg").read().split()[0]
    started = time.time()
    print("== %s: %s" % (name, quoted(cmd)), flush=True)
    lines = []
    with open(log_path, "w") as log:
        p = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             errors="replace")
        for line in p.stdout:
            log.write(line)
            lines.append(line.rstrip("\n"))
            if line.startswith("BENCH "):
                print("   " + line[6:].strip(), flush=True)
        rc = p.wait()
    figures = figures_of(name, lines, rc)
    secs = time.time() - started
    print("   exit %d after %.0f s, %d figures (log: %s)" % (rc, secs, len(figures), os.path.relpath(log_path, REPO)),
          flush=True)
    meta = {"command": quoted(cmd) + (" (quick)" if short else ""), "date": now(), "commit": git_commit(),
            "probe": "%.0f ms, load %s" % (probe, load)}
    return rc, figures, meta


def record_log(name, log_path, command_text):
    """Figures from the output of a run made outside scripts/bench (e.g. `scripts/faultrun --runs 10 |
    tee LOG`). The date is the log's modification time; the commit and probe are today's."""
    with open(log_path, errors="replace") as f:
        lines = [l.rstrip("\n") for l in f]
    figures = figures_of(name, lines, 0)
    when = datetime.datetime.fromtimestamp(os.path.getmtime(log_path)).strftime("%Y-%m-%d %H:%M")
    meta = {"command": command_text or quoted(BENCHES[name].full).replace("{build}", "build"),
            "date": when, "commit": git_commit(), "probe": "not taken (recorded from %s)" % os.path.basename(log_path)}
    return figures, meta


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


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
    # Registry order; sections of benchmarks no longer registered stay, at the end.
    for name in list(BENCHES) + sorted(set(by_bench) - set(BENCHES)):
        if name not in by_bench:
            continue
        desc = BENCHES[name].desc if name in BENCHES else "no longer in the registry"
        out.append("## %s: %s\n\n" % (name, desc))
        out.append("| figure | target | value | met | command | date | commit | host probe |\n")
        out.append("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
        for line in by_bench[name]:
            out.append(line + "\n")
        out.append("\n")
    with open(DOC + ".tmp", "w") as f:
        f.write("".join(out).rstrip("\n") + "\n")
    os.replace(DOC + ".tmp", DOC)


def merge(rows, name, figures, meta):
    """Replaces benchmark NAME's rows with FIGURES; every other benchmark's rows stay as they were."""
    for old in [f for f, (b, _) in rows.items() if b == name]:
        del rows[old]
    for fig in figures:
        rows[fig["figure"]] = (name, row(fig, meta))
    write_doc(rows)


def list_benches(build):
    for name, b in BENCHES.items():
        full, _ = command(b, False, build)
        print("%s\n  measures: %s\n  target:   %s\n  command:  %s" % (name, b.desc, b.target, quoted(full)))
        if b.quick:
            print("  --quick:  %s" % quoted(command(b, True, build)[0]))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="short runs (smaller inputs)")
    ap.add_argument("--only", nargs="+", metavar="NAME", help="run only these benchmarks")
    ap.add_argument("--list", action="store_true", help="list the benchmarks (name, target, command) and exit")
    ap.add_argument("--build", default="build", help="build directory whose binaries are measured (default: build)")
    ap.add_argument("--record", nargs=2, metavar=("NAME", "LOG"),
                    help="record the figures in LOG, the output of benchmark NAME run separately, without running it")
    ap.add_argument("--record-command", default="", help="with --record: the command that produced LOG")
    args = ap.parse_args()
    if args.list:
        return list_benches(args.build)
    names = [args.record[0]] if args.record else (args.only or list(BENCHES))
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print("scripts/bench: unknown benchmark(s) %s; choose from: %s" % (", ".join(unknown), ", ".join(BENCHES)),
              file=sys.stderr)
        return 2
    rows = read_rows()
    if args.record:
        figures, meta = record_log(args.record[0], args.record[1], args.record_command)
        if not figures:
            print("scripts/bench: no figures in %s" % args.record[1], file=sys.stderr)
            return 1
        merge(rows, args.record[0], figures, meta)
        print("recorded %d figures of %s" % (len(figures), args.record[0]))
        return 0
    failed = []
    for name in names:
        rc, figures, meta = run_bench(name, args.quick, args.build)
        if not figures:
            failed.append(name)
            continue
        merge(rows, name, figures, meta)
    if failed:
        print("scripts/bench: no figures from: %s (skipped or failed; see tests/bench/out/<name>.log)"
              % ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
