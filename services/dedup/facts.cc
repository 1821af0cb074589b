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

std::vector<uint32_t> ParagraphHashes(const v1::Article& a) {
  std::vector<uint32_t> out;
  // The paragraph's text hash (whitespace runs collapsed, trimmed), folded to 32 bits.
  auto add = [&](std::string_view text) {
    if (out.size() >= 256) return;
    if (text.find_first_not_of(" \t\n\v\f\r") == std::string_view::npos) return;
    const uint64_t h = normalize::TextHash(text);
    out.push_back(static_cast<uint32_t>(h ^ (h >> 32)));
  };
  if (a.body_size() > 0) {
    for (const auto& b : a.body()) add(b.text());
  } else {
    std::string_view t = a.body_text();
    size_t pos = 0;
    while (pos <= t.size()) {
      size_t end = t.find("\n\n", pos);
      if (end == std::string_view::npos) end = t.size();
      add(t.substr(pos, end - pos));
      pos = end + 2;
    }
  }
  return out;
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

namespace {

// Paragraph diff: multiset match of normalized paragraph hashes; unmatched old/new pairs count
// as edited, the rest as removed/added.
void DiffParagraphs(std::vector<uint32_t> o, std::vector<uint32_t> n, v1::ChangeSummary& c) {
  std::sort(o.begin(), o.end());
  std::sort(n.begin(), n.end());
  size_t i = 0, j = 0, matched = 0;
  while (i < o.size() && j < n.size()) {
    if (o[i] == n[j]) {
      ++matched, ++i, ++j;
    } else if (o[i] < n[j]) {
      ++i;
    } else {
      ++j;
    }
  }
  const auto removed = static_cast<uint32_t>(o.size() - matched);
  const auto added = static_cast<uint32_t>(n.size() - matched);
  const uint32_t edited = std::min(removed, added);
  c.set_paragraphs_edited(edited);
  c.set_paragraphs_added(added - edited);
  c.set_paragraphs_removed(removed - edited);
}

}  // namespace

v1::ChangeSummary Summarize(const Config& cfg, const StoryRecord& prev, const v1::Article& a,
                            const std::vector<uint16_t>& sig, const std::vector<uint32_t>& paras) {
  v1::ChangeSummary c;
  const auto& fp = a.fingerprints();
  const bool body_changed = fp.body_hash() != prev.body_hash;
  c.set_headline_changed(fp.headline_hash() != prev.headline_hash);
  double sim = 1.0;
  if (body_changed)
    sim = !sig.empty() && !prev.signature.empty() ? EstimateJaccard(sig, prev.signature) : 0.0;
  c.set_body_similarity(sim);
  DiffParagraphs(prev.paragraphs, paras, c);
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
