#!/usr/bin/python3
"""Text-dump twins of the article-extraction-benchmark pages, and body F1 of `copydesk normalize
--content-type text/plain` on them.

1. Renders every page of ../shared/data/article-extraction-benchmark/html/ in headless Debian
   `chromium` (page scripts off, network off) and takes `document.body.innerText`, the way a browser
   hands a page to a crawler that saves text. The DevTools protocol is spoken over
   --remote-debugging-pipe, so nothing beyond chromium is needed. The twins go to a temp dir (or
   --out DIR) and are never committed.
2. Normalizes them with `copydesk normalize --content-type text/plain FILE...`.
3. Scores the body against ground-truth.json with the benchmark metric (4-word shingles,
   macro precision / recall, F1 of the means): the scoring function of tests/bench/extraction_eval.py.
   Headlines are compared with the hand labels of tests/fixtures/metadata-labels/labels.jsonl
   (exact, white space folded). The figures are printed for all pages and for each half of a fixed split: the pages sorted by
   the SHA-1 of their file name (`<id>.html`), the first 62 are half A, the other 62 half B.
4. Unless --no-cross-validate, the decoder's parameters (TextParams in services/normalize/text_decode.h,
   run through build/bin/text_fit) are fitted on one half and measured on the other, both ways.
   Fitting is coordinate ascent on the half's F1: from a fixed start (START below, hand-set values,
   so that a half's fit owes nothing to defaults chosen with all pages), each parameter in turn
   takes the value of its grid (GRID below) that scores best with the others held, until a whole
   round changes nothing (at most 3 rounds); ties keep the value closest to the start. Printed:
   each half's F1 with the defaults, the values fitted on each half and the F1 they score on the
   half they were not fitted on, and the fit on all pages (what the defaults are set from).

Usage: /usr/bin/python3 tests/bench/textdump_twins.py [--bin build/bin/copydesk] [--data DIR]
       [--out DIR] [--reuse] [--worst 10] [--limit N] [--no-cross-validate] [--fit-bin build/bin/text_fit]
Prints BENCH lines for scripts/bench (tests/bench/bench_result.py).
"""
import argparse
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "tests", "bench"))
from bench_result import emit  # noqa: E402
try:
    from extraction_eval import page_scores  # the benchmark metric, shared with the HTML evaluation
except ImportError:  # keep working if that script moves
    import collections
    import re

    _TOKEN = re.compile(r"\w+", re.UNICODE)

    def page_scores(pred, truth):
        def sh(text):
            t = _TOKEN.findall(text or "")
            return collections.Counter(tuple(t[i:i + 4]) for i in range(max(0, len(t) - 3))), t
        p, ptok = sh(pred)
        t, ttok = sh(truth)
        tp, fp, fn = sum((p & t).values()), sum((p - t).values()), sum((t - p).values())
        total = tp + fp + fn
        if total == 0:
            return 1.0, 1.0, ptok == ttok
        tp, fp, fn = tp / total, fp / total, fn / total
        return (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0), ptok == ttok


# The values each parameter may take when fitted (the default is always among them).
GRID = {
    "prose_min_words": [3, 4, 5, 6, 7, 8],
    "prose_run_words": [15, 20, 25, 30, 40],
    "short_base": [1, 2, 3, 4, 6, 8, 10],
    "short_slope": [1, 2, 3, 4],
    "keep_short_words": [1, 4, 6, 8, 10, 12],
    "list_min_lines": [2, 3, 4, 5],
    "list_mean_words10": [20, 30, 40, 60, 80],
    "list_digit_pct": [0, 25, 50, 75],
    "list_weight_pct": [-100, 0, 25, 50, 100],
}


# Where every fit starts: hand-set values, not fitted on any page.
START = {
    "prose_min_words": 5,
    "prose_run_words": 25,
    "short_base": 3,
    "short_slope": 2,
    "keep_short_words": 8,
    "list_min_lines": 3,
    "list_mean_words10": 40,
    "list_digit_pct": 50,
    "list_weight_pct": -100,
}


def headline_check(labels_path, rows):
    """Exact headlines (white space folded) against the hand labels of the same pages."""
    if not os.path.exists(labels_path):
        return
    got = {row[0]: row[4] for row in rows}
    fold = lambda s: " ".join((s or "").split())  # noqa: E731
    ok = n = 0
    with open(labels_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            lab = json.loads(line)
            page_id = lab["page"][:-len(".html")]
            if "headline" not in lab or page_id not in got:
                continue
            n += 1
            ok += fold(lab["headline"]) == fold(got[page_id])
    if n:
        print("headline exact: %d/%d pages with a hand label (%.1f%%)" % (ok, n, 100.0 * ok / n))
        emit("text dumps (twins): headline exact on the pages with a hand-labelled headline",
             "%d/%d" % (ok, n), "", None)


def split_halves(ids):
    """The fixed split: pages sorted by SHA-1 of "<id>.html"; the first half is A, the rest B."""
    order = sorted(ids, key=lambda i: hashlib.sha1((i + ".html").encode()).hexdigest())
    return {"A": sorted(order[:len(order) // 2]), "B": sorted(order[len(order) // 2:])}


def f1_of(scores):
    """F1 of the macro means of (precision, recall) pairs."""
    if not scores:
        return 0.0, 0.0, 0.0
    precision = sum(p for p, _ in scores) / len(scores)
    recall = sum(r for _, r in scores) / len(scores)
    return (2 * precision * recall / (precision + recall) if precision + recall else 0.0), precision, recall


class Fitter:
    """Scores parameter settings on the twins through text_fit, each distinct body once."""

    def __init__(self, fit_bin, files, truths):
        self.fit_bin, self.files, self.truths = fit_bin, files, truths
        self.cache = {}  # (file index, body hash) -> (precision, recall)

    def score(self, settings):
        """{setting string: [(precision, recall) per file]} for every setting."""
        out = subprocess.run([self.fit_bin] + self.files, input="\n".join(settings) + "\n",
                             stdout=subprocess.PIPE, check=True, universal_newlines=True, encoding="utf-8")
        result = {s: [None] * len(self.files) for s in settings}
        for line in out.stdout.splitlines():
            obj = json.loads(line)
            key = (obj["f"], obj["h"])
            if key not in self.cache:
                p, r, _ = page_scores(obj["body"], self.truths[obj["f"]])
                self.cache[key] = (p, r)
            result[settings[obj["s"]]][obj["f"]] = self.cache[key]
        return result


def setting_string(values):
    return " ".join("%s=%d" % kv for kv in sorted(values.items()))


def fit(fitter, start, pages):
    """Coordinate ascent of the F1 over `pages` (file indices) from `start`; returns the fitted values."""
    values = dict(start)
    for _ in range(3):
        changed = False
        for name, grid in GRID.items():
            candidates = []
            for v in grid:
                trial = dict(values)
                trial[name] = v
                candidates.append((v, setting_string(trial)))
            scores = fitter.score([c[1] for c in candidates])
            best = max(candidates, key=lambda c: (round(f1_of([scores[c[1]][i] for i in pages])[0], 6),
                                                  -abs(c[0] - start[name])))
            if best[0] != values[name]:
                values[name] = best[0]
                changed = True
        if not changed:
            break
    return values


def cross_validate(fit_bin, ids, files, truth):
    listing = subprocess.run([fit_bin, "--list"], stdout=subprocess.PIPE, check=True, universal_newlines=True)
    defaults = {}
    for line in listing.stdout.split():
        name, value = line.split("=")
        defaults[name] = int(value)
    unknown = (set(GRID) | set(START)) - set(defaults)
    if unknown:
        sys.exit("text_fit does not know the parameters %s" % sorted(unknown))
    start = dict(defaults)
    start.update(START)
    fitter = Fitter(fit_bin, files, [truth[i]["articleBody"] for i in ids])
    index = {page_id: k for k, page_id in enumerate(ids)}
    halves = {h: [index[i] for i in members] for h, members in split_halves(ids).items()}
    base = fitter.score([setting_string(defaults)])[setting_string(defaults)]
    print("\ncross-validation of TextParams (grid: %s)" % ", ".join("%s %s" % kv for kv in GRID.items()))
    print("defaults: %s" % setting_string(defaults))
    print("start of every fit: %s" % setting_string(start))
    for h, pages in halves.items():
        print("  half %s, defaults: F1 %.4f (P %.3f R %.3f)" % ((h,) + f1_of([base[i] for i in pages])))
    everything = halves["A"] + halves["B"]
    fitted = fit(fitter, start, everything)
    s = setting_string(fitted)
    scores = fitter.score([s])[s]
    changed = {k: v for k, v in fitted.items() if v != defaults[k]}
    print("  fitted on all pages: %s (F1 %.4f in-sample; %s)" %
          (setting_string(fitted), f1_of(scores)[0],
           "the defaults" if not changed else "differs from the defaults in " + ", ".join(sorted(changed))))
    for fit_half, test_half in (("A", "B"), ("B", "A")):
        fitted = fit(fitter, start, halves[fit_half])
        s = setting_string(fitted)
        scores = fitter.score([s])[s]
        print("  fitted on %s: %s" % (fit_half, s))
        print("    F1 on %s (fitted): %.4f (P %.3f R %.3f)" % ((fit_half,) + f1_of([scores[i] for i in halves[fit_half]])))
        held_out = f1_of([scores[i] for i in halves[test_half]])
        print("    F1 on %s (not used): %.4f (P %.3f R %.3f)" % ((test_half,) + held_out))
        emit("text dumps (twins): body F1 on half %s with TextParams fitted on half %s" % (test_half, fit_half),
             "%.4f" % held_out[0], ">= 0.90", held_out[0] >= 0.90, "P %.3f R %.3f; fitted: %s" % (held_out[1], held_out[2], s))


class Chromium:
    """One headless chromium driven over the DevTools pipe (fd 3 in, fd 4 out). Not thread-safe."""

    def __init__(self, binary):
        self.profile = tempfile.mkdtemp(prefix="copydesk-twins-profile-")
        to_chrome_r, self.to_chrome_w = os.pipe()
        self.from_chrome_r, from_chrome_w = os.pipe()

        def wire_fds():
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--no-first-run", "--disable-extensions", "--mute-audio",
             "--host-resolver-rules=MAP * ~NOTFOUND", "--user-data-dir=" + self.profile,
             "--remote-debugging-pipe", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            preexec_fn=wire_fds, pass_fds=(3, 4))
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Page.enable", session=True)
        self.call("Emulation.setScriptExecutionDisabled", {"value": True}, session=True)

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            left = deadline - time.time()
            if left <= 0:
                raise TimeoutError("chromium did not answer")
            ready, _, _ = select.select([self.from_chrome_r], [], [], left)
            if ready:
                chunk = os.read(self.from_chrome_r, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the pipe")
                self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=False, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome_w, json.dumps(msg).encode() + b"\0")
        deadline = time.time() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})
            self.events.append(reply)

    def wait_event(self, method, timeout=30):
        deadline = time.time() + timeout
        while True:
            for i, ev in enumerate(self.events):
                if ev.get("method") == method:
                    del self.events[:i + 1]
                    return ev
            self.events.clear()
            self.events.append(self._read_message(deadline))

    def inner_text(self, path):
        self.events.clear()
        self.call("Page.navigate", {"url": "file://" + os.path.abspath(path)}, session=True)
        try:
            self.wait_event("Page.loadEventFired", timeout=30)
        except TimeoutError:
            pass  # take what has rendered
        res = self.call("Runtime.evaluate",
                        {"expression": "document.body ? document.body.innerText : ''", "returnByValue": True},
                        session=True)
        return res.get("result", {}).get("value", "") or ""

    def close(self):
        try:
            self.call("Browser.close", timeout=5)
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_chrome_w)
        os.close(self.from_chrome_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def render_all(chromium_bin, html_dir, out_dir, ids, reuse):
    todo = [i for i in ids if not (reuse and os.path.exists(os.path.join(out_dir, i + ".txt")))]
    if not todo:
        return
    browser = Chromium(chromium_bin)
    try:
        for n, page_id in enumerate(todo, 1):
            text = browser.inner_text(os.path.join(html_dir, page_id + ".html"))
            with open(os.path.join(out_dir, page_id + ".txt"), "w", encoding="utf-8") as f:
                f.write(text)
            if n % 20 == 0:
                print("  rendered %d/%d" % (n, len(todo)), file=sys.stderr)
    finally:
        browser.close()


def normalize_all(binary, files):
    out = subprocess.run([binary, "normalize", "--content-type", "text/plain"] + files,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=False)
    if out.returncode not in (0, 1):
        sys.exit("copydesk normalize failed (%d): %s" % (out.returncode, out.stderr.decode()[:2000]))
    results = {}
    lines = [l for l in out.stdout.decode("utf-8").splitlines() if l.strip()]
    if len(files) == 1:
        results[files[0]] = json.loads(out.stdout.decode("utf-8"))
        return results
    for line in lines:
        obj = json.loads(line)
        results[obj["file"]] = obj.get("article")
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("COPYDESK_BIN", os.path.join(REPO, "build", "bin", "copydesk")))
    ap.add_argument("--data", default=os.environ.get(
        "COPYDESK_BENCH_DATA", os.path.join(REPO, "..", "shared", "data", "article-extraction-benchmark")))
    ap.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    ap.add_argument("--out", help="keep the twins here (default: a temp dir, removed afterwards)")
    ap.add_argument("--reuse", action="store_true", help="do not re-render twins already in --out")
    ap.add_argument("--worst", type=int, default=10)
    ap.add_argument("--limit", type=int, default=0, help="only the first N pages (for a quick look)")
    ap.add_argument("--labels", default=os.path.join(REPO, "tests", "fixtures", "metadata-labels", "labels.jsonl"))
    ap.add_argument("--no-cross-validate", dest="cross_validate", action="store_false",
                    help="skip fitting the decoder's parameters on each half and measuring on the other")
    ap.add_argument("--cross-validate", dest="cross_validate", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--fit-bin", default=os.path.join(REPO, "build", "bin", "text_fit"))
    args = ap.parse_args()

    if not os.path.isdir(args.data):
        sys.exit("benchmark data not found at %s" % args.data)
    if not os.path.exists(args.chromium):
        sys.exit("chromium not found: apt-get install chromium")
    if not os.path.exists(args.bin):
        sys.exit("copydesk binary not found at %s (--bin)" % args.bin)
    truth = json.load(open(os.path.join(args.data, "ground-truth.json"), encoding="utf-8"))
    ids = sorted(truth)
    if args.limit:
        ids = ids[:args.limit]
    out_dir = args.out or tempfile.mkdtemp(prefix="copydesk-twins-")
    os.makedirs(out_dir, exist_ok=True)
    try:
        t0 = time.time()
        render_all(args.chromium, os.path.join(args.data, "html"), out_dir, ids, args.reuse)
        t1 = time.time()
        files = [os.path.join(out_dir, i + ".txt") for i in ids]
        results = normalize_all(args.bin, files)
        t2 = time.time()
        rows = []
        for page_id, path in zip(ids, files):
            art = results.get(path) or {}
            p, r, exact = page_scores(art.get("body_text", art.get("bodyText", "")), truth[page_id]["articleBody"])
            rows.append((page_id, p, r, exact, art.get("headline", "")))
        precision = sum(r[1] for r in rows) / len(rows)
        recall = sum(r[2] for r in rows) / len(rows)
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        accuracy = sum(1 for r in rows if r[3]) / len(rows)
        print("text-dump twins: %d pages (rendered in %.1fs, normalized in %.1fs)" % (len(rows), t1 - t0, t2 - t1))
        print("precision %.3f  recall %.3f  F1 %.3f  accuracy %.3f" % (precision, recall, f1, accuracy))
        by_id = {row[0]: (row[1], row[2]) for row in rows}
        emit("text dumps (twins): body F1, %d pages, copydesk normalize" % len(rows), "%.4f" % f1, "",
             None, "P %.3f R %.3f" % (precision, recall))
        for h, members in split_halves(ids).items():
            half = f1_of([by_id[i] for i in members])
            print("  half %s (%d pages): F1 %.4f (P %.3f R %.3f)" % ((h, len(members)) + half))
            if len(ids) == len(truth):
                emit("text dumps (twins): body F1 on half %s, defaults" % h, "%.4f" % half[0], "", None,
                     "P %.3f R %.3f" % (half[1], half[2]))
        headline_check(args.labels, rows)
        print("worst %d by F1:" % args.worst)
        def page_f1(row):
            return 2 * row[1] * row[2] / (row[1] + row[2]) if row[1] + row[2] else 0.0
        for row in sorted(rows, key=page_f1)[:args.worst]:
            print("  %.3f  P %.3f R %.3f  %s  %s" % (page_f1(row), row[1], row[2], row[0][:16], truth[row[0]].get("url", "")))
        if args.cross_validate:
            if not os.path.exists(args.fit_bin):
                sys.exit("text_fit not found at %s (ninja -C build text_fit, or --fit-bin)" % args.fit_bin)
            cross_validate(args.fit_bin, ids, files, truth)
    finally:
        if not args.out:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
