#!/usr/bin/env bash
# `copydesk redrive` end to end: the embedded broker (`copydesk broker`) and a real worker
# (`copydesk ingest`) as separate processes, a real Kafka client (python3-confluent-kafka) and
# protoc-generated classes to read the outputs.
#   1. An event without content-type is dead-lettered (UNKNOWN_CONTENT_TYPE).
#   2. redrive --dry-run lists it and sends nothing.
#   3. redrive --set-header content-type=text/plain (the cause fixed) sends it back: its Article
#      appears, once; its event id is the original's, whose outcomes are now DEAD_LETTER then NEW.
#   4. A second redrive sends nothing (the marker says it was redriven); still one Article.
#   5. redrive --force sends it again: the worker sees the same event (same story, same version:
#      no new version, no new story).
# Usage: redrive_test.sh COPYDESK_BINARY SOURCE_DIR
set -euo pipefail
BIN=${1:?usage: $0 COPYDESK_BINARY SOURCE_DIR}
SRC=$(cd "${2:?}" && pwd)
PY=/usr/bin/python3
"$PY" -c 'import confluent_kafka, google.protobuf' 2>/dev/null || { echo "SKIP: python3-confluent-kafka/protobuf missing"; exit 77; }
WORK=$(mktemp -d /tmp/copydesk-redrive-test.XXXXXX)
export COPYDESK_RUN_DIR="$WORK/run"
PIDS=()
cleanup() {
  local rc=$?
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  if [[ $rc -ne 0 ]]; then for f in "$WORK"/*.log; do echo "--- $f"; tail -n 30 "$f"; done; fi
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$WORK/py"
protoc -I "$SRC/proto" --python_out="$WORK/py" "$SRC"/proto/copydesk/v1/{article,events,raw,dead_letter}.proto

"$BIN" broker -n 1 -p 2 >"$WORK/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [[ -s $COPYDESK_RUN_DIR/broker ]] && break; sleep 0.1; done
B=$(sed -n 's/^bootstrap=//p' "$COPYDESK_RUN_DIR/broker")
"$BIN" ingest --brokers "$B" --metrics 127.0.0.1:0 --set ingest.state_dir="$WORK/state" >"$WORK/ingest.log" 2>&1 &
PIDS+=($!)

# Reads a topic from the beginning (read_committed) and prints a summary as JSON lines.
cat >"$WORK/read.py" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[3])
from confluent_kafka import Consumer, TopicPartition
from copydesk.v1 import article_pb2, events_pb2
bootstrap, topic = sys.argv[1], sys.argv[2]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": "redrive-test-reader", "enable.auto.commit": False,
              "isolation.level": "read_committed", "enable.partition.eof": True})
md = c.list_topics(topic, timeout=10)
parts = list(md.topics[topic].partitions)
c.assign([TopicPartition(topic, p, 0) for p in parts])
eof, deadline = set(), time.time() + 15
while len(eof) < len(parts) and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        if m.error().code() == -191:  # _PARTITION_EOF
            eof.add(m.partition())
        continue
    key = m.key().decode("utf-8", "replace") if m.key() else None
    headers = {k: v.decode("utf-8", "replace") for k, v in (m.headers() or [])}
    out = {"partition": m.partition(), "offset": m.offset(), "key": key, "headers": headers}
    if topic == "news.articles.v1" and m.value():
        a = article_pb2.Article.FromString(m.value())
        out.update(headline=a.headline, body=a.body_text, uri=a.uri, version=a.version)
    if topic == "news.ingest-outcomes.v1":
        o = events_pb2.IngestOutcome.FromString(m.value())
        out.update(event_id=o.event_id, decision=events_pb2.Decision.Name(o.decision), story_id=o.story_id,
                   version=o.version, error_code=o.error_code)
    print(json.dumps(out))
c.close()
PY
read_topic() { "$PY" "$WORK/read.py" "$B" "$1" "$WORK/py"; }
wait_for() {  # description seconds command...
  local what=$1 secs=$2
  shift 2
  local deadline=$((SECONDS + secs))
  until "$@"; do
    ((SECONDS < deadline)) || fail "$what within $secs s"
    sleep 0.5
  done
}
BODY="The harbour authority said the new ferry line to the islands opens in spring, redrive test."
count_articles() { read_topic news.articles.v1 | grep -c "redrive test" || true; }

"$PY" - "$B" "$BODY" <<'PY'
import sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1]})
p.produce("news.raw.v1", key=b"story-harbour", value=sys.argv[2].encode(), headers=[("provider", b"harbour-news")])
assert p.flush(30) == 0
PY
wait_for "the event was dead-lettered" 60 bash -c "\"$PY\" \"$WORK/read.py\" \"$B\" news.raw.dlq.v1 \"$WORK/py\" | grep -q UNKNOWN_CONTENT_TYPE"
read_topic news.raw.dlq.v1 >"$WORK/dlq-before.json"
[[ $(wc -l <"$WORK/dlq-before.json") -eq 1 ]] || fail "expected one dead letter"
ORIG=$(read_topic news.ingest-outcomes.v1 | "$PY" -c 'import json,sys; print([json.loads(l)["event_id"] for l in sys.stdin][0])')
echo "dead letter of event $ORIG"

# 2. Dry run.
"$BIN" redrive --brokers "$B" --code UNKNOWN_CONTENT_TYPE --set-header content-type=text/plain --dry-run \
  >"$WORK/dry.log" 2>&1 || fail "dry run failed"
grep -q "^would send news.raw.dlq.v1 [0-9]*:0 -> news.raw.v1 partition .* event-id=$ORIG code=UNKNOWN_CONTENT_TYPE key=story-harbour .*content-type=text/plain" \
  "$WORK/dry.log" || fail "dry run does not show the record"
grep -q "x-copydesk" "$WORK/dry.log" && fail "dry run would send x-copydesk-* headers"
grep -q "redrive: 1 selected, 1 would be sent, 0 skipped" "$WORK/dry.log" || fail "dry run summary"
[[ $(read_topic news.raw.v1 | wc -l) -eq 1 ]] || fail "the dry run sent something"

# 3. Redrive with the cause fixed.
"$BIN" redrive --brokers "$B" --code UNKNOWN_CONTENT_TYPE --set-header content-type=text/plain >"$WORK/run1.log" 2>&1 ||
  fail "redrive failed"
grep -q "redrive: 1 selected, 1 sent, 0 skipped" "$WORK/run1.log" || fail "first redrive summary"
wait_for "the redriven event's Article" 60 bash -c "[[ \$(\"$PY\" \"$WORK/read.py\" \"$B\" news.articles.v1 \"$WORK/py\" | grep -c 'redrive test') -ge 1 ]]"

# 4. Again: nothing sent.
"$BIN" redrive --brokers "$B" --code UNKNOWN_CONTENT_TYPE --set-header content-type=text/plain >"$WORK/run2.log" 2>&1 ||
  fail "second redrive failed"
grep -q "redrive: 1 selected, 0 sent, 1 skipped" "$WORK/run2.log" || fail "second redrive sent it again"
sleep 3
[[ $(count_articles) -eq 1 ]] || fail "expected exactly one Article, got $(count_articles)"
read_topic news.raw.v1 >"$WORK/raw.json"
[[ $(wc -l <"$WORK/raw.json") -eq 2 ]] || fail "the raw topic should hold the original and one redriven record"
read_topic news.ingest-outcomes.v1 >"$WORK/outcomes.json"
"$PY" - "$WORK/outcomes.json" "$ORIG" <<'PY' || fail "outcomes"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mine = [r for r in rows if r["event_id"] == sys.argv[2]]
decisions = [r["decision"] for r in mine]
print("outcomes of", sys.argv[2], decisions)
assert decisions == ["DECISION_DEAD_LETTER", "DECISION_NEW"], decisions
PY

# 5. Forced: the same event again; the worker keeps it one story, one version.
"$BIN" redrive --brokers "$B" --code UNKNOWN_CONTENT_TYPE --set-header content-type=text/plain --force \
  >"$WORK/run3.log" 2>&1 || fail "forced redrive failed"
grep -q "redrive: 1 selected, 1 sent, 0 skipped" "$WORK/run3.log" || fail "forced redrive summary"
wait_for "the forced record's outcome" 60 bash -c "[[ \$(\"$PY\" \"$WORK/read.py\" \"$B\" news.ingest-outcomes.v1 \"$WORK/py\" | grep -c '$ORIG') -ge 3 ]]"
read_topic news.ingest-outcomes.v1 >"$WORK/outcomes.json"
read_topic news.articles.v1 >"$WORK/articles.json"
"$PY" - "$WORK/outcomes.json" "$ORIG" "$WORK/articles.json" <<'PY' || fail "forced redrive made a new story or version"
import json, sys
mine = [json.loads(l) for l in open(sys.argv[1]) if json.loads(l)["event_id"] == sys.argv[2]]
first, forced = mine[1], mine[2]
print("redriven:", first["decision"], first["story_id"], first["version"], "forced:", forced["decision"],
      forced["story_id"], forced["version"])
assert forced["story_id"] == first["story_id"] and forced["version"] == first["version"]
arts = [json.loads(l) for l in open(sys.argv[3]) if "redrive test" in json.loads(l).get("body", "")]
assert len({(a["uri"], a["version"]) for a in arts}) == 1, arts
PY
echo "PASS: redrive sends a fixed dead letter back once; its Article appears once"
