#include "dedup/lineage.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "dedup/dedup.h"
#include "dedup/records.h"
#include "dedup/tests/test_util.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

v1::Article WithBody(const std::vector<std::string>& paras, const std::string& headline = "H") {
  v1::Article a = testing::Make("P", "g1", paras);
  a.set_headline(headline);
  normalize::ComputeFingerprints(a);
  return a;
}

// The summary of prev -> now with texts, as the worker publishes it.
v1::ChangeSummary Script(const std::vector<std::string>& prev, const std::vector<std::string>& now) {
  v1::ChangeSummary c;
  const v1::Article after = WithBody(now);
  DiffParagraphs(ParagraphHashes(WithBody(prev)), ParagraphHashes(after), c);
  FillParagraphTexts(after, c);
  return c;
}

std::vector<std::string> Apply(const std::vector<std::string>& prev, const v1::ChangeSummary& c) {
  auto r = ApplyParagraphEdits(prev, c);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().reason);
  return r.ok() ? r.value() : std::vector<std::string>{};
}

TEST(ParagraphEdits, OneEditInTheMiddleIsOneEditedParagraphAtItsPositions) {
  const std::vector<std::string> prev = {"a", "b", "c", "d"};
  const std::vector<std::string> now = {"a", "b2", "c", "d"};
  const auto c = Script(prev, now);
  ASSERT_EQ(c.paragraph_edits_size(), 1);
  EXPECT_EQ(c.paragraph_edits(0).op(), v1::PARAGRAPH_EDIT_OP_EDITED);
  EXPECT_EQ(c.paragraph_edits(0).previous_index(), 1u);
  EXPECT_EQ(c.paragraph_edits(0).index(), 1u);
  EXPECT_EQ(c.paragraph_edits(0).text(), "b2");
  EXPECT_EQ(c.paragraphs_edited(), 1u);
  EXPECT_EQ(c.paragraphs_added() + c.paragraphs_removed(), 0u);
  EXPECT_EQ(Apply(prev, c), now);
}

TEST(ParagraphEdits, AddedAtTheEndRemovedAtTheStart) {
  const std::vector<std::string> prev = {"a", "b", "c"};
  const std::vector<std::string> now = {"b", "c", "d"};
  const auto c = Script(prev, now);
  ASSERT_EQ(c.paragraph_edits_size(), 2);
  EXPECT_EQ(c.paragraph_edits(0).op(), v1::PARAGRAPH_EDIT_OP_REMOVED);
  EXPECT_EQ(c.paragraph_edits(0).previous_index(), 0u);
  EXPECT_TRUE(c.paragraph_edits(0).text().empty());
  EXPECT_EQ(c.paragraph_edits(1).op(), v1::PARAGRAPH_EDIT_OP_ADDED);
  EXPECT_EQ(c.paragraph_edits(1).previous_index(), 3u);
  EXPECT_EQ(c.paragraph_edits(1).index(), 2u);
  EXPECT_EQ(c.paragraphs_added(), 1u);
  EXPECT_EQ(c.paragraphs_removed(), 1u);
  EXPECT_EQ(Apply(prev, c), now);
}

TEST(ParagraphEdits, IdenticalBodiesHaveNoEdits) {
  const std::vector<std::string> body = {"a", "b"};
  EXPECT_EQ(Script(body, body).paragraph_edits_size(), 0);
  EXPECT_EQ(Script({}, {}).paragraph_edits_size(), 0);
  EXPECT_EQ(Apply({}, Script({}, {"x", "y"})), (std::vector<std::string>{"x", "y"}));
  EXPECT_TRUE(Apply({"x", "y"}, Script({"x", "y"}, {})).empty());
}

// Random edit sequences: inserts, deletes, edits, moves and duplicates of paragraphs; the script
// applied to the previous body always gives the new one, and the counts match the script.
TEST(ParagraphEdits, ScriptReproducesTheNewBodyUnderRandomEdits) {
  std::mt19937 rng(7);
  for (int round = 0; round < 400; ++round) {
    std::vector<std::string> prev;
    const int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) prev.push_back("p" + std::to_string(rng() % 20));  // repeats happen
    std::vector<std::string> now = prev;
    const int edits = static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const size_t at = now.empty() ? 0 : rng() % (now.size() + 1);
      switch (rng() % 4) {
        case 0:
          now.insert(now.begin() + static_cast<std::ptrdiff_t>(at), "new" + std::to_string(rng() % 5));
          break;
        case 1:
          if (at < now.size()) now.erase(now.begin() + static_cast<std::ptrdiff_t>(at));
          break;
        case 2:
          if (at < now.size()) now[at] += " edited";
          break;
        default:
          if (at < now.size()) {
            std::string moved = now[at];
            now.erase(now.begin() + static_cast<std::ptrdiff_t>(at));
            now.insert(now.begin() + static_cast<std::ptrdiff_t>(rng() % (now.size() + 1)), moved);
          }
      }
    }
    const auto c = Script(prev, now);
    ASSERT_EQ(Apply(prev, c), now) << "round " << round;
    uint32_t added = 0, removed = 0, edited = 0;
    for (const auto& e : c.paragraph_edits()) {
      added += e.op() == v1::PARAGRAPH_EDIT_OP_ADDED;
      removed += e.op() == v1::PARAGRAPH_EDIT_OP_REMOVED;
      edited += e.op() == v1::PARAGRAPH_EDIT_OP_EDITED;
    }
    EXPECT_EQ(c.paragraphs_added(), added);
    EXPECT_EQ(c.paragraphs_removed(), removed);
    EXPECT_EQ(c.paragraphs_edited(), edited);
    // Never more steps than rewriting everything; the same input gives the same script.
    EXPECT_LE(static_cast<size_t>(c.paragraph_edits_size()), std::max(prev.size(), now.size()));
    EXPECT_EQ(Script(prev, now).SerializeAsString(), c.SerializeAsString());
  }
}

TEST(ParagraphEdits, TextsPastTheBudgetStayInTheArticle) {
  const std::vector<std::string> prev = {"a", "b", "c"};
  const std::vector<std::string> now = {"a", std::string(300, 'x'), "c", std::string(300, 'y')};
  const v1::Article after = WithBody(now);
  v1::ChangeSummary c;
  DiffParagraphs(ParagraphHashes(WithBody(prev)), ParagraphHashes(after), c);
  FillParagraphTexts(after, c, /*max_bytes=*/500);
  EXPECT_TRUE(c.paragraph_texts_in_article());
  for (const auto& e : c.paragraph_edits()) EXPECT_TRUE(e.text().empty());
  EXPECT_FALSE(ApplyParagraphEdits(prev, c).ok());  // needs the article
  auto r = ApplyParagraphEdits(prev, c, &after);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), now);
  v1::ChangeSummary within;
  DiffParagraphs(ParagraphHashes(WithBody(prev)), ParagraphHashes(after), within);
  FillParagraphTexts(after, within, /*max_bytes=*/600);
  EXPECT_FALSE(within.paragraph_texts_in_article());
  EXPECT_EQ(Apply(prev, within), now);
}

TEST(ParagraphEdits, AScriptThatDoesNotFitIsRejected) {
  v1::ChangeSummary c;
  auto* e = c.add_paragraph_edits();
  e->set_op(v1::PARAGRAPH_EDIT_OP_REMOVED);
  e->set_previous_index(5);
  EXPECT_FALSE(ApplyParagraphEdits({"a", "b"}, c).ok());
  e->set_previous_index(1);
  auto* back = c.add_paragraph_edits();
  back->set_op(v1::PARAGRAPH_EDIT_OP_REMOVED);
  back->set_previous_index(0);  // out of order
  EXPECT_FALSE(ApplyParagraphEdits({"a", "b"}, c).ok());
}

TEST(ParagraphEdits, ABodyPastTheLimitIsMarkedPartial) {
  std::vector<std::string> big;
  for (size_t i = 0; i < kMaxParagraphs + 5; ++i) big.push_back("p" + std::to_string(i));
  EXPECT_EQ(ParagraphHashes(WithBody(big)).size(), kMaxParagraphs);
  auto now = big;
  now[3] = "changed";
  EXPECT_TRUE(Script(big, now).paragraph_edits_partial());
  EXPECT_FALSE(Script({"a"}, {"b"}).paragraph_edits_partial());
}

TEST(ChangedFields, NamesTheContentFieldsThatDiffer) {
  v1::Article a = WithBody({"one", "two"});
  a.set_slugline("slug");
  v1::Article b = a;
  EXPECT_TRUE(ChangedFields(ContentFieldHashes(a), ContentFieldHashes(b)).empty());
  b.set_headline("Another headline");
  b.add_subjects()->set_name("Economy");
  b.clear_slugline();
  b.mutable_provenance()->set_event_id("other event");  // not content
  b.set_version(9);                                     // not content
  EXPECT_EQ(ChangedFields(ContentFieldHashes(a), ContentFieldHashes(b)),
            (std::vector<std::string>{"headline", "subjects", "slugline"}));
  // body_text and word_count are the body.
  v1::Article c = a;
  c.set_body_text("one\n\ntwo changed");
  EXPECT_EQ(ChangedFields(ContentFieldHashes(a), ContentFieldHashes(c)), (std::vector<std::string>{"body"}));
  c = a;
  c.set_word_count(99);
  EXPECT_EQ(ChangedFields(ContentFieldHashes(a), ContentFieldHashes(c)), (std::vector<std::string>{"body"}));
  EXPECT_EQ(ContentFieldName(v1::Article::kProvenanceFieldNumber), "");
  EXPECT_EQ(ContentFieldName(v1::Article::kBodyTextFieldNumber), "");
}

TEST(Lineage, EachFieldKeepsTheVersionThatSetItsValue) {
  StoryLineage l;
  auto source = [](const std::string& provider, const std::string& pv, const std::string& ev) {
    v1::LineageSource s;
    s.set_provider(provider);
    s.set_provider_version(pv);
    s.set_event_id(ev);
    return s;
  };
  v1::Article a = WithBody({"one"}, "First");
  AdvanceLineage(l, ContentFieldHashes(a), 1, source("P", "1", "e1"));
  v1::Article b = a;
  b.set_headline("Second");
  AdvanceLineage(l, ContentFieldHashes(b), 2, source("Q", "2", "e2"));
  v1::Lineage m = LineageMessage(l);
  auto version_of = [&](const std::string& field) {
    for (const auto& f : m.fields())
      if (f.field() == field) return f.version();
    return 0u;
  };
  EXPECT_EQ(version_of("headline"), 2u);
  EXPECT_EQ(version_of("body"), 1u);
  ASSERT_EQ(m.sources_size(), 2);
  EXPECT_EQ(m.sources(0).event_id(), "e1");
  EXPECT_EQ(m.sources(1).provider(), "Q");
  EXPECT_EQ(m.sources(1).provider_version(), "2");
  // Version 3 sets the body too: nothing refers to version 1 any more, its source goes.
  v1::Article c = WithBody({"one", "more"}, "Second");
  AdvanceLineage(l, ContentFieldHashes(c), 3, source("P", "3", "e3"));
  m = LineageMessage(l);
  EXPECT_EQ(version_of("headline"), 2u);
  EXPECT_EQ(version_of("body"), 3u);
  ASSERT_EQ(m.sources_size(), 2);
  EXPECT_EQ(m.sources(0).version(), 2u);
  EXPECT_EQ(m.sources(1).version(), 3u);
}

TEST(Lineage, StoryRecordsKeepItAndOlderRecordsReadWithout) {
  internal::StoryRecord s;
  s.version = 3;
  s.created_ms = 5;
  s.lineage.fields = {{8, 0xABCD, 2}, {18, 0x1234, 3}};
  v1::LineageSource src;
  src.set_version(3);
  src.set_provider("P");
  src.set_event_id(std::string(2000, 'e'));  // kept up to kMaxSourceString
  s.lineage.sources.push_back(src);
  const std::string enc = internal::EncodeStory(s);
  auto back = internal::DecodeStory(enc);
  ASSERT_TRUE(back.has_value());
  ASSERT_EQ(back->lineage.fields.size(), 2u);
  EXPECT_EQ(back->lineage.fields[1].hash, 0x1234u);
  EXPECT_EQ(back->lineage.fields[0].version, 2u);
  ASSERT_EQ(back->lineage.sources.size(), 1u);
  EXPECT_EQ(back->lineage.sources[0].event_id().size(), kMaxSourceString);
  // Without lineage the record ends after created_ms, as records written before it existed.
  internal::StoryRecord old = s;
  old.lineage = {};
  const std::string enc_old = internal::EncodeStory(old);
  EXPECT_EQ(enc_old, enc.substr(0, enc_old.size()));
  auto read_old = internal::DecodeStory(enc_old);
  ASSERT_TRUE(read_old.has_value());
  EXPECT_TRUE(read_old->lineage.fields.empty());
  EXPECT_EQ(read_old->created_ms, 5);
  // A truncated lineage is not read as a shorter one.
  EXPECT_FALSE(internal::DecodeStory(enc.substr(0, enc.size() - 3)).has_value());
}

// Through the deduper: a new story has a lineage, an update names its changed fields and
// paragraph edits, and reprocessing the same input (the decision log) gives the same of both.
TEST(Lineage, DecisionsCarryItAndTheDecisionLogReplaysIt) {
  MemoryStateStore store;
  Deduper d(Config{}, store);
  const std::vector<std::string> body = {
      "First paragraph of the story with enough words to fingerprint it well.",
      "Second paragraph about something else entirely, also long enough.",
      "Third paragraph closes the story with a quote from someone."};
  EventContext c1{0, 1, 1'700'000'000'000, "ev-1"};
  auto v1 = d.Process(WithBody(body, "First headline"), c1);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->decision, v1::DECISION_NEW);
  ASSERT_GT(v1->lineage.fields_size(), 0);
  for (const auto& f : v1->lineage.fields()) EXPECT_EQ(f.version(), 1u) << f.field();
  ASSERT_EQ(v1->lineage.sources_size(), 1);
  EXPECT_EQ(v1->lineage.sources(0).event_id(), "ev-1");

  auto body2 = body;
  body2[1] = "Second paragraph, rewritten by the desk with a new figure: 42 percent.";
  body2.push_back("A fourth paragraph added in the update.");
  v1::Article a2 = WithBody(body2, "First headline");
  a2.mutable_provenance()->set_provider_version("2");
  EventContext c2{0, 2, 1'700'000'001'000, "ev-2"};
  auto v2 = d.Process(a2, c2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->decision, v1::DECISION_UPDATE);
  EXPECT_EQ(std::vector<std::string>(v2->change.fields_changed().begin(), v2->change.fields_changed().end()),
            (std::vector<std::string>{"body"}));
  v1::ChangeSummary with_text = v2->change;
  FillParagraphTexts(a2, with_text);
  EXPECT_EQ(Apply(body, with_text), body2);
  for (const auto& f : v2->lineage.fields())
    EXPECT_EQ(f.version(), f.field() == "body" ? 2u : 1u) << f.field();
  ASSERT_EQ(v2->lineage.sources_size(), 2);
  EXPECT_EQ(v2->lineage.sources(1).provider_version(), "2");

  MutationBatch batch;
  auto again = d.Decide(a2, c2, &batch);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->change.SerializeAsString(), v2->change.SerializeAsString());
  EXPECT_EQ(again->lineage.SerializeAsString(), v2->lineage.SerializeAsString());

  // With lineage off only the counts remain.
  MemoryStateStore store2;
  Config off;
  off.lineage = false;
  Deduper d2(off, store2);
  ASSERT_TRUE(d2.Process(WithBody(body, "First headline"), c1).ok());
  auto plain = d2.Process(a2, c2);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->lineage.fields_size(), 0);
  EXPECT_EQ(plain->change.paragraph_edits_size(), 0);
  EXPECT_EQ(plain->change.paragraphs_edited(), v2->change.paragraphs_edited());
}

}  // namespace
}  // namespace copydesk::dedup
