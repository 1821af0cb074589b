// Story identity of the wire formats as dedup decides it: takes re-sent, write-throughs, leads,
// revisions, kills and late arrivals of ANPA 1312, IPTC 7901 and NewsML 1.2 fixtures
// (tests/fixtures/formats), normalized and fed to the real Deduper on an in-memory store.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <string>

#include "dedup/dedup.h"
#include "dedup/state_store.h"
#include "normalize/normalize.h"

namespace copydesk {
namespace {

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(COPYDESK_SOURCE_DIR) + "/tests/fixtures/formats/" + name, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// One partition's desk: normalizes each input and decides it, in arrival order.
class Desk {
 public:
  dedup::Decision Feed(const std::string& bytes, const std::string& content_type) {
    normalize::Metadata meta;
    meta.content_type = content_type;
    meta.event_time_ms = t_ms_;
    auto article = normalize::Normalize(bytes, meta);
    EXPECT_TRUE(article.ok()) << article.error().reason;
    if (!article.ok()) return {};
    dedup::EventContext ctx;
    ctx.offset = offset_++;
    ctx.timestamp_ms = t_ms_;
    t_ms_ += 60'000;
    auto d = dedup_.Process(article.value(), ctx);
    EXPECT_TRUE(d.ok());
    return d.ok() ? d.value() : dedup::Decision{};
  }

 private:
  dedup::MemoryStateStore store_{dedup::kDedupScannedPrefixes};
  dedup::Deduper dedup_{dedup::Config{}, store_};
  int64_t offset_ = 0;
  int64_t t_ms_ = 1'738'014'120'000;  // 2025-01-27T21:42:00Z
};

constexpr const char* kAnpa = "application/vnd.anpa1312";
constexpr const char* k7901 = "text/vnd.iptc.7901";
constexpr const char* kNewsMl = "application/vnd.iptc.newsml+xml";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(WireFormatsDedup, AnpaResendWriteThroughAddLateArrivalAndKill) {
  Desk desk;
  const std::string original = Fixture("anpa1312-ice-storm.anpa");
  auto first = desk.Feed(original, kAnpa);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  EXPECT_EQ(first.version, 1u);
  // Re-sent with a new story number and a later transmission time: the same story, nothing new.
  const std::string resent = Replace(Replace(original, "a0412", "a0777"), "1642EST", "1702EST");
  auto again = desk.Feed(resent, kAnpa);
  EXPECT_EQ(again.decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(again.story_id, first.story_id);
  // The first write-through: an update of the same story.
  auto wt = desk.Feed(Fixture("anpa1312-ice-storm-writethru.anpa"), kAnpa);
  EXPECT_EQ(wt.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(wt.kind, v1::EVENT_KIND_UPDATED);
  EXPECT_EQ(wt.story_id, first.story_id);
  EXPECT_EQ(wt.version, 2u);
  // The add is a part of its own: it never replaces the story's text.
  auto add = desk.Feed(Fixture("anpa1312-ice-storm-add.anpa"), kAnpa);
  EXPECT_EQ(add.decision, v1::DECISION_NEW);
  EXPECT_NE(add.story_id, first.story_id);
  // The original arriving once more after the write-through is older: stale.
  auto late = desk.Feed(original, kAnpa);
  EXPECT_EQ(late.decision, v1::DECISION_STALE);
  EXPECT_EQ(late.story_id, first.story_id);
  // The kill names no version; its transmission time orders it after the write-through.
  auto kill = desk.Feed(Fixture("anpa1312-ice-storm-kill.anpa"), kAnpa);
  EXPECT_EQ(kill.decision, v1::DECISION_CANCEL);
  EXPECT_EQ(kill.story_id, first.story_id);
  EXPECT_EQ(kill.version, 3u);
}

TEST(WireFormatsDedup, Iptc7901LeadAndResend) {
  Desk desk;
  const std::string original = Fixture("iptc7901-rail-strike.7901");
  auto first = desk.Feed(original, k7901);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  auto resent = desk.Feed(Replace(original, "eca0214", "eca0219"), k7901);
  EXPECT_EQ(resent.decision, v1::DECISION_REDELIVERY);
  auto lead = desk.Feed(Fixture("iptc7901-rail-strike-lead.7901"), k7901);
  EXPECT_EQ(lead.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(lead.story_id, first.story_id);
  EXPECT_EQ(lead.version, 2u);
  auto late = desk.Feed(original, k7901);
  EXPECT_EQ(late.decision, v1::DECISION_STALE);
  // The same keyword from another service is another identity; the same text makes it a
  // duplicate of the story, found by content.
  auto other = desk.Feed(Replace(original, "eca0214", "bkn0214"), k7901);
  EXPECT_EQ(other.decision, v1::DECISION_DUPLICATE);
  EXPECT_EQ(other.story_id, first.story_id);
}

TEST(WireFormatsDedup, NewsMl1RevisionsAndCorrection) {
  Desk desk;
  const std::string rev1 = Fixture("newsml12-bridge-reopens.newsml1.xml");
  const std::string rev2 = Fixture("newsml12-bridge-reopens-rev2.newsml1.xml");
  auto first = desk.Feed(rev1, kNewsMl);
  EXPECT_EQ(first.decision, v1::DECISION_NEW);
  auto second = desk.Feed(rev2, kNewsMl);
  EXPECT_EQ(second.decision, v1::DECISION_UPDATE);
  EXPECT_EQ(second.kind, v1::EVENT_KIND_CORRECTED);  // Instruction Rectify
  EXPECT_EQ(second.story_id, first.story_id);
  EXPECT_EQ(second.version, 2u);
  EXPECT_EQ(desk.Feed(rev2, kNewsMl).decision, v1::DECISION_REDELIVERY);
  EXPECT_EQ(desk.Feed(rev1, kNewsMl).decision, v1::DECISION_STALE);
}

}  // namespace
}  // namespace copydesk
