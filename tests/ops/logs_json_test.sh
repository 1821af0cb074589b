#!/usr/bin/env bash
# Logs a pipeline can read, with real processes: `copydesk broker`, and `copydesk ingest` under
# COPYDESK_LOG_FORMAT=json and COPYDESK_LOG_LEVEL=INFO (upper case). A real Kafka client
# (python3-confluent-kafka) sends records whose headers carry a newline that would forge a log
# line, invalid UTF-8 and terminal escapes; then the broker is killed (librdkafka logs its
# connection failures) and the worker is stopped. Every line the worker wrote, on stdout and
# stderr, must parse as one JSON object with time, level, module, message and fields; the
# forged text must never become a record of its own (the pipeline refuses such a header with
# INVALID_HEADER, whose reason names the header, not its value; a value that is logged stays
# inside a field); librdkafka's lines must be there as module "kafka".
# Also: an unknown level stops start-up (exit 2) naming the key and the allowed values.
# Usage: logs_json_test.sh COPYDESK_BINARY
set -euo pipefail
BIN=${1:?usage: $0 COPYDESK_BINARY}
PY=/usr/bin/python3
"$PY" -c 'import confluent_kafka' 2>/dev/null || { echo "SKIP: python3-confluent-kafka missing"; exit 77; }
WORK=$(mktemp -d /tmp/copydesk-logs-test.XXXXXX)
export COPYDESK_RUN_DIR="$WORK/run"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [[ $rc -ne 0 ]]; then for f in "$WORK"/*.log; do echo "--- $f"; tail -n 40 "$f"; done; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

# Start-up validation first: no broker needed.
set +e
COPYDESK_LOG_LEVEL=loud "$BIN" ingest --brokers 127.0.0.1:1 >"$WORK/badlevel.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] || fail "unknown log level: exit $rc, expected 2"
grep -q "COPYDESK_LOG_LEVEL" "$WORK/badlevel.log" && grep -q "log.level" "$WORK/badlevel.log" &&
  grep -q "trace, debug, info, warn, warning, error, off" "$WORK/badlevel.log" || fail "message names key and values"
set +e
"$BIN" ingest --brokers 127.0.0.1:1 --set log.format=yaml >"$WORK/badformat.log" 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && grep -q "log.format" "$WORK/badformat.log" || fail "unknown log.format: exit $rc"

"$BIN" broker -n 1 -p 2 >"$WORK/broker.log" 2>&1 &
BROKER=$!
PIDS+=($BROKER)
for _ in $(seq 100); do [[ -s $COPYDESK_RUN_DIR/broker ]] && break; sleep 0.1; done
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$COPYDESK_RUN_DIR/broker")

COPYDESK_LOG_FORMAT=json COPYDESK_LOG_LEVEL=INFO "$BIN" ingest --brokers "$BOOTSTRAP" --metrics 127.0.0.1:0 \
  --set ingest.state_dir="$WORK/state" --set ingest.mode=at-least-once >"$WORK/ingest.out.log" 2>"$WORK/ingest.err.log" &
INGEST=$!
PIDS+=($INGEST)

"$PY" - "$BOOTSTRAP" <<'PY'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
forged = b"text/x-unknown\n2026-01-01T00:00:00.000Z error ingest forged line"
p.produce("news.raw.v1", value=b"<p>hello</p>", headers=[("content-type", forged), ("provider", b"p\xff\x1b[2J")])
p.produce("news.raw.v1", value=b"", headers=[("content-type", b"text/plain\r\n"), ("provider", b"\xc3\x28")])
p.produce("news.raw.v1", value=b"A plain story about the harbour ferry.", headers=[("content-type", b"text/plain")])
assert p.flush(30) == 0
PY

# Wait for the two dead letters to be logged.
for _ in $(seq 300); do
  [[ $(grep -c '"message":"dead letter"' "$WORK/ingest.err.log" || true) -ge 2 ]] && break
  sleep 0.1
done
[[ $(grep -c '"message":"dead letter"' "$WORK/ingest.err.log" || true) -ge 2 ]] || fail "no dead-letter log lines"
kill -9 "$BROKER"  # the worker's librdkafka clients log their connection failures
sleep 3
kill -TERM "$INGEST"
for _ in $(seq 150); do kill -0 "$INGEST" 2>/dev/null || break; sleep 0.1; done
kill -0 "$INGEST" 2>/dev/null && fail "ingest did not stop within 15 s of SIGTERM"

"$PY" - "$WORK/ingest.out.log" "$WORK/ingest.err.log" <<'PY'
import json, sys
lines, modules, forged_inside, refused = 0, set(), False, False
for path in sys.argv[1:]:
    with open(path, "rb") as f:
        for n, raw in enumerate(f, 1):
            text = raw.decode("utf-8")  # raises on invalid UTF-8
            try:
                rec = json.loads(text)
            except ValueError:
                sys.exit(f"FAIL: {path}:{n} is not JSON: {text!r}")
            for key in ("time", "level", "module", "message", "fields"):
                if key not in rec:
                    sys.exit(f"FAIL: {path}:{n} has no {key}: {text!r}")
            if not isinstance(rec["fields"], dict):
                sys.exit(f"FAIL: {path}:{n}: fields is not an object")
            if rec["message"].startswith("2026-01-01") or "forged line" in rec["message"]:
                sys.exit(f"FAIL: {path}:{n}: a header forged a record: {text!r}")
            if any("\nforged line" in v or "\n2026-01-01" in v for v in rec["fields"].values()):
                forged_inside = True
            if rec["message"] == "dead letter" and rec["fields"].get("code") == "INVALID_HEADER":
                refused = True
            modules.add(rec["module"])
            lines += 1
print(f"{lines} lines, every one a JSON object; modules {sorted(modules)}")
if not (forged_inside or refused):
    sys.exit("FAIL: the forged content-type was neither refused (INVALID_HEADER) nor logged inside a field "
             "(the test lost its hostile input)")
if "kafka" not in modules:
    sys.exit("FAIL: no librdkafka line went through the logger (module kafka)")
if "ingest" not in modules:
    sys.exit("FAIL: no ingest line")
PY
echo "PASS: JSON logs"
