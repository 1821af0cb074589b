#!/usr/bin/env bash
# Bounded traffic for tests/ops/prometheus_live_test.sh: raw events into the running
# `copydesk dev` (via `copydesk produce`) and Lookup calls (via `copydesk get`), for SECONDS.
# Uses the article pages of ../shared/data when present, else small generated pages; sends an
# empty event now and then (a dead letter) and re-sends pages (re-deliveries).
# Usage: traffic.sh COPYDESK_BINARY SOURCE_DIR GRPC_ADDR SECONDS
set -uo pipefail
BIN=$1 SRC=$2 GRPC=$3 SECS=$4
DATA="$SRC/../shared/data"
WORK=$(mktemp -d /tmp/copydesk-traffic.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

files=()
if [[ -d $DATA/article-extraction-benchmark/html ]]; then
  mapfile -t files < <(ls "$DATA"/article-extraction-benchmark/html/*.html | head -n 40)
  [[ -f $DATA/seed/bbc-2001-11-15-no-bush-putin-missile-agreement.txt ]] &&
    files+=("$DATA/seed/bbc-2001-11-15-no-bush-putin-missile-agreement.txt")
else
  echo "traffic: $DATA absent, generating pages"
  for i in $(seq 1 20); do
    {
      echo "<html><head><title>Council approves budget plan $i</title></head><body><article>"
      echo "<h1>Council approves budget plan $i</h1><p class=byline>By A. Reporter</p>"
      for p in 1 2 3 4 5; do
        echo "<p>The city council voted on Tuesday to approve spending plan number $i, paragraph $p,"
        echo "after a long debate about schools, roads and the harbour that lasted well into the night.</p>"
      done
      echo "</article></body></html>"
    } >"$WORK/page-$i.html"
    files+=("$WORK/page-$i.html")
  done
fi
: >"$WORK/empty.html"
providers=(wire-a wire-b outlet-c)
end=$((SECONDS + SECS))
n=0
sent=0
while ((SECONDS < end)); do
  f=${files[$((n % ${#files[@]}))]}
  p=${providers[$((n % ${#providers[@]}))]}
  url="https://example.test/$p/story-$((n % ${#files[@]}))"
  if "$BIN" produce --provider "$p" --url "$url" "$f" >/dev/null 2>>"$WORK/produce.err"; then
    sent=$((sent + 1))
  fi
  if ((n % 7 == 0)); then
    "$BIN" produce --provider "$p" --content-type text/html "$WORK/empty.html" >/dev/null 2>&1 || true
  fi
  # Lookup: the story just sent (by URL; NotFound until it is applied) and an unknown id.
  "$BIN" get "$url" --grpc "$GRPC" --timeout 2 >/dev/null 2>&1 || true
  "$BIN" get "no-such-story-$n" --grpc "$GRPC" --timeout 2 >/dev/null 2>&1 || true
  n=$((n + 1))
  sleep 0.2
done
echo "traffic: $n rounds, $sent events produced"
tail -n 5 "$WORK/produce.err" 2>/dev/null || true
