// What a decision reads from an Article (internal to services/dedup): its 16-bit signature,
// provider, version order, paragraphs, and what changed against a story's current version.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "copydesk/v1/article.pb.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/dedup.h"
#include "dedup/lineage.h"
#include "dedup/records.h"

namespace copydesk::dedup::internal {

// The article's MinHash folded to 16-bit values; empty without a full signature.
std::vector<uint16_t> Signature16(const v1::Article& a);
uint64_t ProviderHash(const v1::Article& a);
int64_t TimestampMs(const google::protobuf::Timestamp& t);
// pubstatus canceled or signals.kill.
bool IsCancel(const v1::Article& a);
// The provider's version as a number, when it is one ("3", "12"); nullopt otherwise.
std::optional<int64_t> ProviderVersion(const v1::Article& a);
// Positive when `incoming` orders after `last`, negative before, 0 when the provider's version
// and versioncreated do not tell (then arrival order decides: the later arrival is newer).
int CompareOrder(const IdentityRecord& incoming, const IdentityRecord& last);
// What changed from the story's current version `prev` to `a` (signature `sig`, paragraph
// hashes `paras`): headline, paragraphs added/removed/edited, body similarity and class; with
// `fields` (a's ContentFieldHashes; null when lineage is off) also the fields that changed and
// the paragraph edit script (without texts: the article has them, FillParagraphTexts).
v1::ChangeSummary Summarize(const Config& cfg, const StoryRecord& prev, const v1::Article& a,
                            const std::vector<uint16_t>& sig, const std::vector<uint32_t>& paras,
                            const std::vector<FieldHash>* fields);

}  // namespace copydesk::dedup::internal
