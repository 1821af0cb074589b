#!/usr/bin/env bash
# A real Prometheus keeps scraping a worker that has seen hostile label values: Debian's
# `prometheus` scrapes a running `copydesk dev` (embedded broker + ingest worker + lookup)
# while a real Kafka client (python3-confluent-kafka) sends it
#   - a provider header with invalid UTF-8 (p\xff),
#   - a ninjs document whose copyrightholder is 1 MiB,
#   - 2,000 articles from 2,000 distinct providers.
# Passes when every scrape after that input succeeded (`up` stayed 1), the provider label has
# at most 200 values plus `other`, every label value in /metrics is valid UTF-8 of at most
# 128 bytes, and /metrics, /livez answer within 1 s.
#
# Usage: hostile_labels_test.sh COPYDESK_BINARY SOURCE_DIR
# Exit codes: 0 pass, 1 fail, 77 skipped (prometheus or the python client missing).
set -euo pipefail
BIN=${1:?usage: $0 COPYDESK_BINARY SOURCE_DIR}
SRC=$(cd "${2:?usage: $0 COPYDESK_BINARY SOURCE_DIR}" && pwd)
PY=/usr/bin/python3

# shellcheck source=tests/ops/lib.sh
source "$SRC/tests/ops/lib.sh"
command -v prometheus >/dev/null || skip "prometheus is not installed (Debian package 'prometheus')"
"$PY" -c 'import confluent_kafka' 2>/dev/null || skip "python3-confluent-kafka is not installed"
[[ -x $BIN ]] || skip "copydesk binary not built: $BIN"

ops_init copydesk-hostile-labels

METRICS_PORT=$(free_port)
PROM_PORT=$(free_port)
export COPYDESK_RUN_DIR="$WORK/run"
mkdir -p "$COPYDESK_RUN_DIR"
"$BIN" dev --metrics "127.0.0.1:$METRICS_PORT" --grpc 127.0.0.1:0 --data-dir "$WORK/data" \
  --mode at-least-once >"$WORK/dev.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$METRICS_PORT/metrics" 30
BOOTSTRAP=$(sed -n 's/^bootstrap=//p' "$COPYDESK_RUN_DIR/broker")

cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: copydesk-hostile
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YAML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30

"$PY" - "$BOOTSTRAP" <<'PY'
import json, sys
from confluent_kafka import Producer
p = Producer({"bootstrap.servers": sys.argv[1], "message.max.bytes": 16 << 20, "linger.ms": 20})
def send(value, headers, key=None):
    p.produce("news.raw.v1", value=value, key=key, headers=headers)
    p.poll(0)
body = "The harbour authority said on Monday that the new ferry line would open in spring, {}."
send(body.format("invalid provider").encode(), [("content-type", b"text/plain"), ("provider", b"p\xff")])
ninjs = {"uri": "urn:test:hostile-copyright", "type": "text", "headline": "Harbour ferry line opens",
         "copyrightholder": "C" * (1 << 20), "body_text": body.format("big copyright holder")}
send(json.dumps(ninjs).encode(), [("content-type", b"application/ninjs+json")])
for i in range(2000):
    send(body.format("story number %d from outlet %d" % (i, i)).encode(),
         [("content-type", b"text/plain"), ("provider", b"outlet-%d" % i)], key=b"k%d" % i)
left = p.flush(60)
assert left == 0, f"{left} records not delivered"
print("sent 2002 hostile records")
PY

# Wait until the worker has consumed all of them (2,002 events), then give Prometheus a few scrapes.
deadline=$((SECONDS + 120))
while :; do
  consumed=$(curl -fsS --max-time 2 "http://127.0.0.1:$METRICS_PORT/metrics" |
    awk '/^copydesk_ingest_events_consumed_total/ {s += $2} END {print s + 0}')
  ((consumed >= 2002)) && break
  ((SECONDS < deadline)) || { echo "FAIL: the worker consumed only $consumed of 2002 events in 120 s"; exit 1; }
  sleep 1
done
echo "worker consumed $consumed events"
sleep 6

"$PY" - "http://127.0.0.1:$PROM_PORT" "http://127.0.0.1:$METRICS_PORT" <<'PY'
import json, sys, time, urllib.parse, urllib.request
prom, target = sys.argv[1], sys.argv[2]
def query(q):
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": q})
    return json.load(urllib.request.urlopen(url, timeout=5))["data"]["result"]
failures = []
def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)
up = query('min_over_time(up{job="copydesk-hostile"}[5s])')
check(up and float(up[0]["value"][1]) == 1.0, f"up == 1 in every scrape of the last 5 s: {up}")
targets = json.load(urllib.request.urlopen(prom + "/api/v1/targets", timeout=5))["data"]["activeTargets"]
check(all(t["health"] == "up" and not t["lastError"] for t in targets),
      "scrape has no error: " + "; ".join(t["lastError"] for t in targets))
n = query('count(copydesk_ingest_provider_last_article_timestamp_seconds{job="copydesk-hostile"})')
count = int(float(n[0]["value"][1])) if n else 0
check(100 < count <= 201, f"provider series {count}: at most 200 providers plus other")
other = query('copydesk_ingest_provider_last_article_timestamp_seconds{provider="other"}')
check(len(other) == 1, "the overflow providers are folded into provider=\"other\"")
# The scrape itself, as a Prometheus would parse it.
t0 = time.monotonic()
body = urllib.request.urlopen(target + "/metrics", timeout=5).read()
took = time.monotonic() - t0
check(took < 1.0, f"/metrics answered in {took * 1000:.0f} ms")
text = body.decode("utf-8")  # raises on invalid UTF-8
longest = 0
for line in text.splitlines():
    if line.startswith("#") or "{" not in line:
        continue
    labels = line[line.index("{") + 1 : line.rindex("}")]
    i = 0
    while i < len(labels):
        eq = labels.index('="', i)
        j, value = eq + 2, []
        while labels[j] != '"':
            if labels[j] == "\\":
                j += 1
            value.append(labels[j])
            j += 1
        longest = max(longest, len("".join(value).encode()))
        i = j + 2
check(longest <= 128, f"longest label value {longest} bytes (limit 128)")
t0 = time.monotonic()
live = urllib.request.urlopen(target + "/livez", timeout=5)
check(live.status == 200 and time.monotonic() - t0 < 1.0, "/livez answers 200 within 1 s")
sys.exit(1 if failures else 0)
PY
echo "PASS: a real Prometheus kept scraping through hostile label values"
