#include "dedup/replay.h"

#include <simdjson.h>
#include <sys/stat.h>
#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>

#include "common/json.h"
#include "copydesk/v1/events.pb.h"
#include "dedup/lineage.h"
#include "dedup/partition_store.h"
#include "dedup/rocksdb_store.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Splits a body into paragraphs: at blank lines when there are any, else at line breaks.
std::vector<std::string_view> SplitParagraphs(std::string_view body) {
  std::vector<std::string_view> out;
  const bool blank_lines = body.find("\n\n") != std::string_view::npos;
  const std::string_view sep = blank_lines ? "\n\n" : "\n";
  size_t pos = 0;
  while (pos <= body.size()) {
    size_t end = body.find(sep, pos);
    if (end == std::string_view::npos) end = body.size();
    std::string_view p = body.substr(pos, end - pos);
    while (!p.empty() && (p.front() == ' ' || p.front() == '\n' || p.front() == '\t' || p.front() == '\r'))
      p.remove_prefix(1);
    while (!p.empty() && (p.back() == ' ' || p.back() == '\n' || p.back() == '\t' || p.back() == '\r'))
      p.remove_suffix(1);
    if (!p.empty()) out.push_back(p);
    pos = end + sep.size();
  }
  return out;
}

}  // namespace

std::optional<int64_t> ParsePublished(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) || s[7] != '-' ||
      !Digits(s, 8, 2, &d))
    return std::nullopt;
  size_t pos = 10;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == ' ')) {
    if (!Digits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !Digits(s, pos + 4, 2, &mi))
      return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!Digits(s, pos + 1, 2, &sec)) return std::nullopt;
      pos += 3;
      if (pos < s.size() && s[pos] == '.')
        for (++pos; pos < s.size() && s[pos] >= '0' && s[pos] <= '9'; ++pos) {
        }
    }
  }
  while (pos < s.size() && s[pos] == ' ') ++pos;
  int offset_min = 0;
  std::string_view zone = s.substr(pos);
  if (zone.empty() || zone == "Z" || zone == "UTC" || zone == "GMT") {
    offset_min = 0;
  } else if (zone == "EDT") {
    offset_min = -4 * 60;
  } else if (zone == "EST" || zone == "CDT") {
    offset_min = -5 * 60;
  } else if (zone == "CST" || zone == "MDT") {
    offset_min = -6 * 60;
  } else if (zone == "MST" || zone == "PDT") {
    offset_min = -7 * 60;
  } else if (zone == "PST") {
    offset_min = -8 * 60;
  } else if (zone[0] == '+' || zone[0] == '-') {
    int zh = 0, zm = 0;
    if (!Digits(zone, 1, 2, &zh)) return std::nullopt;
    size_t p = zone.size() > 3 && zone[3] == ':' ? 4 : 3;
    if (zone.size() > p && !Digits(zone, p, 2, &zm)) return std::nullopt;
    offset_min = (zh * 60 + zm) * (zone[0] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = sec;
  const int64_t t = static_cast<int64_t>(timegm(&tm));
  return (t - static_cast<int64_t>(offset_min) * 60) * 1000;
}

v1::Article ArticleFromRecord(const ReplayRecord& r) {
  v1::Article a;
  a.set_type("text");
  a.set_headline(r.title);
  std::string text;
  for (std::string_view p : SplitParagraphs(r.body)) {
    auto* b = a.add_body();
    b->set_type(v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(std::string(p));
    if (!text.empty()) text += "\n\n";
    text.append(p.data(), p.size());
  }
  a.set_body_text(std::move(text));
  if (!r.url.empty()) {
    a.set_canonical_url(r.url);
    a.add_urls(r.url);
  }
  auto* prov = a.mutable_provenance();
  prov->set_provider(r.provider);
  prov->set_guid(r.guid);
  prov->set_provider_version(r.version);
  prov->set_source_url(r.url);
  prov->set_format("jsonl");
  prov->set_event_id(r.id);
  if (auto t = ParsePublished(r.published)) prov->mutable_event_time()->set_seconds(*t / 1000);
  if (auto t = ParsePublished(r.versioncreated)) a.mutable_versioncreated()->set_seconds(*t / 1000);
  normalize::ComputeFingerprints(a);
  return a;
}

namespace {

void AppendStrings(std::string& out, const char* name, const auto& strings) {
  out += ",\"";
  out += name;
  out += "\":[";
  bool first = true;
  for (const auto& s : strings) {
    if (!first) out += ",";
    first = false;
    AppendJsonString(out, s);
  }
  out += "]";
}

// The lineage details of an accepted version (DecisionJson), and the event's size with and
// without them: the ArticleEvent as the worker builds it (kind, ids, versions, change, article).
void AppendLineageJson(std::string& out, const v1::Article& article, const Decision& d) {
  v1::ArticleEvent ev;
  ev.set_kind(d.kind);
  ev.set_story_id(d.story_id);
  ev.set_version(d.version);
  ev.set_previous_version(d.previous_version);
  ev.set_of_story(d.of);
  ev.set_similarity(d.similarity);
  *ev.mutable_change() = d.change;
  FillParagraphTexts(article, *ev.mutable_change());
  *ev.mutable_article() = article;
  ev.mutable_article()->set_uri(d.story_id);
  ev.mutable_article()->set_version(d.version);
  *ev.mutable_article()->mutable_lineage() = d.lineage;
  const size_t with = ev.ByteSizeLong();
  AppendStrings(out, "fields_changed", ev.change().fields_changed());
  out += ",\"paragraph_edits\":[";
  for (int i = 0; i < ev.change().paragraph_edits_size(); ++i) {
    const auto& e = ev.change().paragraph_edits(i);
    if (i > 0) out += ",";
    out += "{\"op\":";
    AppendJsonString(out, v1::ParagraphEditOp_Name(e.op()));
    out += ",\"previous_index\":" + std::to_string(e.previous_index());
    out += ",\"index\":" + std::to_string(e.index());
    out += ",\"text\":";
    AppendJsonString(out, e.text());
    out += "}";
  }
  out += "]";
  if (ev.change().paragraph_edits_partial()) out += ",\"paragraph_edits_partial\":true";
  if (ev.change().paragraph_texts_in_article()) out += ",\"paragraph_texts_in_article\":true";
  AppendStrings(out, "paragraphs", Paragraphs(article));
  ev.mutable_change()->clear_fields_changed();
  ev.mutable_change()->clear_paragraph_edits();
  ev.mutable_change()->clear_paragraph_edits_partial();
  ev.mutable_change()->clear_paragraph_texts_in_article();
  ev.mutable_article()->clear_lineage();
  out += ",\"event_bytes\":" + std::to_string(with);
  out += ",\"event_bytes_without_lineage\":" + std::to_string(ev.ByteSizeLong());
}

}  // namespace

std::string DecisionJson(const ReplayRecord& r, const Decision& d, const v1::Article* lineage) {
  std::string out = "{\"id\":";
  AppendJsonString(out, r.id);
  out += ",\"story\":";
  AppendJsonString(out, d.story_id);
  out += ",\"version\":" + std::to_string(d.version);
  out += ",\"decision\":";
  AppendJsonString(out, DecisionName(d.decision));
  out += ",\"of\":";
  if (d.of.empty()) {
    out += "null";
  } else {
    AppendJsonString(out, d.of);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.4f", d.similarity);
  out += ",\"similarity\":";
  out += buf;
  if (r.partition >= 0) out += ",\"partition\":" + std::to_string(r.partition);
  if (d.decision == v1::DECISION_UPDATE) {
    static const char* kClass[] = {"unspecified", "headline-only", "minor", "substantive", "rewrite"};
    const int cls = d.change.change_class();
    out += ",\"change\":{\"headline_changed\":";
    out += d.change.headline_changed() ? "true" : "false";
    out += ",\"paragraphs_added\":" + std::to_string(d.change.paragraphs_added());
    out += ",\"paragraphs_removed\":" + std::to_string(d.change.paragraphs_removed());
    out += ",\"paragraphs_edited\":" + std::to_string(d.change.paragraphs_edited());
    out += ",\"class\":\"";
    out += (cls >= 0 && cls <= 4) ? kClass[cls] : "unspecified";
    out += "\"";
    if (d.change.correction()) out += ",\"correction\":true";
    out += "}";
  }
  if (lineage != nullptr && d.Publishes() && d.decision != v1::DECISION_CANCEL)
    AppendLineageJson(out, *lineage, d);
  out += "}\n";
  return out;
}

namespace {

Result<std::string> ReadAll(std::FILE* in) {
  std::string data;
  struct stat st {};
  if (fstat(fileno(in), &st) == 0 && S_ISREG(st.st_mode)) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, in)) > 0) data.append(buf, n);
  if (std::ferror(in)) return Error{v1::ERROR_CODE_INTERNAL, "replay: read error"};
  return data;
}

// The fields of one JSON line that `options` names into `rec`; false when the line is not a
// JSON object.
bool ParseRecord(simdjson::ondemand::parser& parser, const simdjson::padded_string& line,
                 const ReplayOptions& options, ReplayRecord& rec) {
  simdjson::ondemand::document doc;
  if (parser.iterate(line).get(doc)) return false;
  simdjson::ondemand::object obj;
  if (doc.get_object().get(obj)) return false;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    std::string* target = nullptr;
    if (key == options.id_field) {
      target = &rec.id;
    } else if (key == options.provider_field) {
      target = &rec.provider;
    } else if (!options.guid_field.empty() && key == options.guid_field) {
      target = &rec.guid;
    } else if (!options.version_field.empty() && key == options.version_field) {
      target = &rec.version;
    } else if (!options.versioncreated_field.empty() && key == options.versioncreated_field) {
      target = &rec.versioncreated;
    } else if (key == "url") {
      target = &rec.url;
    } else if (key == "title") {
      target = &rec.title;
    } else if (key == "published") {
      target = &rec.published;
    } else if (key == "body") {
      target = &rec.body;
    }
    if (target == nullptr) continue;
    auto value = field.value();
    std::string_view s;
    if (!value.get_string().get(s)) {
      target->assign(s.data(), s.size());
    } else if (!value.is_null()) {
      std::string_view tok = value.raw_json_token();
      while (!tok.empty() && (tok.back() == ' ' || tok.back() == ',')) tok.remove_suffix(1);
      target->assign(tok.data(), tok.size());
    }
  }
  return true;
}

Result<std::unique_ptr<StateStore>> OpenStore(const std::string& dir) {
  if (dir.empty())
    return std::unique_ptr<StateStore>(std::make_unique<MemoryStateStore>(kDedupScannedPrefixes));
  // As the ingest worker keeps it: RocksDB, the band entries in memory.
  auto opened = RocksDbStateStore::Open(dir);
  if (!opened.ok()) return opened.error();
  auto partition = PartitionStore::Open(std::move(opened.value()));
  if (!partition.ok()) return partition.error();
  return std::unique_ptr<StateStore>(std::move(partition.value()));
}

// The input partition of a record: its key's hash mod n (the key a producer would give it).
int32_t PartitionOf(const ReplayRecord& rec, const ReplayOptions& options) {
  const std::string& key =
      !rec.guid.empty() ? rec.guid : (options.config.url_identity && !rec.url.empty() ? rec.url : rec.id);
  return static_cast<int32_t>(XXH3_64bits(key.data(), key.size()) %
                              static_cast<uint64_t>(options.partitions));
}

// Every partition's store and Deduper, and the shared index they all read (several partitions).
class Partitions {
 public:
  Status Open(const ReplayOptions& options) {
    const int n = options.partitions;
    if (n > 1) shared_ = std::make_unique<MemoryStateStore>(kDedupScannedPrefixes);
    for (int p = 0; p < n; ++p) {
      auto store =
          OpenStore(options.state_dir.empty() || n == 1 ? options.state_dir
                                                        : options.state_dir + "/p" + std::to_string(p));
      if (!store.ok()) return store.error();
      stores_.push_back(std::move(store.value()));
      dedupers_.push_back(std::make_unique<Deduper>(options.config, *stores_.back(), shared_.get()));
    }
    offsets_.assign(static_cast<size_t>(n), 0);
    return OkStatus();
  }

  // Decides `article` on `partition` and publishes its index documents. The offset is the
  // record's line number with one partition, else its position in its partition.
  Result<Decision> Process(const v1::Article& article, int32_t partition, int64_t line, int64_t timestamp_ms,
                           const std::string& id) {
    EventContext ctx;
    ctx.partition = partition;
    ctx.offset = shared_ ? offsets_[static_cast<size_t>(partition)]++ : line;
    ctx.timestamp_ms = timestamp_ms;
    ctx.event_id = id;
    if (!shared_) return dedupers_[static_cast<size_t>(partition)]->Process(article, ctx);
    index_changes_.clear();
    auto d = dedupers_[static_cast<size_t>(partition)]->Process(article, ctx, &index_changes_);
    if (!d.ok()) return d;
    for (const auto& m : index_changes_) {
      if (Status st = ApplySharedIndexMutation(*shared_, m); !st.ok()) return st.error();
    }
    return d;
  }

 private:
  std::vector<std::unique_ptr<StateStore>> stores_;
  std::unique_ptr<MemoryStateStore> shared_;
  std::vector<std::unique_ptr<Deduper>> dedupers_;
  std::vector<int64_t> offsets_;
  std::vector<Mutation> index_changes_;
};

}  // namespace

Result<ReplayStats> Replay(
    std::FILE* in, const ReplayOptions& options,
    const std::function<void(const ReplayRecord&, const v1::Article&, const Decision&)>& emit) {
  if (Status st = options.config.Validate(); !st.ok()) return st.error();
  if (options.partitions < 1) return Error{v1::ERROR_CODE_INTERNAL, "replay: partitions must be >= 1"};
  const auto start = std::chrono::steady_clock::now();
  const std::clock_t cpu_start = std::clock();
  auto data = ReadAll(in);
  if (!data.ok()) return data.error();
  Partitions partitions;
  if (Status st = partitions.Open(options); !st.ok()) return st.error();
  ReplayStats stats;
  simdjson::ondemand::parser parser;
  ReplayRecord rec;
  size_t pos = 0;
  int64_t index = 0;
  simdjson::padded_string line;
  const std::string& text = data.value();
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view raw(text.data() + pos, end - pos);
    pos = end + 1;
    if (raw.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    line = simdjson::padded_string(raw);
    rec = ReplayRecord{};
    const bool ok = ParseRecord(parser, line, options, rec);
    const int64_t offset = index++;
    if (!ok) {
      ++stats.errors;
      continue;
    }
    if (rec.id.empty()) rec.id = std::to_string(offset);
    v1::Article article = ArticleFromRecord(rec);
    if (options.partitions > 1) rec.partition = PartitionOf(rec, options);
    const int64_t timestamp_ms =
        article.provenance().has_event_time() ? article.provenance().event_time().seconds() * 1000 : 0;
    auto d = partitions.Process(article, std::max(rec.partition, 0), offset, timestamp_ms, rec.id);
    if (!d.ok()) return d.error();
    ++stats.records;
    emit(rec, article, d.value());
  }
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  return stats;
}

}  // namespace copydesk::dedup
