#!/bin/sh
# Dedup state memory benchmark: decides N synthetic new stories (default 1,000,000, all inside
# the 7-day window so no index entry expires) through Deduper and the worker's store (a
# PartitionStore over RocksDB: band entries in memory up to 128 MiB, then moved into RocksDB),
# and prints RSS every 100k stories and at the move, then 20k read-path probes.
# Target: RSS < 300 MiB. Prints BENCH lines for scripts/bench (tests/bench/bench_result.py).
#   tests/bench/dedup_memory.sh [BUILD_DIR] [STORIES]
set -eu
BUILD=${1:-build}
N=${2:-1000000}
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d /tmp/copydesk-dedup-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
rc=0
"$BUILD/bin/dedup_state_bench" --stories "$N" --dir "$DIR/state" >"$DIR/out.txt" || rc=$?
cat "$DIR/out.txt"
/usr/bin/python3 - "$HERE" "$N" "$DIR/out.txt" <<'PY'
import re, sys
sys.path.insert(0, sys.argv[1])
from bench_result import emit
n, text = int(sys.argv[2]), open(sys.argv[3]).read()
m = re.search(r"maxrss=([0-9.]+) MiB", text)
if m:
    rss = float(m.group(1))
    emit("worker state peak RSS, %d stories" % n, "%.1f MiB" % rss, "< 300 MiB", rss < 300)
rates = re.findall(r"^stories=\d+ rss=[0-9.]+ MiB rate=(\d+)/s", text, re.M)
if rates:
    emit("dedup decisions with the worker's store, %d stories" % n, "%s stories/s" % rates[-1])
m = re.search(r"reopened: (\d+) band entries rebuilt in ([0-9.]+) s", text)
if m:
    emit("band entries rebuilt on reopen, %d stories" % n, "%s s (%s entries)" % (m.group(2), m.group(1)))
PY
exit $rc
