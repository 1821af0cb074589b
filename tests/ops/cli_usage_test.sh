#!/usr/bin/env bash
# The copydesk binary's usage errors: exit 2 everywhere with a message that names the command or
# flag (as `copydesk --help` promises), help and version exit 0, and `produce` honours
# kafka.property.* from --set and the environment.
# Usage: cli_usage_test.sh COPYDESK_BINARY
set -uo pipefail
BIN=${1:?usage: $0 COPYDESK_BINARY}
WORK=$(mktemp -d /tmp/copydesk-cli-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export COPYDESK_RUN_DIR="$WORK/run"
failures=0
expect() {  # expected-exit regex-in-output command...
  local want=$1 re=$2
  shift 2
  "$@" >"$WORK/out" 2>&1
  local rc=$?
  if [[ $rc -ne $want ]] || ! grep -qE -- "$re" "$WORK/out"; then
    echo "FAIL: $* -> exit $rc (want $want), output:"
    sed 's/^/    /' "$WORK/out" | head -n 8
    [[ -n $re ]] && echo "    (expected /$re/)"
    failures=$((failures + 1))
  else
    echo "ok    $* -> $rc"
  fi
}

expect 2 "unknown command 'bogus'" "$BIN" bogus
expect 2 "unknown command 'topics bogus'" "$BIN" topics bogus
expect 2 "copydesk: .*subcommand is required" "$BIN"
expect 2 "copydesk produce: .*--bogus" "$BIN" produce --bogus x.txt
expect 2 "copydesk produce: .*files is required" "$BIN" produce
expect 2 "copydesk ingest: .*--brokers" "$BIN" ingest --brokers
expect 2 "copydesk broker ctl: .*command is required" "$BIN" broker ctl
expect 2 "copydesk topics plan: .*--partitions" "$BIN" topics plan --partitions zero
expect 2 "key 'ingest.nope'" "$BIN" ingest --set ingest.nope=1 --brokers 127.0.0.1:1
expect 0 "Usage" "$BIN" --help
expect 0 "copydesk 0.1.0" "$BIN" --version
expect 0 "Usage" "$BIN" produce --help

# Every command (and subcommand) rejects an unknown flag with 2, naming it.
for cmd in dev broker "broker ctl" ingest lookup produce get normalize replay "bench lookup" \
  "topics plan" "topics apply" "topics check" schema redrive; do
  # shellcheck disable=SC2086
  if "$BIN" $cmd --help >/dev/null 2>&1; then
    expect 2 "copydesk $cmd: .*--no-such-flag" "$BIN" $cmd --no-such-flag
  else
    echo "FAIL: copydesk $cmd --help does not exit 0"
    failures=$((failures + 1))
  fi
done

# produce honours kafka.property.* (the value reaches librdkafka): an unknown property is
# refused by name, a small message.max.bytes refuses a larger file, from --set and from env.
head -c 5000 /dev/zero | tr '\0' 'x' >"$WORK/big.txt"
expect 2 "kafka property 'no.such.property'" "$BIN" produce --brokers 127.0.0.1:1 \
  --set kafka.property.no.such.property=1 "$WORK/big.txt"
expect 1 "too large" "$BIN" produce --brokers 127.0.0.1:1 --set kafka.property.message.max.bytes=1000 "$WORK/big.txt"
expect 1 "too large" env COPYDESK_KAFKA_PROPERTY_MESSAGE_MAX_BYTES=1000 "$BIN" produce --brokers 127.0.0.1:1 \
  "$WORK/big.txt"

((failures == 0)) || { echo "FAIL: $failures case(s)"; exit 1; }
echo "PASS: usage errors exit 2 and name what was wrong"
