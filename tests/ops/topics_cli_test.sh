#!/usr/bin/env bash
# `copydesk topics check|apply` against the embedded broker (`copydesk broker`, librdkafka's mock
# cluster: Metadata but no Admin API), with kcat as the independent reader of the metadata:
#   - check fails on a broker missing topics, naming each topic and the fix;
#   - apply --dry-run changes nothing; apply creates them (through the control interface, as
#     the broker has no CreateTopics) and check then passes, with the settings UNVERIFIED;
#   - check --strict fails on the unverifiable settings;
#   - a changelog whose partition count differs from the raw topic's is an error;
#   - a requested raw partition count that differs is an error.
# Usage: topics_cli_test.sh COPYDESK_BINARY
set -euo pipefail
BIN=${1:?usage: $0 COPYDESK_BINARY}
command -v kcat >/dev/null || { echo "SKIP: kcat not installed"; exit 77; }
WORK=$(mktemp -d /tmp/copydesk-topics-test.XXXXXX)
export COPYDESK_RUN_DIR="$WORK/run"
BROKER_PID=""
cleanup() {
  local rc=$?
  [[ -n $BROKER_PID ]] && { kill "$BROKER_PID" 2>/dev/null || true; wait "$BROKER_PID" 2>/dev/null || true; }
  [[ $rc -ne 0 ]] && for f in "$WORK"/*.out; do echo "--- $f"; cat "$f"; done
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

start_broker() {  # args for copydesk broker
  if [[ -n $BROKER_PID ]]; then kill "$BROKER_PID"; wait "$BROKER_PID" 2>/dev/null || true; fi
  rm -f "$COPYDESK_RUN_DIR/broker"
  "$BIN" broker -n 1 -p 4 "$@" >"$WORK/broker.out" 2>&1 &
  BROKER_PID=$!
  for _ in $(seq 100); do [[ -s $COPYDESK_RUN_DIR/broker ]] && break; sleep 0.1; done
  BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$COPYDESK_RUN_DIR/broker")
  [[ -n $BOOTSTRAP ]] || fail "broker did not start"
}
kcat_partitions() {  # topic -> partition count as kcat sees it, 0 when absent
  # All topics (-L alone): asking the mock cluster for one topic's metadata would create it.
  kcat -b "$BOOTSTRAP" -L 2>/dev/null | sed -n "s/^  topic \"$1\" with \([0-9]*\) partitions.*/\1/p" | head -1 | grep . || echo 0
}
run() {  # name expected-exit command...
  local name=$1 want=$2
  shift 2
  set +e
  "$@" >"$WORK/$name.out" 2>&1
  local rc=$?
  set -e
  [[ $rc -eq $want ]] || fail "$name: exit $rc, expected $want"
}

# 1. Two topics missing.
start_broker --without-topic news.dedup-index.v1 --without-topic news.raw.dlq.v1
[[ $(kcat_partitions news.dedup-index.v1) == 0 ]] || fail "the broker has news.dedup-index.v1 already"
run check-missing 1 "$BIN" topics check --brokers "$BOOTSTRAP"
grep -q '^ERROR       news.dedup-index.v1: does not exist' "$WORK/check-missing.out" || fail "check names the missing index"
grep -q '^ERROR       news.raw.dlq.v1: does not exist' "$WORK/check-missing.out" || fail "check names the missing DLQ"
grep -q 'fix: copydesk topics apply, or: kafka-topics.sh --bootstrap-server .* --create --topic news.dedup-index.v1 --partitions 12 .*--config cleanup.policy=compact' \
  "$WORK/check-missing.out" || fail "check prints the fix"
grep -q '^ok          news.raw.v1 (4 partitions' "$WORK/check-missing.out" || fail "present topics are ok"
grep -q 'topics check: 2 problem(s)' "$WORK/check-missing.out" || fail "two problems counted"

# 2. Dry run changes nothing.
run apply-dry 0 "$BIN" topics apply --brokers "$BOOTSTRAP" --partitions 4 --dry-run
grep -q 'would create news.dedup-index.v1 partitions=4' "$WORK/apply-dry.out" || fail "dry run lists the creation"
[[ $(kcat_partitions news.dedup-index.v1) == 0 ]] || fail "dry run created a topic"

# 3. Apply creates them; check passes; --strict does not (settings unverifiable here).
run apply 0 "$BIN" topics apply --brokers "$BOOTSTRAP" --partitions 4
grep -q 'control interface' "$WORK/apply.out" || fail "apply says it used the control interface"
[[ $(kcat_partitions news.dedup-index.v1) == 4 ]] || fail "kcat does not see news.dedup-index.v1 with 4 partitions"
[[ $(kcat_partitions news.raw.dlq.v1) == 4 ]] || fail "kcat does not see news.raw.dlq.v1 with 4 partitions"
run check-after 0 "$BIN" topics check --brokers "$BOOTSTRAP"
grep -q '^ok          news.articles.v1 (4 partitions, settings UNVERIFIED)' "$WORK/check-after.out" || fail "settings reported unverified"
grep -q '^note: settings .* not verified: .*implements no Admin API' "$WORK/check-after.out" || fail "check says why"
grep -q 'topics check: ok' "$WORK/check-after.out" || fail "check passes after apply"
run check-strict 1 "$BIN" topics check --brokers "$BOOTSTRAP" --strict

# 4. Partition rules.
start_broker --without-topic news.dedup-changelog.v1
"$BIN" broker ctl create-topic news.dedup-changelog.v1 2 >/dev/null
run check-changelog 1 "$BIN" topics check --brokers "$BOOTSTRAP"
grep -q '^ERROR       news.dedup-changelog.v1: has 2 partitions, the raw topic 4' "$WORK/check-changelog.out" ||
  fail "changelog partition mismatch not reported"
run apply-changelog 1 "$BIN" topics apply --brokers "$BOOTSTRAP"
grep -q 'news.dedup-changelog.v1: has 2 partitions' "$WORK/apply-changelog.out" || fail "apply leaves partitions alone and says so"
[[ $(kcat_partitions news.dedup-changelog.v1) == 2 ]] || fail "apply changed a partition count"
run check-raw-count 1 "$BIN" topics check --brokers "$BOOTSTRAP" --partitions 6
grep -q '^ERROR       news.raw.v1: has 4 partitions, 6 were asked for' "$WORK/check-raw-count.out" || fail "raw count"

# 5. Usage: an unknown format is a usage error.
run plan-bad-format 2 "$BIN" topics plan --format xml
echo "PASS: topics check/apply on the embedded broker"
