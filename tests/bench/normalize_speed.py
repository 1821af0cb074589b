#!/usr/bin/python3
"""Speed of `copydesk normalize` on the article-extraction-benchmark pages vs readability-lxml.

Both run single-threaded over the same pages, all loaded in memory first:
  copydesk: `copydesk normalize --bench-repeat N FILES...` (loads every file, then times N passes)
  readability-lxml: Document(html).summary() + .title() over the same pages, N passes
Prints pages/s, MB/s and the ratio. Optionally (--rss) the peak RSS of normalizing one ~10 MiB page.

Prints BENCH lines for scripts/bench (tests/bench/bench_result.py).

Usage: /usr/bin/python3 tests/bench/normalize_speed.py [--bin build/bin/copydesk] [--data DIR] [--repeat 3]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_result import emit  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.environ.get("COPYDESK_BIN", os.path.join(REPO, "build/bin/copydesk")))
    ap.add_argument("--data", default=os.environ.get("COPYDESK_BENCH_DATA",
                                                     os.path.join(REPO, "../shared/data/article-extraction-benchmark")))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--readability-repeat", type=int, default=1)
    ap.add_argument("--rss", action="store_true", help="also measure peak RSS on one 10 MiB page (/usr/bin/time -v)")
    args = ap.parse_args()

    html_dir = os.path.join(os.path.abspath(args.data), "html")
    if not os.path.isdir(html_dir):
        print("SKIP: benchmark pages not found at %s (set --data or COPYDESK_BENCH_DATA)" % html_dir)
        return 0
    if not os.path.exists(args.bin):
        sys.exit("copydesk binary not found at %s (build it or pass --bin / COPYDESK_BIN)" % args.bin)
    files = sorted(os.path.join(html_dir, f) for f in os.listdir(html_dir) if f.endswith(".html"))
    total_bytes = sum(os.path.getsize(f) for f in files)
    mb = total_bytes / (1024.0 * 1024.0)

    out = subprocess.run([args.bin, "normalize", "--bench-repeat", str(args.repeat)] + files,
                         stdout=subprocess.PIPE, check=True)
    cd = json.loads(out.stdout.decode().strip().splitlines()[-1])
    cd_pps, cd_mbps = cd["pages_per_s"], cd["mb_per_s"]

    try:
        from readability import Document
    except ImportError:
        print("readability-lxml missing: apt-get install python3-readability")
        Document = None
    rd_pps = rd_mbps = None
    if Document is not None:
        pages = [open(f, "rb").read().decode("utf-8", errors="replace") for f in files]
        start = time.perf_counter()
        for _ in range(args.readability_repeat):
            for p in pages:
                d = Document(p)
                d.summary()
                d.title()
        secs = time.perf_counter() - start
        rd_pps = len(pages) * args.readability_repeat / secs
        rd_mbps = mb * args.readability_repeat / secs

    print("Pages: %d (%.1f MB), single thread, loaded in memory" % (len(files), mb))
    print("  copydesk normalize  %8.1f pages/s  %7.2f MB/s  (%d passes, %d failed)" %
          (cd_pps, cd_mbps, args.repeat, cd["failed"]))
    if rd_pps:
        print("  readability-lxml    %8.1f pages/s  %7.2f MB/s  (%d passes)" % (rd_pps, rd_mbps, args.readability_repeat))
        print("  ratio               %8.1fx" % (cd_pps / rd_pps))
    emit("normalize speed, %d pages, single thread" % len(files),
         "%.1f pages/s, %.2f MB/s (%d failed)" % (cd_pps, cd_mbps, cd["failed"]))
    if rd_pps:
        emit("normalize speed / readability-lxml", "%.1fx (readability-lxml %.1f pages/s)" % (cd_pps / rd_pps, rd_pps),
             ">= 8x", cd_pps / rd_pps >= 8.0)

    if args.rss:
        # One ~10 MiB page: benchmark pages concatenated into one body (just under the 10 MiB limit).
        big = bytearray(b"<html><head><title>Big page</title></head><body><article>")
        i = 0
        while len(big) < 10 * 1024 * 1024 - 300 * 1024:
            with open(files[i % len(files)], "rb") as f:
                big += f.read()
            i += 1
        big += b"</article></body></html>"
        with tempfile.NamedTemporaryFile(suffix=".html", delete=False) as t:
            t.write(bytes(big))
            path = t.name
        try:
            r = subprocess.run(["/usr/bin/time", "-v", args.bin, "normalize", "--max-millis", "0", path],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
            for line in r.stderr.decode().splitlines():
                if "Maximum resident set size" in line:
                    kb = int(line.split(":")[1])
                    print("  peak RSS, one %.1f MiB page: %.1f MiB (exit %d)" % (len(big) / 1048576.0, kb / 1024.0,
                                                                               r.returncode))
                    emit("normalize peak RSS, one 10 MiB page", "%.1f MiB (exit %d)" % (kb / 1024.0, r.returncode))
        finally:
            os.unlink(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
