#!/bin/sh
# Dedup state memory benchmark: decides N synthetic new stories (default 1,000,000, all inside
# the 7-day window so no index entry expires) through Deduper and the worker's store (a
# PartitionStore over RocksDB: band entries in memory up to 128 MiB, then moved into RocksDB),
# and prints RSS every 100k stories and at the move, then 20k read-path probes.
# Target: RSS < 300 MiB.
#   tests/bench/dedup_memory.sh [BUILD_DIR] [STORIES]
set -eu
BUILD=${1:-build}
N=${2:-1000000}
DIR=$(mktemp -d /tmp/copydesk-dedup-bench.XXXXXX)
trap 'rm -rf "$DIR"' EXIT
"$BUILD/bin/dedup_state_bench" --stories "$N" --dir "$DIR/state"
