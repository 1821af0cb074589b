#!/usr/bin/python3
"""Headline and body fidelity of `copydesk normalize` on Reuters records sent as text/plain.

Every record of ../shared/data/reuters-story-versions/*.articles.jsonl is written as a text/plain
event the way newsroom producers send one: the title, a blank line, the body (its paragraphs
separated by blank lines, as in the data set), then normalized with
`copydesk normalize --content-type text/plain FILE...` (JSON Lines, several files per call).

Figures:
  headline  share of records whose `headline` equals the record's title (runs of white space
            folded to one space, as the decoder folds them; nothing else forgiven)
  body      the benchmark metric of tests/bench/extraction_eval.py: tokens = \\w+ (case kept),
            4-token shingles counted as multisets, per record TP/FP/FN normalized to sum to 1,
            precision and recall as macro means over records, F1 = harmonic mean of the two means;
            the Article's body text scored against the record's `body`.
Targets: headline >= 99.5 %, body F1 >= 0.99; exit 1 below either. Exit 77 (a skip for ctest)
when the data set is absent. Prints BENCH lines for scripts/bench (tests/bench/bench_result.py).

--limit N scores the first N records (in file order); --sample N a fixed sample, the N records
with the smallest SHA-1 of their id, the same records on every machine (ctest runs this).

Usage: /usr/bin/python3 tests/bench/reuters_text_eval.py [--bin build/bin/copydesk] [--data DIR]
       [--limit N | --sample N] [--worst 10] [--out DIR]
"""
import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "bench"))
from bench_result import emit  # noqa: E402
from extraction_eval import f1, page_scores  # noqa: E402  the benchmark metric, shared

SKIP = 77
FILES = ("stream_2008-09_to_2008-11.articles.jsonl", "extra_chains_2006-2013.articles.jsonl")
BATCH = 1000  # files per `copydesk normalize` call (keeps the command line short)


def fold(s):
    return re.sub(r"\s+", " ", s or "").strip()


def load(data_dir):
    records = []
    for name in FILES:
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    records.append(json.loads(line))
    return records


def normalize(binary, files):
    results = {}
    for k in range(0, len(files), BATCH):
        chunk = files[k:k + BATCH]
        out = subprocess.run([binary, "normalize", "--content-type", "text/plain"] + chunk,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
        if out.returncode not in (0, 1):
            sys.exit("copydesk normalize failed (%d): %s" % (out.returncode, out.stderr.decode()[:2000]))
        text = out.stdout.decode("utf-8")
        if len(chunk) == 1:
            obj = json.loads(text)
            results[chunk[0]] = obj if "error" not in obj else {"error": obj["error"]}
            continue
        for line in text.splitlines():
            if line.strip():
                obj = json.loads(line)
                results[obj["file"]] = obj.get("article") or {"error": obj.get("error")}
    return results


def first_lost(pred, truth):
    """The first paragraph of the truth whose words are not in the prediction (what was lost)."""
    got = " ".join(re.findall(r"\w+", pred or ""))
    for para in (truth or "").split("\n\n"):
        words = " ".join(re.findall(r"\w+", para))
        if words and words not in got:
            return para
    return ""


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("COPYDESK_BIN", os.path.join(REPO, "build", "bin", "copydesk")))
    ap.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data", "reuters-story-versions"))
    ap.add_argument("--limit", type=int, default=0, help="score only the first N records")
    ap.add_argument("--sample", type=int, default=0, help="score only this many records (a fixed sample)")
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--out", help="keep the text/plain events here (default: a temp dir, removed afterwards)")
    ap.add_argument("--headline-target", type=float, default=0.995)
    ap.add_argument("--f1-target", type=float, default=0.99)
    args = ap.parse_args()

    records = load(os.path.abspath(args.data)) if os.path.isdir(args.data) else []
    if not records:
        print("SKIP: Reuters records not found at %s (expected ../shared/data/reuters-story-versions "
              "next to the repository; set --data)" % os.path.abspath(args.data))
        return SKIP
    if not os.path.exists(args.bin):
        sys.exit("copydesk binary not found at %s (build it or pass --bin / COPYDESK_BIN)" % args.bin)
    if args.limit:
        records = records[:args.limit]
    if args.sample:
        records = sorted(records, key=lambda r: hashlib.sha1(r["id"].encode()).hexdigest())[:args.sample]

    out_dir = args.out or tempfile.mkdtemp(prefix="copydesk-reuters-text-")
    os.makedirs(out_dir, exist_ok=True)
    try:
        files = []
        for r in records:
            path = os.path.join(out_dir, r["id"] + ".txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write("%s\n\n%s\n" % (r["title"], r["body"]))
            files.append(path)
        t0 = time.time()
        results = normalize(args.bin, files)
        secs = time.time() - t0
    finally:
        if not args.out:
            shutil.rmtree(out_dir, ignore_errors=True)

    rows = []
    for r, path in zip(records, files):
        art = results.get(path) or {}
        body = art.get("body_text", art.get("bodyText", ""))
        p, rc, _ = page_scores(body, r["body"])
        rows.append({"id": r["id"], "title": r["title"], "headline": art.get("headline", ""),
                     "head_ok": fold(art.get("headline")) == fold(r["title"]), "p": p, "r": rc,
                     "error": art.get("error"), "pred": body, "truth": r["body"]})
    n = len(rows)
    head = sum(1 for x in rows if x["head_ok"]) / n
    precision = sum(x["p"] for x in rows) / n
    recall = sum(x["r"] for x in rows) / n
    body_f1 = f1(precision, recall)
    errors = sum(1 for x in rows if x["error"])
    below = sum(1 for x in rows if f1(x["p"], x["r"]) < 0.99)
    print("Reuters as text/plain: %d records%s, normalized in %.1fs" %
          (n, " (fixed sample)" if args.sample else "", secs))
    print("headline exact  %d/%d = %.2f%%  (target >= %.1f%%)" %
          (sum(1 for x in rows if x["head_ok"]), n, 100 * head, 100 * args.headline_target))
    print("body  precision %.4f  recall %.4f  F1 %.4f  (target >= %.3f); records with F1 < 0.99: %d; errors: %d" %
          (precision, recall, body_f1, args.f1_target, below, errors))
    misses = [x for x in rows if not x["head_ok"]]
    if misses:
        print("headline misses (first %d of %d):" % (min(args.worst, len(misses)), len(misses)))
        for x in misses[:args.worst]:
            print("  %s  want=%r got=%r" % (x["id"], x["title"], x["headline"]))
    worst = sorted(rows, key=lambda x: f1(x["p"], x["r"]))[:args.worst]
    print("worst %d bodies by F1:" % len(worst))
    for x in worst:
        lost = first_lost(x["pred"], x["truth"])
        print("  %.3f  P %.3f R %.3f  %s%s" % (f1(x["p"], x["r"]), x["p"], x["r"], x["id"],
                                              "  error=%s" % x["error"] if x["error"] else ""))
        if lost:
            print("         lost: %r" % lost[:160])
    ok = head >= args.headline_target and body_f1 >= args.f1_target
    which = "%d records%s" % (n, ", fixed sample" if args.sample else ", first in file order" if args.limit else "")
    emit("Reuters as text/plain (title, blank line, body): headline exact, %s" % which, "%.2f %%" % (100 * head),
         ">= %.1f %%" % (100 * args.headline_target), head >= args.headline_target)
    emit("Reuters as text/plain (title, blank line, body): body F1 (4-word shingles, macro), %s" % which,
         "%.4f" % body_f1, ">= %.2f" % args.f1_target, body_f1 >= args.f1_target,
         "P %.4f R %.4f; %d records below F1 0.99" % (precision, recall, below))
    print("PASS" if ok else "FAIL: below target")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
