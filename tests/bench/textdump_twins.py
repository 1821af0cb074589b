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

Usage: /usr/bin/python3 tests/bench/textdump_twins.py [--bin build/bin/copydesk] [--data DIR]
       [--out DIR] [--reuse] [--worst 10] [--limit N]
"""
import argparse
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
        print("worst %d by F1:" % args.worst)
        def page_f1(row):
            return 2 * row[1] * row[2] / (row[1] + row[2]) if row[1] + row[2] else 0.0
        for row in sorted(rows, key=page_f1)[:args.worst]:
            print("  %.3f  P %.3f R %.3f  %s  %s" % (page_f1(row), row[1], row[2], row[0][:16], truth[row[0]].get("url", "")))
    finally:
        if not args.out:
            shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
