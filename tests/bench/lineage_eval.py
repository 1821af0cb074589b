#!/usr/bin/python3
"""Change summaries and field lineage on the Reuters story versions.

  /usr/bin/python3 tests/bench/lineage_eval.py [--copydesk build/bin/copydesk] [--data ../shared/data]
      [--runs 3]

Replays both Reuters files (`copydesk replay --guid-field story_id --lineage`: the worker's
decisions, with each accepted version's fields changed, paragraph edits and paragraphs) and
checks, for every consecutive version pair of a story (an update after the story's previous
accepted version), that the edit script applied to the older version's paragraphs gives the
newer version's paragraphs exactly. The script is applied here, independently of the C++ code,
from the documented meaning of `ParagraphEdit` (proto/copydesk/v1/events.proto).

Also reports the share of updates whose headline changed, the event size added (ArticleEvent
with and without lineage, fields changed and paragraph edits), and the CPU cost per record:
`--runs` interleaved pairs of `replay --quiet` with and without `--no-lineage` (each the least
CPU time of 3 replays), CPU time per record from replay's own CPU figure; and, when valgrind is
installed, the instructions per record with and without (callgrind), which do not drift with the
host's speed. Prints BENCH lines (tests/bench/bench_result.py). Exit 1
when a reconstruction fails.
"""
import argparse
import os
import re
import subprocess
import sys
import json
import shutil
import statistics

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
from bench_result import emit  # noqa: E402

FILES = ("stream_2008-09_to_2008-11", "extra_chains_2006-2013")


def apply_edits(prev, edits, article_paragraphs=None):
    """The newer paragraphs from the older ones and the edit script (events.proto ParagraphEdit);
    `article_paragraphs` when the summary says the texts are in the article."""
    out, cursor = [], 0
    for n, e in enumerate(edits):
        at = e["previous_index"]
        if at < cursor or at > len(prev):
            raise ValueError(f"edit {n}: previous_index {at} out of order or past the end")
        out.extend(prev[cursor:at])
        cursor = at
        op = e["op"]
        if op in ("PARAGRAPH_EDIT_OP_REMOVED", "PARAGRAPH_EDIT_OP_EDITED"):
            if at == len(prev):
                raise ValueError(f"edit {n}: {op} past the end")
            cursor += 1
        if op in ("PARAGRAPH_EDIT_OP_ADDED", "PARAGRAPH_EDIT_OP_EDITED"):
            if e["index"] != len(out):
                raise ValueError(f"edit {n}: index {e['index']} but lands at {len(out)}")
            out.append(e["text"] if article_paragraphs is None else article_paragraphs[e["index"]])
    out.extend(prev[cursor:])
    return out


def replay(copydesk, path, extra):
    cmd = [copydesk, "replay", "--input", path, "--guid-field", "story_id"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.stderr.write(p.stderr)
        raise SystemExit(f"replay failed: {' '.join(cmd)}")
    m = re.search(r"CPU ([0-9.]+) s: ([0-9]+) records per CPU-second", p.stderr)
    return p.stdout, (float(m.group(1)) if m else None)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--copydesk", default=os.path.join(ROOT, "build/bin/copydesk"))
    ap.add_argument("--data", default=os.path.join(os.path.dirname(ROOT), "shared/data"))
    ap.add_argument("--runs", type=int, default=3, help="interleaved CPU measurement pairs (default 3)")
    args = ap.parse_args()
    d = os.path.join(args.data, "reuters-story-versions")
    if not os.path.isdir(d):
        print(f"SKIP: {d} not found (the Reuters story versions are in ../shared/data)")
        return 0
    paths = [os.path.join(d, f + ".articles.jsonl") for f in FILES]

    pairs = exact = headline = 0
    updates = 0
    partial = 0
    bytes_with = bytes_without = 0
    accepted = 0
    failures = []
    changed_fields = {}
    for path in paths:
        out, _ = replay(args.copydesk, path, ["--lineage"])
        last = {}  # story -> paragraphs of its latest accepted version
        for line in out.splitlines():
            rec = json.loads(line)
            if "paragraphs" not in rec:
                continue
            accepted += 1
            bytes_with += rec["event_bytes"]
            bytes_without += rec["event_bytes_without_lineage"]
            story = rec["story"]
            if rec["decision"] == "update":
                updates += 1
                headline += "headline" in rec["fields_changed"]
                for f in rec["fields_changed"]:
                    changed_fields[f] = changed_fields.get(f, 0) + 1
                if rec.get("paragraph_edits_partial"):
                    partial += 1
                elif story in last:
                    pairs += 1
                    try:
                        in_article = rec["paragraphs"] if rec.get("paragraph_texts_in_article") else None
                        got = apply_edits(last[story], rec["paragraph_edits"], in_article)
                    except ValueError as e:
                        got = None
                        failures.append((rec["id"], str(e)))
                    if got == rec["paragraphs"]:
                        exact += 1
                    elif got is not None:
                        failures.append((rec["id"], "reconstruction differs"))
            last[story] = rec["paragraphs"]

    print(f"accepted versions: {accepted}, updates: {updates} (edit scripts marked partial: {partial})")
    print(f"consecutive version pairs checked: {pairs}, reconstructed exactly: {exact}"
          + (f"; failures e.g. {failures[:3]}" if failures else ""))
    print("fields changed, by updates naming them:",
          ", ".join(f"{k} {v}" for k, v in sorted(changed_fields.items(), key=lambda kv: -kv[1])))
    emit("lineage: paragraph edits reproduce the newer body (Reuters version pairs)",
         f"{exact} of {pairs}", "all", exact == pairs and pairs > 0)
    share = headline / updates if updates else 0.0
    print(f"updates whose headline changed: {headline} of {updates} ({100 * share:.1f} %)")
    emit("lineage: Reuters updates whose headline changed", f"{100 * share:.1f} % ({headline} of {updates})")
    added = (bytes_with - bytes_without) / accepted if accepted else 0.0
    base = bytes_without / accepted if accepted else 0.0
    print(f"ArticleEvent bytes per accepted version: {base:.0f} without lineage, +{added:.0f} with "
          f"(+{100 * added / base if base else 0:.1f} %)")
    emit("lineage: bytes added per ArticleEvent (Reuters)", f"+{added:.0f} B on {base:.0f} B "
         f"(+{100 * added / base if base else 0:.1f} %)")

    # CPU per record, interleaved pairs over the larger file.
    records = sum(1 for _ in open(paths[0], encoding="utf-8"))
    on, off = [], []
    for _ in range(args.runs):
        for flag, sink in (([], on), (["--no-lineage"], off)):
            # One measurement: the least CPU of 3 replays (a run is ~0.3 s; scheduling noise only adds).
            cpu = min(replay(args.copydesk, paths[0], ["--quiet"] + flag)[1] for _ in range(3))
            sink.append(1e6 * cpu / records)
    diffs = [a - b for a, b in zip(on, off)]
    print(f"CPU per record over {records} records, {args.runs} interleaved pairs: with lineage "
          f"{min(on):.1f}-{max(on):.1f} us, without {min(off):.1f}-{max(off):.1f} us, "
          f"difference {min(diffs):.1f}-{max(diffs):.1f} us (median {statistics.median(diffs):.1f})")
    emit("lineage: CPU per record added (replay, Reuters)",
         f"{statistics.median(diffs):.1f} us median ({min(diffs):.1f} to {max(diffs):.1f}) on "
         f"{statistics.median(off):.1f} us", detail=f"{args.runs} interleaved pairs")
    # Instructions per record under callgrind: exact where CPU time drifts with the host.
    if shutil.which("valgrind"):
        counts = {}
        for name, flag in (("with", []), ("without", ["--no-lineage"])):
            cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", args.copydesk, "replay",
                   "--input", paths[0], "--guid-field", "story_id", "--quiet"] + flag
            p = subprocess.run(cmd, capture_output=True, text=True)
            m = re.search(r"Collected : ([0-9]+)", p.stderr)
            counts[name] = int(m.group(1)) if m else None
        if counts["with"] and counts["without"]:
            per = (counts["with"] - counts["without"]) / records
            base_i = counts["without"] / records
            print(f"instructions per record (callgrind): {base_i:.0f} without lineage, +{per:.0f} with "
                  f"(+{100 * per / base_i:.1f} %)")
            emit("lineage: instructions per record added (replay under callgrind, Reuters)",
                 f"+{per:.0f} on {base_i:.0f} (+{100 * per / base_i:.1f} %)")
    else:
        print("(valgrind not installed: no instruction count)")
    return 0 if exact == pairs and pairs > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
