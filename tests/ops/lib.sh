# Shared helpers of the ops tests that start real processes (sourced, not run):
#   ops_init PREFIX   a work directory /tmp/PREFIX.XXXXXX in $WORK, and an EXIT trap that stops
#                     every pid in $PIDS (SIGTERM, then SIGKILL after 5 s), prints the last lines
#                     of $WORK/*.log when the test failed, and removes $WORK
#   skip MESSAGE      exit 77 (ctest's skip code) with the reason
#   free_port         a free TCP port on 127.0.0.1
#   wait_http URL S   waits up to S seconds for URL to answer
# Expects PY (the Python with Debian's packages) to be set.

skip() { echo "SKIP: $*"; exit 77; }

ops_cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 && $rc -ne 77 ]]; then
    for f in "$WORK"/*.log; do [[ -f $f ]] && { echo "--- $f (last 30 lines)"; tail -n 30 "$f"; }; done
  fi
  rm -rf "$WORK"
  exit "$rc"
}

ops_init() {
  WORK=$(mktemp -d "/tmp/$1.XXXXXX")
  PIDS=()
  trap ops_cleanup EXIT
  trap 'exit 1' INT TERM
}

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

wait_http() {  # url seconds
  local url=$1 deadline=$((SECONDS + $2))
  until "$PY" -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' "$url" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "FAIL: $url did not answer within $2 s"; return 1; }
    sleep 0.3
  done
}
