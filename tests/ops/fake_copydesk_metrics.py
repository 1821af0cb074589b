#!/usr/bin/python3
"""A stand-in /metrics endpoint that exports the copydesk metric catalogue (docs/METRICS.md)
with values that move like a busy copydesk dev process: counters grow, histograms fill,
lag and freshness gauges change.

COPYDESK_FAKE_DROP=NAME leaves one metric out (to see the check fail).
Only for checking the harness (tests/ops/prometheus_live_test.sh --fake): the real proof
scrapes `copydesk dev`. Usage: fake_copydesk_metrics.py PORT   (serves 127.0.0.1:PORT)
"""
import http.server
import math
import os
import random
import sys
import time

START = time.time()
BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
EMBARGO_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60]
FORMATS = {"html": 6.0, "text": 3.0, "ninjs": 2.0, "nitf": 1.0}
DECISIONS = {"new": 5.0, "update": 2.0, "redelivery": 1.0, "stale": 0.1, "duplicate": 0.5, "syndicated": 0.4, "cancel": 0.05}
PROVIDERS = ["apnews", "reuters", "bbc"]
METHODS = {"GetArticle": 8.0, "ListVersions": 2.0, "BatchGetArticles": 1.0}


def counter(lines, name, help_, samples):
    lines.append(f"# HELP {name} {help_}")
    lines.append(f"# TYPE {name} counter")
    for labels, v in samples:
        lines.append(f"{name}{labels} {v:.6f}")


def gauge(lines, name, help_, samples):
    lines.append(f"# HELP {name} {help_}")
    lines.append(f"# TYPE {name} gauge")
    for labels, v in samples:
        lines.append(f"{name}{labels} {v:.6f}")


def histogram(lines, name, help_, series, elapsed, buckets=BUCKETS):
    """series: list of (label-string-without-braces, events/s, typical seconds)."""
    lines.append(f"# HELP {name} {help_}")
    lines.append(f"# TYPE {name} histogram")
    for lbl, rate, typical in series:
        n = rate * elapsed
        sep = "," if lbl else ""
        for le in buckets:
            frac = 1.0 - math.exp(-le / typical)
            lines.append(f'{name}_bucket{{{lbl}{sep}le="{le}"}} {n * frac:.6f}')
        lines.append(f'{name}_bucket{{{lbl}{sep}le="+Inf"}} {n:.6f}')
        lines.append(f"{name}_sum{{{lbl}}} {n * typical:.6f}")
        lines.append(f"{name}_count{{{lbl}}} {n:.6f}")


def render():
    t = time.time() - START
    L = []
    counter(L, "copydesk_ingest_events_consumed_total", "fake", [(f'{{format="{f}"}}', r * t) for f, r in FORMATS.items()])
    counter(L, "copydesk_ingest_events_decoded_total", "fake", [(f'{{format="{f}"}}', r * t * 0.99) for f, r in FORMATS.items()])
    counter(L, "copydesk_ingest_events_normalized_total", "fake", [(f'{{format="{f}"}}', r * t * 0.97) for f, r in FORMATS.items()])
    counter(L, "copydesk_ingest_records_published_total", "fake",
            [('{topic="news.articles.v1"}', 9 * t), ('{topic="news.article-events.v1"}', 9 * t), ('{topic="news.raw.dlq.v1"}', 0.3 * t)])
    counter(L, "copydesk_ingest_decisions_total", "fake", [(f'{{decision="{d}"}}', r * t) for d, r in DECISIONS.items()])
    counter(L, "copydesk_ingest_dead_letters_total", "fake", [('{reason="EMPTY_VALUE"}', 0.3 * t)])
    histogram(L, "copydesk_ingest_stage_duration_seconds", "fake",
              [('stage="decode"', 12, 0.0004), ('stage="normalize"', 12, 0.003), ('stage="decide"', 12, 0.0005),
               ('stage="end_to_end"', 12, 0.08), ('stage="commit"', 2, 0.01)], t)
    counter(L, "copydesk_ingest_transactions_total", "fake",
            [('{result="committed"}', 2 * t), ('{result="aborted"}', 0.0), ('{result="fenced"}', 0.0)])
    counter(L, "copydesk_ingest_rebalances_total", "fake", [('{kind="assign"}', 1), ('{kind="revoke"}', 0)])
    gauge(L, "copydesk_ingest_consumer_lag_messages", "fake",
          [(f'{{partition="{p}"}}', float(random.randint(0, 40))) for p in range(3)])
    gauge(L, "copydesk_ingest_provider_last_article_timestamp_seconds", "fake",
          [(f'{{provider="{p}"}}', time.time() - random.uniform(0, 5)) for p in PROVIDERS])
    gauge(L, "copydesk_ingest_assigned_partitions", "fake", [("", 3)])
    gauge(L, "copydesk_ingest_restoring_partitions", "fake", [("", 0)])
    counter(L, "copydesk_ingest_restored_records_total", "fake", [("", 5000.0)])
    gauge(L, "copydesk_ingest_state_store_bytes", "fake", [("", 1e6 + 1000 * t)])
    gauge(L, "copydesk_ingest_shared_index_bytes", "fake", [("", 2e7 + 500 * t)])
    gauge(L, "copydesk_ingest_partition_bands_bytes", "fake", [("", 8e6 + 200 * t)])
    gauge(L, "copydesk_ingest_in_flight_events", "fake", [("", float(random.randint(0, 20)))])
    counter(L, "copydesk_ingest_input_lost_total", "fake", [("", 0.0)])
    gauge(L, "copydesk_ingest_waiting_partitions", "fake", [("", 0)])
    counter(L, "copydesk_ingest_decided_without_progress_total", "fake", [("", 0.0)])
    # Two stories held, the earliest due in 2 minutes; releases mostly on time.
    gauge(L, "copydesk_ingest_embargo_held", "fake", [("", 2)])
    gauge(L, "copydesk_ingest_embargo_next_release_timestamp_seconds", "fake", [("", time.time() + 120)])
    counter(L, "copydesk_ingest_embargo_releases_total", "fake", [("", 0.2 * t)])
    counter(L, "copydesk_ingest_embargo_late_releases_total", "fake", [("", 0.0)])
    histogram(L, "copydesk_ingest_embargo_release_lateness_seconds", "fake", [("", 0.2, 0.01)], t, EMBARGO_BUCKETS)
    counter(L, "copydesk_ingest_embargo_dropped_total", "fake", [("", 0.0)])
    counter(L, "grpc_server_started_total", "fake",
            [(f'{{grpc_service="copydesk.v1.Lookup",grpc_method="{m}",grpc_type="unary"}}', r * t) for m, r in METHODS.items()])
    counter(L, "grpc_server_handled_total", "fake",
            [(f'{{grpc_service="copydesk.v1.Lookup",grpc_method="{m}",grpc_type="unary",grpc_code="OK"}}', r * t) for m, r in METHODS.items()]
            + [('{grpc_service="copydesk.v1.Lookup",grpc_method="GetArticle",grpc_type="unary",grpc_code="NotFound"}', 0.5 * t)])
    histogram(L, "grpc_server_handling_seconds", "fake",
              [(f'grpc_service="copydesk.v1.Lookup",grpc_method="{m}",grpc_type="unary"', r, 0.001) for m, r in METHODS.items()], t)
    gauge(L, "copydesk_lookup_view_stories", "fake", [("", 100 + 5 * t)])
    gauge(L, "copydesk_lookup_view_versions", "fake", [("", 150 + 7 * t)])
    gauge(L, "copydesk_lookup_view_disk_bytes", "fake", [("", 2e6 + 500 * t)])
    counter(L, "copydesk_lookup_events_applied_total", "fake", [("", 9 * t)])
    L.append("# TYPE copydesk_lookup_rebuilds_total counter")
    counter(L, "copydesk_lookup_events_skipped_total", "fake", [('{reason="duplicate"}', 0.5 * t), ('{reason="invalid"}', 0)])
    L.append("# TYPE copydesk_lookup_auth_rejected_total counter")
    gauge(L, "copydesk_lookup_serving", "fake", [("", 1.0)])
    gauge(L, "copydesk_lookup_active_calls", "fake", [('{kind="watch"}', 2.0), ('{kind="wait"}', 0.0)])
    counter(L, "copydesk_lookup_calls_rejected_total", "fake", [('{reason="watch_cap"}', 0), ('{reason="wait_cap"}', 0)])
    gauge(L, "copydesk_lookup_watermark_lag_messages", "fake", [(f'{{partition="{p}"}}', float(random.randint(0, 5))) for p in range(3)])
    gauge(L, "copydesk_build_info", "fake", [('{version="0.1.0",normalizer="copydesk-normalize/0.1.0"}', 1)])
    counter(L, "process_cpu_seconds_total", "fake", [("", 0.2 * t)])
    gauge(L, "process_resident_memory_bytes", "fake", [("", 5e7)])
    gauge(L, "process_open_fds", "fake", [("", 40)])
    gauge(L, "process_max_fds", "fake", [("", 1024)])
    drop = os.environ.get("COPYDESK_FAKE_DROP")  # a metric to leave out: shows the check can fail
    if drop:
        L = [l for l in L if drop not in l]
    return "\n".join(L) + "\n"


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server API
        body = (render() if self.path.startswith("/metrics") else "ok\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
