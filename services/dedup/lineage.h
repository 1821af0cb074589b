// Field lineage and change summaries: which content fields of a story changed from one version to
// the next, the body's paragraph edit script, and which version (provider, event) set each field.
// Pure functions of the articles; the worker keeps the per-field state in the story record
// (records.h) and the CLI diffs two versions with the same functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "copydesk/v1/article.pb.h"
#include "copydesk/v1/events.pb.h"

namespace copydesk::dedup {

// The edit script covers at most this many paragraphs of each version.
inline constexpr size_t kMaxParagraphs = 1000;

// A content field (its Article field number; "body" is field 18 and also covers body_text and
// word_count) and a hash of its value.
struct FieldHash {
  uint8_t field = 0;
  uint32_t hash = 0;
  bool operator==(const FieldHash&) const = default;
};

// The content fields that have a value, in field-number order, each with a hash of its value
// (strings and numbers as they are, messages serialized). Not content: uri, version, provenance,
// fingerprints, lineage.
std::vector<FieldHash> ContentFieldHashes(const v1::Article& a);

// The name of a content field ("headline", "body", ...); "" for a number that is not one.
std::string_view ContentFieldName(uint8_t field);

// Names of the fields whose hash differs between `prev` and `now`, or that only one has, in
// field-number order.
std::vector<std::string> ChangedFields(const std::vector<FieldHash>& prev, const std::vector<FieldHash>& now);

// The body's paragraphs: every `body` block's text, else `body_text` split at blank lines (blank
// pieces left out). At most kMaxParagraphs + 1 (the extra one tells that there were more).
std::vector<std::string_view> Paragraphs(const v1::Article& a);

// A hash per paragraph of Paragraphs(a) (whitespace runs collapsed, trimmed), at most
// kMaxParagraphs.
std::vector<uint32_t> ParagraphHashes(const v1::Article& a);

// The edit script from paragraph hashes `prev` to `now`: the longest common subsequence stays,
// and in each run between two kept paragraphs the removed and added ones pair up in order as
// EDITED, the rest REMOVED or ADDED. Sets `paragraph_edits` (without texts) and the counts
// paragraphs_added/removed/edited. Deterministic; linear in the common prefix and suffix,
// quadratic only in the changed middle (past kMaxDiffCells the middle is one run).
void DiffParagraphs(const std::vector<uint32_t>& prev, const std::vector<uint32_t>& now,
                    v1::ChangeSummary& c);
inline constexpr size_t kMaxDiffCells = 1u << 20;

// Fills `text` of every ADDED and EDITED edit from `now`'s paragraphs; when together they would
// pass `max_bytes`, fills none and sets `paragraph_texts_in_article` (the event carries `now`,
// and an event twice the article's size could pass the output topics' limit).
inline constexpr size_t kMaxEditTextBytes = 1 << 20;
void FillParagraphTexts(const v1::Article& now, v1::ChangeSummary& c, size_t max_bytes = kMaxEditTextBytes);

// Applies `c.paragraph_edits` to `prev` paragraphs; an error names an edit that does not fit.
// `now` (the new version) is needed only when `c.paragraph_texts_in_article`.
Result<std::vector<std::string>> ApplyParagraphEdits(const std::vector<std::string>& prev,
                                                     const v1::ChangeSummary& c,
                                                     const v1::Article* now = nullptr);

// A story's field lineage as the worker keeps it: per content field, its hash and the version
// that set it; per version still referenced, where it came from.
struct FieldVersion {
  uint8_t field = 0;
  uint32_t hash = 0;
  uint32_t version = 0;
};
struct StoryLineage {
  std::vector<FieldVersion> fields;        // field-number order
  std::vector<v1::LineageSource> sources;  // version order
};

// Longest provider, provider_version and event id a source keeps (bytes, cut at a character).
inline constexpr size_t kMaxSourceString = 512;

// The lineage after `version` (content `now`, made by `source`): a field whose hash is unchanged
// keeps the version that set it, every other field gets `version`; sources no field refers to
// any more are dropped (the current version's always stays).
void AdvanceLineage(StoryLineage& lineage, const std::vector<FieldHash>& now, uint32_t version,
                    v1::LineageSource source);

// The Article's view of a lineage: field names and the source table.
v1::Lineage LineageMessage(const StoryLineage& lineage);

}  // namespace copydesk::dedup
