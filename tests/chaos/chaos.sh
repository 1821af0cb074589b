#!/usr/bin/env bash
# Chaos test of the ingest pipeline: see tests/chaos/chaos.py for what it does and checks.
# Usage: chaos.sh COPYDESK_BIN SOURCE_DIR [chaos.py options, e.g. --events 100000]
# KEEP=1 keeps the work directory (logs, collected topics) for inspection.
set -euo pipefail
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
shift 2
NAME=chaos
WORK=$(mktemp -d /tmp/copydesk-chaos.XXXXXX)
KEEP_FAILED=0
source "$SRC/tests/chaos/harness.sh"
harness_require kafka confluent_kafka grpc google.protobuf
harness_run "$SRC/tests/chaos/chaos.py" "*/*.log" "$@"
