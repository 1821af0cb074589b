#!/usr/bin/env bash
# Lookup benchmark: 100,000 stories loaded through the embedded broker into a fresh view (the
# rebuild is timed), then GetArticle driven by the asynchronous C++ gRPC client.
# Prints calls/s, latency p50/p99/p999, the view's disk and memory, and the rebuild time.
# Target (issue 6): >= 20,000 GetArticle calls/s with p99 <= 5 ms on a 2-core machine.
# Usage: tests/bench/lookup_bench.sh [BUILD_DIR] [extra `copydesk bench lookup` flags...]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
build="${1:-$here/build}"
shift || true
exec "$build/bin/copydesk" bench lookup --stories 100000 --duration 10 --inflight 64 "$@"
