#include "dedup/dedup.h"

#include <gtest/gtest.h>

namespace copydesk::dedup {
namespace {

v1::Article Make(const std::string& guid, uint64_t hash) {
  v1::Article a;
  a.mutable_provenance()->set_provider("P");
  a.mutable_provenance()->set_guid(guid);
  a.mutable_fingerprints()->set_content_hash(hash);
  return a;
}

TEST(Deduper, NewThenRedeliveryThenUpdate) {
  MemoryStateStore store;
  Deduper d(store);
  auto first = d.Decide(Make("g1", 1), {});
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  EXPECT_EQ(first.version, 1u);
  auto again = d.Decide(Make("g1", 1), {});
  EXPECT_EQ(again.decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again.story_id, first.story_id);
  auto upd = d.Decide(Make("g1", 2), {});
  EXPECT_EQ(upd.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(upd.version, 2u);
  EXPECT_EQ(upd.previous_version, 1u);
  EXPECT_EQ(upd.story_id, first.story_id);
  auto other = d.Decide(Make("g2", 1), {});
  EXPECT_EQ(other.decision, v1::DECISION_NEW);
  EXPECT_NE(other.story_id, first.story_id);
}

}  // namespace
}  // namespace copydesk::dedup
