#!/usr/bin/env bash
# `copydesk schema` prints the contract's descriptor set, as protoc built it: byte-identical to
# build/copydesk-v1.binpb, with every proto/copydesk/v1 file and its imports, and usable by an
# independent decoder (protoc --decode with --descriptor_set_in) on bytes a python client built
# from the same set.
# Usage: schema_test.sh COPYDESK_BINARY BUILD_DIR SOURCE_DIR
set -euo pipefail
BIN=$1 BUILD=$2 SRC=$3
WORK=$(mktemp -d /tmp/copydesk-schema.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
"$BIN" schema >"$WORK/set.binpb"
cmp "$WORK/set.binpb" "$BUILD/copydesk-v1.binpb" || { echo "FAIL: copydesk schema differs from the protoc build"; exit 1; }
"$BIN" schema --output "$WORK/set2.binpb"
cmp "$WORK/set.binpb" "$WORK/set2.binpb"
"$BIN" schema --list >"$WORK/list"
for want in "copydesk/v1/article.proto" "message copydesk.v1.Article" "message copydesk.v1.IngestOutcome" \
  "service copydesk.v1.Lookup" "google/protobuf/timestamp.proto"; do
  grep -qF "$want" "$WORK/list" || { echo "FAIL: schema --list lacks $want"; exit 1; }
done
for f in "$SRC"/proto/copydesk/v1/*.proto; do
  grep -qF "copydesk/v1/$(basename "$f")" "$WORK/list" || { echo "FAIL: $(basename "$f") missing"; exit 1; }
done
/usr/bin/python3 - "$WORK/set.binpb" "$WORK/article.bin" <<'PY'
import sys
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
fds = descriptor_pb2.FileDescriptorSet.FromString(open(sys.argv[1], "rb").read())
pool = descriptor_pool.DescriptorPool()
for f in fds.file:
    pool.Add(f)
desc = pool.FindMessageTypeByName("copydesk.v1.Article")
try:
    Article = message_factory.GetMessageClass(desc)
except AttributeError:  # older protobuf
    Article = message_factory.MessageFactory(pool).GetPrototype(desc)
a = Article(headline="Harbour ferry line opens", uri="story-1")
open(sys.argv[2], "wb").write(a.SerializeToString())
PY
protoc --decode copydesk.v1.Article --descriptor_set_in="$WORK/set.binpb" <"$WORK/article.bin" >"$WORK/decoded"
grep -q 'headline: "Harbour ferry line opens"' "$WORK/decoded" || { echo "FAIL: protoc could not decode"; cat "$WORK/decoded"; exit 1; }
echo "PASS: copydesk schema"
