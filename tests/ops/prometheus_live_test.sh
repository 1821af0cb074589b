#!/usr/bin/env bash
# Proof with a real Prometheus: Debian's `prometheus` on loopback scrapes a running
# `copydesk dev` (embedded broker + ingest + lookup + /metrics in one process) while traffic
# flows, loads deploy/prometheus/rules/*.yml, and every expression of the dashboard and of
# the rules is queried through the HTTP API (tests/ops/check_expressions.py).
#
# Usage: prometheus_live_test.sh COPYDESK_BINARY SOURCE_DIR
#        prometheus_live_test.sh --fake SOURCE_DIR   (harness self-check against
#                                                     tests/ops/fake_copydesk_metrics.py)
# Exit codes: 0 pass, 1 fail, 77 skipped (prometheus or `copydesk dev` not available).
# Every process it starts is stopped on exit. Bounded: about 60 s.
set -euo pipefail

BIN=${1:?usage: $0 COPYDESK_BINARY|--fake SOURCE_DIR}
SRC=${2:?usage: $0 COPYDESK_BINARY|--fake SOURCE_DIR}
SRC=$(cd "$SRC" && pwd)
PY=/usr/bin/python3
if [[ $BIN == --fake ]]; then SCRAPE_SECONDS=${COPYDESK_OPS_TRAFFIC_SECONDS:-10}; else SCRAPE_SECONDS=${COPYDESK_OPS_TRAFFIC_SECONDS:-25}; fi

# shellcheck source=tests/ops/lib.sh
source "$SRC/tests/ops/lib.sh"
command -v prometheus >/dev/null || skip "prometheus is not installed (Debian package 'prometheus')"

ops_init copydesk-ops

METRICS_PORT=$(free_port)
GRPC_PORT=$(free_port)
PROM_PORT=$(free_port)
export COPYDESK_RUN_DIR="$WORK/run"
mkdir -p "$COPYDESK_RUN_DIR"

if [[ $BIN == --fake ]]; then
  JOB=copydesk-fake
  "$PY" "$SRC/tests/ops/fake_copydesk_metrics.py" "$METRICS_PORT" >"$WORK/target.log" 2>&1 &
  PIDS+=($!)
else
  JOB=copydesk-dev
  [[ -x $BIN ]] || skip "copydesk binary not built: $BIN"
  if ! "$BIN" dev --help >"$WORK/help.txt" 2>&1 || grep -q "not built yet" "$WORK/help.txt"; then
    skip "'copydesk dev' is not available in $BIN yet"
  fi
  "$BIN" dev --metrics "127.0.0.1:$METRICS_PORT" --grpc "127.0.0.1:$GRPC_PORT" --data-dir "$WORK/data" \
    >"$WORK/target.log" 2>&1 &
  PIDS+=($!)
fi
wait_http "http://127.0.0.1:$METRICS_PORT/metrics" 30

# A temporary configuration: the repository's rule files, a fast scrape and evaluation.
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $SRC/deploy/prometheus/rules/copydesk-recording.yml
  - $SRC/deploy/prometheus/rules/copydesk-alerts.yml
scrape_configs:
  - job_name: $JOB
    static_configs:
      - targets: ["127.0.0.1:$METRICS_PORT"]
YAML
promtool check config "$WORK/prometheus.yml" >/dev/null
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$PROM_PORT/-/ready" 30

# Traffic for SCRAPE_SECONDS: raw events into the embedded broker and Lookup calls.
if [[ $BIN != --fake ]]; then
  "$SRC/tests/ops/traffic.sh" "$BIN" "$SRC" "127.0.0.1:$GRPC_PORT" "$SCRAPE_SECONDS" >"$WORK/traffic.log" 2>&1 &
  PIDS+=($!)
fi
echo "prometheus on 127.0.0.1:$PROM_PORT scraping $JOB at 127.0.0.1:$METRICS_PORT; traffic for ${SCRAPE_SECONDS}s"
sleep "$SCRAPE_SECONDS"

"$PY" "$SRC/tests/ops/check_expressions.py" --prometheus "http://127.0.0.1:$PROM_PORT" \
  --dashboard "$SRC/deploy/grafana/copydesk.json" --rate-interval 20s --wait 30
