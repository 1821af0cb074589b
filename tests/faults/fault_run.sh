#!/usr/bin/env bash
# One fault run (tests/faults/fault_run.py): 3 brokers x 12 partitions, 3 workers, Reuters records,
# re-deliveries and poison events under a SIGKILL, a broker outage, failing requests and a SIGTERM,
# then the same events again; checked by a confluent-kafka reader.
# Usage: fault_run.sh COPYDESK_BIN SOURCE_DIR [fault_run.py options]
# Exit status: 0 pass, 1 a correctness check failed, 2 only the time bound failed (loaded machine),
# 3 only the harness failed. The work directory (logs, collected topics, result.json) is kept when
# the run fails or KEEP=1, removed otherwise; FAULT_RUN_BASE picks where it is made (default /tmp).
set -euo pipefail
BIN=$(readlink -f "$1")
SRC=$(readlink -f "$2")
shift 2
BASE=${FAULT_RUN_BASE:-${TMPDIR:-/tmp}}
mkdir -p "$BASE"
NAME="fault run"
WORK=$(mktemp -d "$BASE/copydesk-faults.XXXXXX")
KEEP_FAILED=1
source "$SRC/tests/chaos/harness.sh"
harness_require confluent_kafka grpc google.protobuf
harness_run "$SRC/tests/faults/fault_run.py" "*.log" "$@"
