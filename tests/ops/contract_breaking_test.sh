#!/usr/bin/env bash
# The contract check can fail: `buf breaking` against proto/snapshot passes on the tree as it is,
# and fails on a copy of proto/ with an incompatible change (a field renumbered, a field
# removed, an RPC removed), while a compatible one (a new field) passes.
# Usage: contract_breaking_test.sh SOURCE_DIR
set -euo pipefail
SRC=$(cd "${1:?usage: $0 SOURCE_DIR}" && pwd)
BUF="$SRC/.tools/node_modules/.bin/buf"
[[ -x $BUF ]] || { echo "SKIP: buf not installed (scripts/setup)"; exit 77; }
WORK=$(mktemp -d /tmp/copydesk-contract.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
against="$SRC/proto/snapshot/copydesk-v1.binpb.gz"
(cd "$SRC/proto" && "$BUF" breaking --against "$against") || { echo "FAIL: the tree breaks the snapshot"; exit 1; }
echo "ok    the tree is compatible with proto/snapshot"
try() {  # name expected(pass|fail) perl-substitution file
  rm -rf "$WORK/proto" && cp -r "$SRC/proto" "$WORK/proto"
  perl -0pi -e "$3" "$WORK/proto/copydesk/v1/$4"
  if cmp -s "$SRC/proto/copydesk/v1/$4" "$WORK/proto/copydesk/v1/$4"; then echo "FAIL: $1: the edit did not apply"; exit 1; fi
  if (cd "$WORK/proto" && "$BUF" breaking --against "$against" >"$WORK/out" 2>&1); then got=pass; else got=fail; fi
  [[ $got == "$2" ]] || { echo "FAIL: $1: buf breaking said $got, expected $2"; cat "$WORK/out"; exit 1; }
  echo "ok    $1: $got $(head -n1 "$WORK/out")"
}
try "field renumbered" fail 's/(string headline = )(\d+);/${1}999;/' article.proto
try "field removed" fail 's/\n[^\n]*string headline = \d+;[^\n]*//' article.proto
try "RPC removed" fail 's/\n\s*rpc GetArticleByUrl\([^\n]*//' lookup.proto
try "field added" pass 's/(message Article \{)/${1}\n  string contract_test_field = 9999;/' article.proto
echo "PASS: buf breaking guards the contract"
