#!/usr/bin/env bash
# Lookup benchmark. Target: >= 20,000 GetArticle calls/s with p99 <= 5 ms against
# 100,000 stories on a 2-core machine.
#
# 1. In one process: 100,000 stories loaded through the embedded broker into a fresh view (the
#    rebuild from the topic is timed; disk and memory of the view are printed), the hot cache
#    warmed, then GetArticle driven by the asynchronous C++ gRPC client over loopback.
# 2. Client and server in separate processes, on the same view: the server's CPU time during
#    the measured load is read from /proc, so "calls per server CPU second" is the server's
#    cost alone (the load generator shares the same 2 cores in both runs).
# Prints calls/s, latency p50/p99/p999 and CPU per call for each run, and the load average
# before each run (other processes on the machine take cores too: read the figures with it).
#
# Usage: tests/bench/lookup_bench.sh [BUILD_DIR] [extra `copydesk bench lookup` flags...]
# Env: STORIES (100000), DURATION (10 s), INFLIGHT (40 calls in flight), CLIENT_THREADS (2),
#      MODE (both | inprocess | separate).
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
shift || true
bin="$build/bin/copydesk"
stories="${STORIES:-100000}"
duration="${DURATION:-10}"
inflight="${INFLIGHT:-40}"
threads="${CLIENT_THREADS:-2}"
mode="${MODE:-both}"
view="$(mktemp -d /tmp/copydesk-lookup-bench.XXXXXX)"
server_pid=""
cleanup() {
  if [[ -n "$server_pid" ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$view"
}
trap cleanup EXIT

common=(--stories "$stories" --duration "$duration" --inflight "$inflight" --client-threads "$threads")

out="$view/figures.log"
echo "== in one process (load, rebuild, serve, drive) =="
"$bin" bench lookup "${common[@]}" --data-dir "$view/view" --keep "$@" 2>&1 | grep -v '^%' | tee "$out"

figures() {  # BENCH lines for scripts/bench (tests/bench/bench_result.py)
  STORIES="$stories" /usr/bin/python3 - "$out" <<'PY'
import os, re, sys
sys.path.insert(0, os.path.join(os.environ.get("BENCH_DIR", "tests/bench")))
from bench_result import emit
text = open(sys.argv[1]).read()
rates = [int(x) for x in re.findall(r"calls/s (\d+)", text)]
p99s = [float(x) for x in re.findall(r"latency ms p50 \S+\s+p99 (\S+)", text)]
names = ["client and server in one process", "client and server as separate processes"]
n = int(os.environ["STORIES"])
for name, rate, p99 in zip(names, rates, p99s):
    emit("GetArticle calls/s, %d stories, %s" % (n, name), "%d calls/s" % rate, ">= 20,000", rate >= 20000)
    emit("GetArticle p99, %d stories, %s" % (n, name), "%.2f ms" % p99, "<= 5 ms", p99 <= 5.0)
m = re.search(r"rebuilt the view from the topic: .*? stories in (\S+) s", text)
if m:
    emit("lookup view rebuild from the topic, %d stories" % n, "%s s" % m.group(1))
PY
}
if [[ "$mode" == "inprocess" ]]; then BENCH_DIR="$here/tests/bench" figures; exit 0; fi
echo
echo "== separate processes (server: bench lookup --listen; client: bench lookup --grpc) =="
log="$view/server.log"
"$bin" bench lookup --stories "$stories" --data-dir "$view/view" --reuse --listen 127.0.0.1:0 >"$log" 2>&1 &
server_pid=$!
for _ in $(seq 1 600); do
  grep -q "serving the view on port" "$log" && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.2
done
port="$(sed -n 's/.*serving the view on port \([0-9]*\).*/\1/p' "$log")"
grep -E "reusing|warmed" "$log" || true
"$bin" bench lookup "${common[@]}" --grpc "127.0.0.1:$port" --server-pid "$server_pid" "$@" 2>&1 | grep -v '^%' | tee -a "$out"
kill "$server_pid"
wait "$server_pid" || true
server_pid=""
grep "server CPU while serving" "$log" || true
BENCH_DIR="$here/tests/bench" figures
