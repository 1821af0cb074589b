# Shared by the wrappers of the Python process tests (tests/chaos/chaos.sh, tests/faults/fault_run.sh),
# sourced after `set -euo pipefail`. They set NAME (for messages), WORK (the work directory) and
# KEEP_FAILED (1: keep WORK when the run fails), then:
#   harness_require MODULE...            /usr/bin/python3 must import these (Debian packages)
#   harness_run SCRIPT LOG_GLOB ARGS...  generates the contract's Python modules into WORK/py, runs
#                                        SCRIPT --workdir WORK --stubs WORK/py ARGS as a child,
#                                        prints the tails of the LOG_GLOB logs when it fails and
#                                        exits with its status
# On exit (normal, INT or TERM) the child is stopped, every process listed in WORK/pids is killed
# and WORK is removed unless KEEP=1 or (KEEP_FAILED=1 and the run failed).
PY=/usr/bin/python3
CHILD=""
RC=1
harness_cleanup() {
  # The Python driver stops its processes itself; this catches whatever is left when it was killed.
  if [[ -n $CHILD ]]; then kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true; fi
  if [[ -f $WORK/pids ]]; then
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$WORK/pids"
  fi
  if [[ ${KEEP:-0} == 1 || ($KEEP_FAILED == 1 && $RC != 0) ]]; then
    echo "$NAME: logs kept in $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap harness_cleanup EXIT
trap 'exit 130' INT TERM

harness_require() {
  local mod
  for mod in "$@"; do
    "$PY" -c "import $mod" 2>/dev/null || {
      echo "$NAME: $PY cannot import $mod (apt-get install python3-kafka python3-confluent-kafka python3-grpcio python3-protobuf)" >&2
      exit 1
    }
  done
}

harness_run() {
  local script=$1 logs=$2
  shift 2
  mkdir -p "$WORK/py"
  protoc -I "$SRC/proto" --python_out="$WORK/py" --grpc_python_out="$WORK/py" \
    --plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin "$SRC"/proto/copydesk/v1/*.proto
  touch "$WORK/py/copydesk/__init__.py" "$WORK/py/copydesk/v1/__init__.py"
  export PYTHONPATH=$WORK/py PYTHONUNBUFFERED=1
  "$PY" "$script" --bin "$BIN" --src "$SRC" --workdir "$WORK" --stubs "$WORK/py" "$@" &
  CHILD=$!
  set +e
  wait "$CHILD"
  RC=$?
  CHILD=""
  set -e
  if [[ $RC != 0 ]]; then
    local f
    for f in $WORK/$logs; do
      [[ -f $f ]] || continue
      echo "--- tail $f"
      tail -5 "$f"
    done
  fi
  exit "$RC"
}
