#include "dedup/records.h"

#include <xxhash.h>

#include <algorithm>
#include <cstring>

#include "common/utf8.h"

namespace copydesk::dedup::internal {
namespace {

constexpr uint8_t kFormat = 1;  // bump when a record layout changes

// Appends little-endian values.
class Writer {
 public:
  void U8(uint8_t v) { s_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Raw(v); }
  void U32(uint32_t v) { Raw(v); }
  void U64(uint64_t v) { Raw(v); }
  void I64(int64_t v) { Raw(static_cast<uint64_t>(v)); }
  void F64(double v) {
    uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    Raw(u);
  }
  void Str(std::string_view v) {
    U16(static_cast<uint16_t>(v.size()));
    s_.append(v.data(), v.size());
  }
  void Blob(std::string_view v) {
    U32(static_cast<uint32_t>(v.size()));
    s_.append(v.data(), v.size());
  }
  void Sig(const std::vector<uint16_t>& v) {
    U16(static_cast<uint16_t>(v.size()));
    for (uint16_t x : v) U16(x);
  }
  std::string Take() { return std::move(s_); }

 private:
  template <typename T>
  void Raw(T v) {
    char b[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    s_.append(b, sizeof(T));
  }
  std::string s_;
};

// Reads what Writer wrote; ok() turns false on truncated input.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}
  uint8_t U8() { return static_cast<uint8_t>(Raw<uint8_t>()); }
  uint16_t U16() { return Raw<uint16_t>(); }
  uint32_t U32() { return Raw<uint32_t>(); }
  uint64_t U64() { return Raw<uint64_t>(); }
  int64_t I64() { return static_cast<int64_t>(Raw<uint64_t>()); }
  double F64() {
    uint64_t u = Raw<uint64_t>();
    double d;
    std::memcpy(&d, &u, sizeof d);
    return d;
  }
  std::string Str() { return std::string(StrView()); }
  std::string_view StrView() {
    size_t n = U16();
    if (!ok_ || pos_ + n > s_.size()) {
      ok_ = false;
      return {};
    }
    std::string_view out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::string_view Blob() {
    size_t n = U32();
    if (!ok_ || n > s_.size() - pos_) {
      ok_ = false;
      return {};
    }
    std::string_view out = s_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  std::vector<uint16_t> Sig() {
    size_t n = U16();
    std::vector<uint16_t> out;
    if (!ok_ || pos_ + 2 * n > s_.size()) {
      ok_ = false;
      return out;
    }
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(U16());
    return out;
  }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] size_t remaining() const { return ok_ ? s_.size() - pos_ : 0; }

 private:
  template <typename T>
  T Raw() {
    if (pos_ + sizeof(T) > s_.size()) {
      ok_ = false;
      return T{};
    }
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(s_[pos_ + i])) << (8 * i));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view s_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string EncodeIdentity(const IdentityRecord& r) {
  Writer w;
  w.U8(kFormat);
  w.Str(r.story_id);
  w.U8(r.has_provider_version ? 1 : 0);
  w.I64(r.provider_version);
  w.I64(r.versioncreated_ms);
  w.U64(r.headline_hash);
  w.U64(r.body_hash);
  w.U8(r.canceled ? 1 : 0);
  if (!r.alias_story.empty()) {  // optional trailer
    w.Str(r.alias_story);
    w.U32(r.alias_version);
    w.U64(r.alias_headline_hash);
    w.U64(r.alias_body_hash);
  }
  return w.Take();
}

std::optional<IdentityRecord> DecodeIdentity(std::string_view v) {
  Reader r(v);
  if (r.U8() != kFormat) return std::nullopt;
  IdentityRecord out;
  out.story_id = r.Str();
  out.has_provider_version = r.U8() != 0;
  out.provider_version = r.I64();
  out.versioncreated_ms = r.I64();
  out.headline_hash = r.U64();
  out.body_hash = r.U64();
  out.canceled = r.U8() != 0;
  if (!r.ok()) return std::nullopt;
  if (r.remaining() > 0) {
    out.alias_story = r.Str();
    out.alias_version = r.U32();
    out.alias_headline_hash = r.U64();
    out.alias_body_hash = r.U64();
    if (!r.ok()) return std::nullopt;
  }
  return out;
}

std::string EncodeStory(const StoryRecord& s) {
  Writer w;
  w.U8(kFormat);
  w.U32(s.version);
  w.U8(s.canceled ? 1 : 0);
  w.U64(s.provider_hash);
  w.Str(s.root);
  w.U64(s.headline_hash);
  w.U64(s.body_hash);
  w.Sig(s.signature);
  w.U16(static_cast<uint16_t>(s.paragraphs.size()));
  for (uint32_t p : s.paragraphs) w.U32(p);
  w.I64(s.created_ms);
  // Lineage trailer (absent without lineage): fields (number, hash, version), then sources.
  if (s.lineage.fields.empty() && s.lineage.sources.empty()) return w.Take();
  w.U8(static_cast<uint8_t>(std::min<size_t>(s.lineage.fields.size(), 255)));
  for (size_t i = 0; i < s.lineage.fields.size() && i < 255; ++i) {
    w.U8(s.lineage.fields[i].field);
    w.U32(s.lineage.fields[i].hash);
    w.U32(s.lineage.fields[i].version);
  }
  w.U8(static_cast<uint8_t>(std::min<size_t>(s.lineage.sources.size(), 255)));
  for (size_t i = 0; i < s.lineage.sources.size() && i < 255; ++i) {
    const auto& src = s.lineage.sources[i];
    w.U32(src.version());
    w.Str(utf8::Truncate(src.provider(), kMaxSourceString));
    w.Str(utf8::Truncate(src.provider_version(), kMaxSourceString));
    w.Str(utf8::Truncate(src.event_id(), kMaxSourceString));
  }
  return w.Take();
}

std::optional<StoryRecord> DecodeStory(std::string_view v) {
  Reader r(v);
  if (r.U8() != kFormat) return std::nullopt;
  StoryRecord s;
  s.version = r.U32();
  s.canceled = r.U8() != 0;
  s.provider_hash = r.U64();
  s.root = r.Str();
  s.headline_hash = r.U64();
  s.body_hash = r.U64();
  s.signature = r.Sig();
  size_t n = r.U16();
  if (!r.ok()) return std::nullopt;
  s.paragraphs.reserve(n);
  for (size_t i = 0; i < n && r.ok(); ++i) s.paragraphs.push_back(r.U32());
  if (!r.ok()) return std::nullopt;
  if (r.remaining() >= 8) s.created_ms = r.I64();
  if (r.remaining() == 0) return s;  // written before lineage was kept
  const size_t fields = r.U8();
  for (size_t i = 0; i < fields && r.ok(); ++i) {
    FieldVersion f;
    f.field = r.U8();
    f.hash = r.U32();
    f.version = r.U32();
    s.lineage.fields.push_back(f);
  }
  const size_t sources = r.U8();
  for (size_t i = 0; i < sources && r.ok(); ++i) {
    v1::LineageSource src;
    src.set_version(r.U32());
    src.set_provider(r.Str());
    src.set_provider_version(r.Str());
    src.set_event_id(r.Str());
    s.lineage.sources.push_back(std::move(src));
  }
  if (!r.ok()) return std::nullopt;
  return s;
}

std::string EncodeDoc(const DocRecord& d) {
  Writer w;
  w.U8(kFormat);
  w.Str(d.story_id);
  w.Str(d.root);
  w.U64(d.provider_hash);
  w.I64(d.time_ms);
  w.U32(static_cast<uint32_t>(d.partition));
  w.U32(d.version);
  w.Sig(d.signature);
  w.I64(d.tau_ms);
  w.I64(d.story_created_ms);
  return w.Take();
}

std::optional<int32_t> DecodeDocPartition(std::string_view v) {
  Reader r(v);
  if (r.U8() != kFormat) return std::nullopt;
  (void)r.StrView();  // story_id
  (void)r.StrView();  // root
  (void)r.U64();      // provider_hash
  (void)r.I64();      // time_ms
  const auto partition = static_cast<int32_t>(r.U32());
  if (!r.ok()) return std::nullopt;
  return partition;
}

std::optional<DocRecord> DecodeDoc(std::string_view v) {
  Reader r(v);
  if (r.U8() != kFormat) return std::nullopt;
  DocRecord d;
  d.story_id = r.Str();
  d.root = r.Str();
  d.provider_hash = r.U64();
  d.time_ms = r.I64();
  d.partition = static_cast<int32_t>(r.U32());
  d.version = r.U32();
  d.signature = r.Sig();
  d.tau_ms = r.remaining() >= 8 ? r.I64() : d.time_ms;
  d.story_created_ms = r.remaining() >= 8 ? r.I64() : d.time_ms;
  if (!r.ok()) return std::nullopt;
  return d;
}

std::string EncodeDecision(const Decision& d) {
  Writer w;
  w.U8(kFormat);
  w.U8(static_cast<uint8_t>(d.decision));
  w.U8(static_cast<uint8_t>(d.kind));
  w.Str(d.story_id);
  w.U32(d.version);
  w.U32(d.previous_version);
  w.Str(d.of);
  w.F64(d.similarity);
  w.U8(d.change.headline_changed() ? 1 : 0);
  w.U32(d.change.paragraphs_added());
  w.U32(d.change.paragraphs_removed());
  w.U32(d.change.paragraphs_edited());
  w.F64(d.change.body_similarity());
  w.U8(static_cast<uint8_t>(d.change.change_class()));
  w.U8(d.change.correction() ? 1 : 0);
  w.I64(d.event_time_ms);
  // Optional trailers: older memos end before the event key, or before the lineage.
  const bool has_lineage = d.lineage.fields_size() > 0 || d.change.fields_changed_size() > 0 ||
                           d.change.paragraph_edits_size() > 0;
  if (d.event_key != 0 || has_lineage) w.U64(d.event_key);
  if (has_lineage) {
    // The change summary (its lineage part is what the fields above do not hold) and the
    // lineage, as protobuf.
    w.Blob(d.change.SerializeAsString());
    w.Blob(d.lineage.SerializeAsString());
  }
  return w.Take();
}

std::optional<Decision> DecodeDecision(std::string_view v, bool with_lineage) {
  Reader r(v);
  if (r.U8() != kFormat) return std::nullopt;
  Decision d;
  d.decision = static_cast<v1::Decision>(r.U8());
  d.kind = static_cast<v1::EventKind>(r.U8());
  d.story_id = r.Str();
  d.version = r.U32();
  d.previous_version = r.U32();
  d.of = r.Str();
  d.similarity = r.F64();
  bool headline_changed = r.U8() != 0;
  uint32_t added = r.U32(), removed = r.U32(), edited = r.U32();
  double body_similarity = r.F64();
  auto cls = static_cast<v1::ChangeClass>(r.U8());
  bool correction = r.U8() != 0;
  d.event_time_ms = r.I64();
  if (!r.ok()) return std::nullopt;
  if (r.remaining() >= 8) d.event_key = r.U64();
  if (with_lineage && r.remaining() >= 4) {
    v1::ChangeSummary extra;
    const std::string_view change_blob = r.Blob();
    const std::string_view lineage_blob = r.Blob();
    if (!r.ok() || !extra.ParseFromArray(change_blob.data(), static_cast<int>(change_blob.size())) ||
        !d.lineage.ParseFromArray(lineage_blob.data(), static_cast<int>(lineage_blob.size())))
      return std::nullopt;
    if (d.decision == v1::DECISION_UPDATE) d.change = std::move(extra);  // the fields below agree
  }
  if (d.decision == v1::DECISION_UPDATE) {
    d.change.set_headline_changed(headline_changed);
    d.change.set_paragraphs_added(added);
    d.change.set_paragraphs_removed(removed);
    d.change.set_paragraphs_edited(edited);
    d.change.set_body_similarity(body_similarity);
    d.change.set_change_class(cls);
    d.change.set_correction(correction);
  }
  return d;
}

std::string WatermarkKey() {
  return "m/wm";
}

std::string IdentityStateKey(std::string_view identity) {
  XXH128_hash_t h = XXH3_128bits(identity.data(), identity.size());
  std::string k = "i/";
  Be64(k, h.high64);
  Be64(k, h.low64);
  return k;
}

std::string StoryKey(std::string_view story_id) {
  return "s/" + std::string(story_id);
}

std::string DocKey(uint64_t doc) {
  std::string k = "d/";
  Be64(k, doc);
  return k;
}

namespace {
// "b/" + band + band hash, with room for `capacity` bytes.
std::string BandKey(int band, uint64_t band_hash, size_t capacity) {
  std::string k;
  k.reserve(capacity);
  k = "b/";
  k.push_back(static_cast<char>(band));
  Be64(k, band_hash);
  return k;
}
}  // namespace

std::string BandPrefix(int band, uint64_t band_hash) {
  return BandKey(band, band_hash, kBandPrefixSize);
}

std::string BandEntryKey(int band, uint64_t band_hash, int64_t time_ms, uint64_t doc) {
  std::string k(kBandEntryKeySize, '\0');
  WriteBandEntryKey(k.data(), band, band_hash, time_ms, doc);
  return k;
}

int64_t BandEntryTime(std::string_view key) {
  return KeyToTime(~ReadBe64(key, kBandPrefixSize));
}

uint64_t BandEntryDoc(std::string_view key) {
  return ReadBe64(key, kBandPrefixSize + 8);
}

std::string DocExpiryKey(int64_t time_ms, uint64_t doc) {
  std::string k = "x/";
  Be64(k, TimeToKey(time_ms));
  Be64(k, doc);
  return k;
}

std::string MemoExpiryKey(int64_t time_ms, std::string_view memo_key) {
  std::string k = "y/";
  Be64(k, TimeToKey(time_ms));
  k.append(memo_key.substr(2));
  return k;
}

std::string EventMemoKey(uint64_t event_key) {
  std::string k = "e/";
  Be64(k, event_key);
  return k;
}

uint64_t EventKeyHash(std::string_view event_id) {
  const uint64_t h = XXH3_64bits(event_id.data(), event_id.size());
  return h == 0 ? 1 : h;  // 0 means "no event id"
}

uint64_t BandHash(const std::vector<uint16_t>& sig, int band) {
  return XXH3_64bits_withSeed(sig.data() + static_cast<size_t>(band) * kBandRows,
                              kBandRows * sizeof(uint16_t), static_cast<uint64_t>(band));
}

namespace {

void PutOrDelete(MutationBatch* out, const std::string& key, std::string_view value, bool put) {
  if (put) {
    out->Put(key, value);
  } else {
    out->Delete(key);
  }
}

}  // namespace

Times DecodeTimes(const std::optional<std::string>& v) {
  Times t;
  if (v && v->size() >= 8) t.last = KeyToTime(ReadBe64(*v, 0));
  if (v && v->size() >= 16) t.clock = KeyToTime(ReadBe64(*v, 8));
  return t;
}

std::string EncodeTimes(const Times& t) {
  std::string v;
  Be64(v, TimeToKey(t.last));
  Be64(v, TimeToKey(t.clock));
  return v;
}

void DerivedMutations(MutationBatch* out, std::string_view key, std::string_view value, bool put,
                      bool expiry) {
  if (IsDocKey(key)) {
    if (auto rec = DecodeDoc(value)) {
      ForEachDocDerivedKey(ReadBe64(key, 2), *rec, expiry,
                           [&](const std::string& k) { PutOrDelete(out, k, "", put); });
    }
  } else if (IsMemoKey(key)) {
    if (auto d = DecodeDecision(value, /*with_lineage=*/false)) {
      if (expiry) PutOrDelete(out, MemoExpiryKey(d->event_time_ms, key), "", put);
      if (d->event_key != 0) PutOrDelete(out, EventMemoKey(d->event_key), key, put);
    }
  }
}

}  // namespace copydesk::dedup::internal
