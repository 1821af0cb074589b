#!/usr/bin/python3
"""Body-extraction quality of `copydesk normalize` on the article-extraction-benchmark pages,
plus metadata accuracy against hand labels (tests/fixtures/metadata-labels/labels.jsonl).

Metric (the benchmark's README): tokens = \\w+ (case kept); 4-token shingles counted as
multisets; per page TP/FP/FN normalized to sum to 1; precision and recall are macro means over
pages; F1 is the harmonic mean of the two means. Accuracy = exact token-sequence match.

Usage: /usr/bin/python3 tests/bench/extraction_eval.py [--bin build/bin/copydesk] [--data DIR]
       [--worst 10] [--no-labels]
Env: COPYDESK_BIN, COPYDESK_BENCH_DATA override the defaults.
Prints BENCH lines for scripts/bench (tests/bench/bench_result.py).
"""
import argparse
import collections
import json
import os
import random
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_result import emit  # noqa: E402
TOKEN_RE = re.compile(r"\w+", re.UNICODE)


def shingles(text, n=4):
    tokens = TOKEN_RE.findall(text or "")
    return collections.Counter(tuple(tokens[i:i + n]) for i in range(max(0, len(tokens) - n + 1))), tokens


def page_scores(pred, truth):
    p, ptok = shingles(pred)
    t, ttok = shingles(truth)
    tp = sum((p & t).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    total = tp + fp + fn
    if total == 0:
        # both empty (or shorter than one shingle): perfect
        return 1.0, 1.0, ptok == ttok
    tp, fp, fn = tp / total, fp / total, fn / total
    precision = tp / (tp + fp) if tp + fp > 0 else 0.0
    recall = tp / (tp + fn) if tp + fn > 0 else 0.0
    return precision, recall, ptok == ttok


def f1(p, r):
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def run_normalize(binary, files):
    out = subprocess.run([binary, "normalize"] + files, stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode not in (0, 1):
        sys.exit("copydesk normalize failed (%d): %s" % (out.returncode, out.stderr.decode()[:2000]))
    results = {}
    for line in out.stdout.decode("utf-8").splitlines():
        if not line.strip():
            continue
        obj = json.loads(line)
        results[obj["file"]] = obj
    return results


def iso(ts):
    if not ts:
        return ""
    # protobuf JSON Timestamp: "2019-11-20T17:22:44Z"
    return ts.replace(".000Z", "Z")


def norm_text(s):
    return re.sub(r"\s+", " ", (s or "")).strip()


def eval_labels(labels_path, results, html_dir):
    labels = []
    with open(labels_path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line:
                labels.append(json.loads(line))
    fields = collections.OrderedDict((k, [0, 0]) for k in ("headline", "published", "authors", "language"))
    misses = collections.defaultdict(list)
    for lab in labels:
        path = os.path.join(html_dir, lab["page"])
        res = results.get(path)
        art = (res or {}).get("article", {})
        got = {
            "headline": norm_text(art.get("headline")),
            "published": iso(art.get("firstcreated")),
            "authors": [norm_text(a.get("name")) for a in art.get("authors", [])],
            "language": (art.get("language") or "").split("-")[0].lower(),
        }
        for k in fields:
            if k not in lab:
                continue
            want = lab[k]
            if k == "headline":
                ok = norm_text(want) == got[k]
            elif k == "published":
                if want is None or want == "":
                    ok = got[k] == ""
                elif len(want) == 10:  # the page shows a date only
                    ok = got[k][:10] == want
                else:
                    ok = got[k] == want
            elif k == "authors":
                ok = [norm_text(a) for a in want] == got[k]
            else:
                ok = want.lower() == got[k]
            fields[k][1] += 1
            if ok:
                fields[k][0] += 1
            else:
                misses[k].append((lab["page"][:12], want, got[k]))
    print("\nMetadata vs hand labels (%d pages, %s)" % (len(labels), os.path.relpath(labels_path, REPO)))
    for k, (ok, n) in fields.items():
        print("  %-10s %3d/%-3d  %.1f%%" % (k, ok, n, 100.0 * ok / n if n else 0))
        emit("HTML metadata vs hand labels: %s" % k, "%d/%d (%.1f %%)" % (ok, n, 100.0 * ok / n if n else 0))
    for k, ms in misses.items():
        for m in ms[:8]:
            print("    miss %-9s %s  want=%r got=%r" % (k, m[0], m[1], m[2]))
    return fields


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("COPYDESK_BIN", os.path.join(REPO, "build/bin/copydesk")))
    ap.add_argument("--data", default=os.environ.get("COPYDESK_BENCH_DATA",
                                                     os.path.join(REPO, "../shared/data/article-extraction-benchmark")))
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--labels", default=os.path.join(REPO, "tests/fixtures/metadata-labels/labels.jsonl"))
    ap.add_argument("--no-labels", action="store_true")
    ap.add_argument("--bootstrap", type=int, default=1000, help="bootstrap resamples for the error bars")
    ap.add_argument("--dump", help="write per-page scores as JSON to this file")
    args = ap.parse_args()

    data = os.path.abspath(args.data)
    gt_path = os.path.join(data, "ground-truth.json")
    if not os.path.exists(gt_path):
        print("SKIP: benchmark data not found at %s (expected ../shared/data/article-extraction-benchmark "
              "next to the repository; set --data or COPYDESK_BENCH_DATA)" % data)
        return 0
    if not os.path.exists(args.bin):
        sys.exit("copydesk binary not found at %s (build it or pass --bin / COPYDESK_BIN)" % args.bin)
    with open(gt_path, encoding="utf-8") as f:
        gt = json.load(f)
    html_dir = os.path.join(data, "html")
    ids = sorted(i for i in gt if os.path.exists(os.path.join(html_dir, i + ".html")))
    files = [os.path.join(html_dir, i + ".html") for i in ids]
    results = run_normalize(args.bin, files)

    rows = []
    errors = 0
    for i, path in zip(ids, files):
        res = results.get(path, {})
        if "error" in res:
            errors += 1
        art = res.get("article", {})
        body = art.get("body_text", art.get("bodyText", ""))
        p, r, exact = page_scores(body, gt[i]["articleBody"])
        rows.append((i, p, r, exact, gt[i].get("url", "")))
    n = len(rows)
    prec = sum(r[1] for r in rows) / n
    rec = sum(r[2] for r in rows) / n
    acc = sum(1 for r in rows if r[3]) / n
    rng = random.Random(42)
    f1s = []
    for _ in range(args.bootstrap):
        sample = [rows[rng.randrange(n)] for _ in range(n)]
        sp = sum(r[1] for r in sample) / n
        sr = sum(r[2] for r in sample) / n
        f1s.append(f1(sp, sr))
    mean = sum(f1s) / len(f1s) if f1s else 0
    std = (sum((x - mean) ** 2 for x in f1s) / len(f1s)) ** 0.5 if f1s else 0
    print("Article body on %d pages (%s), %d normalize errors" % (n, data, errors))
    print("  precision %.4f  recall %.4f  F1 %.4f (+- %.4f bootstrap)  accuracy %.3f" %
          (prec, rec, f1(prec, rec), std, acc))
    emit("HTML body F1 (4-token shingles, macro), %d pages" % n, "%.4f (+- %.4f)" % (f1(prec, rec), std),
         ">= 0.97", f1(prec, rec) >= 0.97)
    emit("HTML body exact match, %d pages" % n, "%.3f" % acc)
    emit("HTML pages that failed to normalize", str(errors), "0", errors == 0)
    print("Worst %d pages by F1:" % args.worst)
    for i, p, r, _, url in sorted(rows, key=lambda x: f1(x[1], x[2]))[:args.worst]:
        print("  %.3f  P=%.3f R=%.3f  %s  %s" % (f1(p, r), p, r, i[:16], url[:90]))
    if args.dump:
        with open(args.dump, "w") as f:
            json.dump({i: {"p": p, "r": r, "url": url} for i, p, r, _, url in rows}, f, indent=1)
    if not args.no_labels and os.path.exists(args.labels):
        eval_labels(args.labels, results, html_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
