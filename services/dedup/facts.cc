#include "dedup/facts.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdlib>

#include "normalize/fingerprint.h"

namespace copydesk::dedup::internal {

std::vector<uint16_t> Signature16(const v1::Article& a) {
  std::vector<uint16_t> sig;
  const auto& mh = a.fingerprints().minhash();
  if (mh.size() != kSignatureSize) return sig;
  sig.reserve(mh.size());
  for (uint32_t v : mh) sig.push_back(static_cast<uint16_t>(v ^ (v >> 16)));
  return sig;
}

uint64_t ProviderHash(const v1::Article& a) {
  const std::string& p = a.provenance().provider();
  return XXH3_64bits(p.data(), p.size());
}

int64_t TimestampMs(const google::protobuf::Timestamp& t) {
  return t.seconds() * 1000 + t.nanos() / 1000000;
}

bool IsCancel(const v1::Article& a) {
  return a.pubstatus() == v1::PUB_STATUS_CANCELED || a.signals().kill();
}

std::optional<int64_t> ProviderVersion(const v1::Article& a) {
  const std::string& s = a.provenance().provider_version();
  if (s.empty() || s.size() > 18) return std::nullopt;
  for (char c : s)
    if (c < '0' || c > '9') return std::nullopt;
  return std::strtoll(s.c_str(), nullptr, 10);
}

int CompareOrder(const IdentityRecord& incoming, const IdentityRecord& last) {
  if (incoming.has_provider_version && last.has_provider_version &&
      incoming.provider_version != last.provider_version)
    return incoming.provider_version < last.provider_version ? -1 : 1;
  if (incoming.versioncreated_ms != 0 && last.versioncreated_ms != 0 &&
      incoming.versioncreated_ms != last.versioncreated_ms)
    return incoming.versioncreated_ms < last.versioncreated_ms ? -1 : 1;
  return 0;
}

v1::ChangeSummary Summarize(const Config& cfg, const StoryRecord& prev, const v1::Article& a,
                            const std::vector<uint16_t>& sig, const std::vector<uint32_t>& paras,
                            const std::vector<FieldHash>* fields) {
  v1::ChangeSummary c;
  const auto& fp = a.fingerprints();
  const bool body_changed = fp.body_hash() != prev.body_hash;
  c.set_headline_changed(fp.headline_hash() != prev.headline_hash);
  double sim = 1.0;
  if (body_changed)
    sim = !sig.empty() && !prev.signature.empty() ? EstimateJaccard(sig, prev.signature) : 0.0;
  c.set_body_similarity(sim);
  DiffParagraphs(prev.paragraphs, paras, c);
  if (fields != nullptr) {
    if (!prev.lineage.fields.empty()) {
      std::vector<FieldHash> before;
      before.reserve(prev.lineage.fields.size());
      for (const auto& f : prev.lineage.fields) before.push_back({f.field, f.hash});
      for (auto& name : ChangedFields(before, *fields)) c.add_fields_changed(std::move(name));
    } else {
      // A story record from before field hashes were kept: headline and body are all it knows.
      if (c.headline_changed()) c.add_fields_changed("headline");
      if (body_changed) c.add_fields_changed("body");
    }
  } else {
    c.clear_paragraph_edits();
  }
  if (!body_changed && c.headline_changed()) {
    c.set_change_class(v1::CHANGE_CLASS_HEADLINE_ONLY);
  } else if (sim >= cfg.minor_edit_similarity) {
    c.set_change_class(v1::CHANGE_CLASS_MINOR_EDIT);
  } else if (sim >= cfg.substantive_similarity) {
    c.set_change_class(v1::CHANGE_CLASS_SUBSTANTIVE_UPDATE);
  } else {
    c.set_change_class(v1::CHANGE_CLASS_REWRITE);
  }
  c.set_correction(a.signals().correction());
  return c;
}

}  // namespace copydesk::dedup::internal
