#include "dedup/index_format.h"

#include <gtest/gtest.h>

#include <string>

#include "dedup/dedup.h"
#include "dedup/records.h"
#include "dedup/state_store.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

using namespace std::string_literals;

// The bytes a progress marker has on the index topic, written out by hand: "w/" + partition
// (4 bytes big-endian); the progress (8 bytes big-endian) followed by the sender's tag.
TEST(IndexFormat, ProgressMarkerBytes) {
  EXPECT_EQ(ProgressKey(7), "w/\x00\x00\x00\x07"s);
  EXPECT_EQ(ProgressKey(0x01020304), "w/\x01\x02\x03\x04"s);
  EXPECT_EQ(EncodeProgressValue(0x0102030405060708, "host#1#2"), "\x01\x02\x03\x04\x05\x06\x07\x08host#1#2"s);
  // Negative progress (no clock yet) is the two's complement, as the worker has always sent it.
  EXPECT_EQ(EncodeProgressValue(-1, ""), "\xff\xff\xff\xff\xff\xff\xff\xff"s);
}

TEST(IndexFormat, ProgressMarkerRoundTripAndRejects) {
  const int64_t t = 1'700'000'123'456;
  auto m = DecodeProgressMarker(ProgressKey(11), EncodeProgressValue(t, "w-1#99#3"));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->partition, 11);
  EXPECT_EQ(m->progress_ms, t);
  EXPECT_EQ(m->tag, "w-1#99#3");
  auto negative = DecodeProgressMarker(ProgressKey(0), EncodeProgressValue(INT64_MIN, ""));
  ASSERT_TRUE(negative.has_value());
  EXPECT_EQ(negative->progress_ms, INT64_MIN);
  EXPECT_EQ(negative->tag, "");
  // A value shorter than the progress, a key of another size or prefix: not a marker.
  EXPECT_FALSE(DecodeProgressMarker(ProgressKey(1), "\x00\x01\x02"s).has_value());
  EXPECT_FALSE(DecodeProgressMarker("w/\x00\x00\x00"s, EncodeProgressValue(t, "")).has_value());
  EXPECT_FALSE(DecodeProgressMarker("w/\x00\x00\x00\x01\x00"s, EncodeProgressValue(t, "")).has_value());
  EXPECT_FALSE(DecodeProgressMarker("x/\x00\x00\x00\x01"s, EncodeProgressValue(t, "")).has_value());
}

TEST(IndexFormat, RecordKinds) {
  EXPECT_EQ(IndexRecordKindOf(ProgressKey(3)), IndexRecordKind::kProgress);
  EXPECT_EQ(IndexRecordKindOf(internal::DocKey(42)), IndexRecordKind::kDocument);
  EXPECT_EQ(IndexRecordKindOf("w/abc"), IndexRecordKind::kOther);
  EXPECT_EQ(IndexRecordKindOf(""), IndexRecordKind::kOther);
  EXPECT_EQ(IndexRecordKindOf(internal::StoryKey("st_1")), IndexRecordKind::kOther);
  EXPECT_TRUE(IsSharedIndexKey(internal::DocKey(42)));
  EXPECT_FALSE(IsSharedIndexKey(ProgressKey(3)));
}

TEST(IndexFormat, IndexPartitionOfAnInputPartition) {
  EXPECT_EQ(IndexPartitionFor(0, 4), 0);
  EXPECT_EQ(IndexPartitionFor(5, 4), 1);
  EXPECT_EQ(IndexPartitionFor(11, 12), 11);
  EXPECT_EQ(IndexPartitionFor(5, 0), -1);
}

// The documents a decision publishes name their partition, read without decoding the rest.
TEST(IndexFormat, DocumentsADecisionPublishesNameTheirPartition) {
  MemoryStateStore store;
  Deduper d(Config{}, store);
  v1::Article a;
  a.mutable_provenance()->set_provider("AP");
  a.mutable_provenance()->set_guid("g1");
  a.set_headline("Headline");
  a.set_body_text("one two three four five six seven eight nine ten eleven twelve");
  normalize::ComputeFingerprints(a);
  MutationBatch batch;
  ASSERT_TRUE(d.Decide(a, EventContext{9, 4, 1'700'000'000'000, ""}, &batch).ok());
  int documents = 0;
  for (const auto& m : batch.mutations()) {
    if (IndexRecordKindOf(m.key) != IndexRecordKind::kDocument) continue;
    ++documents;
    ASSERT_TRUE(m.value.has_value());
    EXPECT_EQ(DocumentPartition(*m.value), std::optional<int32_t>(9));
  }
  EXPECT_EQ(documents, 1);
  EXPECT_EQ(DocumentPartition("not a document"), std::nullopt);
  EXPECT_EQ(DocumentPartition(""), std::nullopt);
}

// Band entry keys and the decision log key as the state layout (README.md) describes them.
TEST(IndexFormat, StateKeysOutsideDedupSee) {
  char key[kBandEntryKeySize];
  WriteBandEntryKey(key, 3, 0x1122334455667788, 0, 0x0a0b0c0d0e0f1011);
  const std::string k(key, kBandEntryKeySize);
  EXPECT_EQ(k.substr(0, kBandBucketPrefixSize), "b/\x03\x11\x22\x33\x44\x55\x66\x77\x88"s);
  EXPECT_EQ(k, internal::BandEntryKey(3, 0x1122334455667788, 0, 0x0a0b0c0d0e0f1011));
  // Newer entries sort first in a bucket.
  char newer[kBandEntryKeySize];
  WriteBandEntryKey(newer, 3, 0x1122334455667788, 1000, 1);
  EXPECT_LT(std::string(newer, kBandEntryKeySize), k);
  EXPECT_EQ(DecisionLogKey(2, 0x0102030405060708), "o/\x00\x00\x00\x02\x01\x02\x03\x04\x05\x06\x07\x08"s);
  EXPECT_EQ(kStateLayout, "s4:");
  EXPECT_EQ(kBandsPerDocument, internal::kBands);
}

}  // namespace
}  // namespace copydesk::dedup
