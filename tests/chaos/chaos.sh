#!/usr/bin/env bash
# Chaos test of the ingest pipeline: see tests/chaos/chaos.py for what it does and checks.
# Usage: chaos.sh COPYDESK_BIN SOURCE_DIR [chaos.py options, e.g. --events 100000]
# KEEP=1 keeps the work directory (logs, collected topics) for inspection.
set -euo pipefail
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
shift 2
WORK=$(mktemp -d /tmp/copydesk-chaos.XXXXXX)
PY=/usr/bin/python3
CHILD=""
cleanup() {
  # chaos.py stops its processes itself; this catches whatever is left when it was killed.
  if [[ -n $CHILD ]]; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -f $WORK/pids ]]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$WORK/pids"
  fi
  if [[ ${KEEP:-0} == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for mod in kafka confluent_kafka grpc google.protobuf; do
  $PY -c "import $mod" 2>/dev/null || { echo "chaos: $PY cannot import $mod (apt-get install python3-kafka python3-confluent-kafka python3-grpcio python3-protobuf)" >&2; exit 1; }
done
mkdir -p "$WORK/py"
protoc -I "$SRC/proto" --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
  --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "$SRC"/proto/copydesk/v1/*.proto
touch "$WORK/py/copydesk/__init__.py" "$WORK/py/copydesk/v1/__init__.py"
export PYTHONPATH=$WORK/py
export PYTHONUNBUFFERED=1
$PY "$SRC/tests/chaos/chaos.py" --bin "$BIN" --src "$SRC" --workdir "$WORK" --stubs "$WORK/py" "$@" &
CHILD=$!
set +e
wait "$CHILD"
RC=$?
CHILD=""
set -e
if [[ $RC != 0 && ${KEEP:-0} != 1 ]]; then
  for f in "$WORK"/*/*.log; do
    [[ -f $f ]] || continue
    echo "--- tail $f"
    tail -5 "$f"
  done
fi
exit $RC
