#!/usr/bin/env bash
# Pipeline benchmark: throughput of ingest (transactional, dedup on, 2 workers) vs a kcat
# pass-through ceiling, and end-to-end latency at 1,000 events/s in at-least-once and transactional
# mode. Prints figures (no pass/fail). See tests/bench/pipeline_bench.py for the method.
# Usage: tests/bench/pipeline_bench.sh [COPYDESK_BIN] [--events N] [--seconds S] [--rate R] [--only throughput|latency]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  echo "Options: --events N (throughput, 12000), --workers N (2), --rate R (latency, 1000/s), --seconds S (15),"
  echo "  --throughput-runs N (3; median and range), --only throughput|latency, --modes at-least-once,transactional,"
  echo "  --perf DIR, --worker-arg ARG, --vs-bin OTHER_COPYDESK (throughput: half the workers run OTHER, roles"
  echo "  swapped every run; prints the paired CPU per event of the two binaries: compare a code change with it),"
  echo "  --watch-partitions N (latency: outcome partitions read live, 2; 0 = all 12), --brokers N (3)."
  echo "  KEEP=1 keeps the work dir; PERF_CALLGRAPH=dwarf,32768 makes --perf record whole call stacks (default fp)."
  exit 0
fi
BIN=${1:-$SRC/build/bin/copydesk}
[[ $# -gt 0 ]] && shift
BIN=$(readlink -f "$BIN")
[[ -x $BIN ]] || { echo "no copydesk binary at $BIN (scripts/build)" >&2; exit 1; }
WORK=$(mktemp -d /tmp/copydesk-pipeline-bench.XXXXXX)
CHILD=""
cleanup() {
  if [[ -n $CHILD ]]; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -f $WORK/pids ]]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$WORK/pids"
  fi
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
mkdir -p "$WORK/py"
protoc -I "$SRC/proto" --python_out="$WORK/py" "$SRC"/proto/copydesk/v1/*.proto
export PYTHONPATH=$WORK/py PYTHONUNBUFFERED=1 COPYDESK_RUN_DIR=$WORK/run
/usr/bin/python3 "$SRC/tests/bench/pipeline_bench.py" --bin "$BIN" --src "$SRC" --workdir "$WORK" "$@" &
CHILD=$!
wait "$CHILD"
RC=$?
CHILD=""
exit $RC
