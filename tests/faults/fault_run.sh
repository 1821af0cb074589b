#!/usr/bin/env bash
# One fault run (tests/faults/fault_run.py): 3 brokers x 12 partitions, 3 workers, Reuters records,
# re-deliveries and poison events under a SIGKILL, a broker outage, failing requests and a SIGTERM,
# then the same events again; checked by a confluent-kafka reader.
# Usage: fault_run.sh COPYDESK_BIN SOURCE_DIR [fault_run.py options]
# Exit status: 0 pass, 1 a correctness check failed, 2 only the time bound failed (loaded machine),
# 3 only the harness failed. The work directory (logs, collected topics, result.json) is kept when
# the run fails or KEEP=1, removed otherwise; FAULT_RUN_BASE picks where it is made (default /tmp).
set -euo pipefail
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
shift 2
BASE=${FAULT_RUN_BASE:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
WORK=$(mktemp -d "$BASE/copydesk-faults.XXXXXX")
PY=/usr/bin/python3
CHILD=""
RC=1
cleanup() {
  # fault_run.py stops its processes itself; this catches whatever is left when it was killed.
  if [[ -n $CHILD ]]; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -f $WORK/pids ]]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$WORK/pids"
  fi
  if [[ ${KEEP:-0} == 1 || $RC != 0 ]]; then echo "fault run: logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for mod in confluent_kafka grpc google.protobuf; do
  $PY -c "import $mod" 2>/dev/null || {
    echo "fault run: $PY cannot import $mod (apt-get install python3-confluent-kafka python3-grpcio python3-protobuf)" >&2
    exit 1
  }
done
mkdir -p "$WORK/py"
protoc -I "$SRC/proto" --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "$SRC"/proto/copydesk/v1/*.proto
touch "$WORK/py/copydesk/__init__.py" "$WORK/py/copydesk/v1/__init__.py"
export PYTHONPATH=$WORK/py
export PYTHONUNBUFFERED=1
$PY "$SRC/tests/faults/fault_run.py" --bin "$BIN" --src "$SRC" --workdir "$WORK" --stubs "$WORK/py" "$@" &
CHILD=$!
set +e
wait "$CHILD"
RC=$?
CHILD=""
set -e
if [[ $RC != 0 ]]; then
  for f in "$WORK"/*.log; do
    [[ -f $f ]] || continue
    echo "--- tail $f"
    tail -5 "$f"
  done
fi
exit $RC
