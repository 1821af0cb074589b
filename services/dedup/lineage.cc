#include "dedup/lineage.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/time_util.h>
#include <xxhash.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <map>

#include "common/utf8.h"
#include "normalize/fingerprint.h"

namespace copydesk::dedup {
namespace {

constexpr uint32_t kBodyField = v1::Article::kBodyFieldNumber;

// Field numbers that are not content: identity, version, where it came from, derived hashes and
// the lineage itself.
bool IsContentField(uint64_t field) {
  switch (field) {
    case v1::Article::kUriFieldNumber:
    case v1::Article::kVersionFieldNumber:
    case v1::Article::kProvenanceFieldNumber:
    case v1::Article::kFingerprintsFieldNumber:
    case v1::Article::kLineageFieldNumber: return false;
    default: return field > 0 && field < 256;
  }
}

// body_text and word_count are renderings of body: one field with it.
uint8_t FieldGroup(uint64_t field) {
  if (field == v1::Article::kBodyTextFieldNumber || field == v1::Article::kWordCountFieldNumber)
    return static_cast<uint8_t>(kBodyField);
  return static_cast<uint8_t>(field);
}

uint32_t Fold(uint64_t h) {
  return static_cast<uint32_t>(h ^ (h >> 32));
}

bool IsBlank(std::string_view t) {
  return t.find_first_not_of(" \t\n\v\f\r") == std::string_view::npos;
}

v1::ParagraphEdit* AddEdit(v1::ChangeSummary& c, v1::ParagraphEditOp op, size_t prev, size_t now) {
  v1::ParagraphEdit* e = c.add_paragraph_edits();
  e->set_op(op);
  e->set_previous_index(static_cast<uint32_t>(prev));
  e->set_index(static_cast<uint32_t>(now));
  return e;
}

// The script of the changed middle prev[p, p+a) -> now[p, p+b): 'k' keep, 'd' remove, 'a' add.
std::string MiddleScript(const std::vector<uint32_t>& prev, const std::vector<uint32_t>& now, size_t p,
                         size_t a, size_t b) {
  std::string script;
  if (a == 0 || b == 0 || (a + 1) * (b + 1) > kMaxDiffCells) {
    script.append(a, 'd');
    script.append(b, 'a');
    return script;
  }
  // lcs[i][j]: the longest common subsequence of prev[p+i..] and now[p+j..].
  const size_t w = b + 1;
  std::vector<uint16_t> lcs((a + 1) * w, 0);
  for (size_t i = a; i-- > 0;) {
    for (size_t j = b; j-- > 0;) {
      lcs[i * w + j] = prev[p + i] == now[p + j] ? static_cast<uint16_t>(lcs[(i + 1) * w + j + 1] + 1)
                                                 : std::max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  size_t i = 0, j = 0;
  while (i < a && j < b) {
    if (prev[p + i] == now[p + j]) {
      script.push_back('k');
      ++i, ++j;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      script.push_back('d');
      ++i;
    } else {
      script.push_back('a');
      ++j;
    }
  }
  script.append(a - i, 'd');
  script.append(b - j, 'a');
  return script;
}

}  // namespace

std::vector<FieldHash> ContentFieldHashes(const v1::Article& a) {
  using google::protobuf::FieldDescriptor;
  static const std::vector<const FieldDescriptor*> fields = [] {
    std::vector<const FieldDescriptor*> f;
    const auto* d = v1::Article::descriptor();
    for (int i = 0; i < d->field_count(); ++i)
      if (IsContentField(static_cast<uint64_t>(d->field(i)->number()))) f.push_back(d->field(i));
    std::sort(f.begin(), f.end(), [](auto* x, auto* y) { return x->number() < y->number(); });
    return f;
  }();
  const auto* r = a.GetReflection();
  std::array<uint64_t, 256> hash{};
  std::array<bool, 256> has{};
  std::string buf, scratch;
  for (const FieldDescriptor* fd : fields) {
    const bool rep = fd->is_repeated();
    const int count = rep ? r->FieldSize(a, fd) : (r->HasField(a, fd) ? 1 : 0);
    if (count == 0) continue;
    // The field's elements, each length-prefixed: strings as they are, messages serialized,
    // numbers as 8 bytes.
    buf.clear();
    auto put = [&buf](const void* p, size_t n) {
      const uint64_t len = n;
      buf.append(reinterpret_cast<const char*>(&len), sizeof len);
      buf.append(static_cast<const char*>(p), n);
    };
    for (int i = 0; i < count; ++i) {
      uint64_t v = 0;
      switch (fd->cpp_type()) {
        case FieldDescriptor::CPPTYPE_STRING: {
          const std::string& str = rep ? r->GetRepeatedStringReference(a, fd, i, &scratch)
                                       : r->GetStringReference(a, fd, &scratch);
          put(str.data(), str.size());
          continue;
        }
        case FieldDescriptor::CPPTYPE_MESSAGE:
          scratch.clear();
          (rep ? r->GetRepeatedMessage(a, fd, i) : r->GetMessage(a, fd)).AppendToString(&scratch);
          put(scratch.data(), scratch.size());
          continue;
        case FieldDescriptor::CPPTYPE_INT32:
          v = static_cast<uint64_t>(rep ? r->GetRepeatedInt32(a, fd, i) : r->GetInt32(a, fd));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          v = rep ? r->GetRepeatedUInt32(a, fd, i) : r->GetUInt32(a, fd);
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          v = static_cast<uint64_t>(rep ? r->GetRepeatedInt64(a, fd, i) : r->GetInt64(a, fd));
          break;
        case FieldDescriptor::CPPTYPE_UINT64:
          v = rep ? r->GetRepeatedUInt64(a, fd, i) : r->GetUInt64(a, fd);
          break;
        case FieldDescriptor::CPPTYPE_ENUM:
          v = static_cast<uint64_t>(rep ? r->GetRepeatedEnumValue(a, fd, i) : r->GetEnumValue(a, fd));
          break;
        case FieldDescriptor::CPPTYPE_BOOL:
          v = (rep ? r->GetRepeatedBool(a, fd, i) : r->GetBool(a, fd)) ? 1 : 0;
          break;
        case FieldDescriptor::CPPTYPE_DOUBLE: {
          const double d = rep ? r->GetRepeatedDouble(a, fd, i) : r->GetDouble(a, fd);
          std::memcpy(&v, &d, sizeof v);
          break;
        }
        case FieldDescriptor::CPPTYPE_FLOAT: {
          const float f = rep ? r->GetRepeatedFloat(a, fd, i) : r->GetFloat(a, fd);
          uint32_t u = 0;
          std::memcpy(&u, &f, sizeof u);
          v = u;
          break;
        }
      }
      put(&v, sizeof v);
    }
    const uint8_t g = FieldGroup(static_cast<uint64_t>(fd->number()));
    const uint64_t field_hash[2] = {static_cast<uint64_t>(fd->number()), XXH3_64bits(buf.data(), buf.size())};
    hash[g] = XXH3_64bits_withSeed(field_hash, sizeof field_hash, hash[g]);
    has[g] = true;
  }
  std::vector<FieldHash> out;
  for (size_t f = 0; f < has.size(); ++f)
    if (has[f]) out.push_back({static_cast<uint8_t>(f), Fold(hash[f])});
  return out;
}

std::string_view ContentFieldName(uint8_t field) {
  static const std::array<std::string, 256> names = [] {
    std::array<std::string, 256> n;
    const auto* d = v1::Article::descriptor();
    for (int i = 0; i < d->field_count(); ++i) {
      const int num = d->field(i)->number();
      if (IsContentField(num) && FieldGroup(num) == num) n[num] = d->field(i)->name();
    }
    return n;
  }();
  return names[field];
}

std::vector<std::string> ChangedFields(const std::vector<FieldHash>& prev,
                                       const std::vector<FieldHash>& now) {
  std::vector<std::string> out;
  size_t i = 0, j = 0;
  while (i < prev.size() || j < now.size()) {
    if (j == now.size() || (i < prev.size() && prev[i].field < now[j].field)) {
      out.emplace_back(ContentFieldName(prev[i++].field));
    } else if (i == prev.size() || now[j].field < prev[i].field) {
      out.emplace_back(ContentFieldName(now[j++].field));
    } else {
      if (prev[i].hash != now[j].hash) out.emplace_back(ContentFieldName(now[j].field));
      ++i, ++j;
    }
  }
  return out;
}

std::vector<std::string_view> Paragraphs(const v1::Article& a) {
  std::vector<std::string_view> out;
  if (a.body_size() > 0) {
    for (const auto& b : a.body()) {
      if (out.size() > kMaxParagraphs) break;
      out.push_back(b.text());
    }
    return out;
  }
  std::string_view t = a.body_text();
  size_t pos = 0;
  while (pos <= t.size() && out.size() <= kMaxParagraphs) {
    size_t end = t.find("\n\n", pos);
    if (end == std::string_view::npos) end = t.size();
    const std::string_view piece = t.substr(pos, end - pos);
    if (!IsBlank(piece)) out.push_back(piece);
    pos = end + 2;
  }
  return out;
}

std::vector<uint32_t> ParagraphHashes(const v1::Article& a) {
  std::vector<uint32_t> out;
  for (std::string_view p : Paragraphs(a)) {
    if (out.size() == kMaxParagraphs) break;
    out.push_back(Fold(normalize::TextHash(p)));
  }
  return out;
}

void DiffParagraphs(const std::vector<uint32_t>& prev, const std::vector<uint32_t>& now,
                    v1::ChangeSummary& c) {
  c.clear_paragraph_edits();
  const size_t n = prev.size(), m = now.size();
  size_t p = 0;
  while (p < n && p < m && prev[p] == now[p]) ++p;
  size_t s = 0;
  while (s < n - p && s < m - p && prev[n - 1 - s] == now[m - 1 - s]) ++s;
  const std::string script = MiddleScript(prev, now, p, n - p - s, m - p - s);

  uint32_t added = 0, removed = 0, edited = 0;
  std::vector<size_t> gone, came;  // one run between kept paragraphs
  size_t oi = p, ni = p;
  auto flush = [&] {
    const size_t pairs = std::min(gone.size(), came.size());
    for (size_t k = 0; k < pairs; ++k) AddEdit(c, v1::PARAGRAPH_EDIT_OP_EDITED, gone[k], came[k]);
    for (size_t k = pairs; k < gone.size(); ++k) AddEdit(c, v1::PARAGRAPH_EDIT_OP_REMOVED, gone[k], ni);
    for (size_t k = pairs; k < came.size(); ++k) AddEdit(c, v1::PARAGRAPH_EDIT_OP_ADDED, oi, came[k]);
    edited += static_cast<uint32_t>(pairs);
    removed += static_cast<uint32_t>(gone.size() - pairs);
    added += static_cast<uint32_t>(came.size() - pairs);
    gone.clear();
    came.clear();
  };
  for (char op : script) {
    if (op == 'k') {
      flush();
      ++oi, ++ni;
    } else if (op == 'd') {
      gone.push_back(oi++);
    } else {
      came.push_back(ni++);
    }
  }
  flush();
  c.set_paragraphs_added(added);
  c.set_paragraphs_removed(removed);
  c.set_paragraphs_edited(edited);
  c.set_paragraph_edits_partial(n >= kMaxParagraphs || m >= kMaxParagraphs);
}

void FillParagraphTexts(const v1::Article& now, v1::ChangeSummary& c, size_t max_bytes) {
  if (c.paragraph_edits_size() == 0) return;
  const std::vector<std::string_view> paras = Paragraphs(now);
  size_t total = 0;
  for (const auto& e : c.paragraph_edits())
    if (e.op() != v1::PARAGRAPH_EDIT_OP_REMOVED && e.index() < paras.size()) total += paras[e.index()].size();
  if (total > max_bytes) {
    c.set_paragraph_texts_in_article(true);
    return;
  }
  for (auto& e : *c.mutable_paragraph_edits()) {
    if (e.op() == v1::PARAGRAPH_EDIT_OP_REMOVED || e.index() >= paras.size()) continue;
    e.set_text(std::string(paras[e.index()]));
  }
}

Result<std::vector<std::string>> ApplyParagraphEdits(const std::vector<std::string>& prev,
                                                     const v1::ChangeSummary& c, const v1::Article* now) {
  std::vector<std::string_view> from_article;
  if (c.paragraph_texts_in_article()) {
    if (now == nullptr)
      return Error{v1::ERROR_CODE_INTERNAL, "the texts are in the article, and none was given"};
    from_article = Paragraphs(*now);
  }
  std::vector<std::string> out;
  size_t cursor = 0;
  int n = 0;
  auto bad = [&](std::string_view why) -> Error {
    return Error{v1::ERROR_CODE_INTERNAL, "paragraph edit " + std::to_string(n) + ": " + std::string(why)};
  };
  for (const auto& e : c.paragraph_edits()) {
    const size_t at = e.previous_index();
    if (at < cursor || at > prev.size()) return bad("previous_index out of order or past the end");
    out.insert(out.end(), prev.begin() + static_cast<std::ptrdiff_t>(cursor),
               prev.begin() + static_cast<std::ptrdiff_t>(at));
    cursor = at;
    switch (e.op()) {
      case v1::PARAGRAPH_EDIT_OP_REMOVED:
        if (at == prev.size()) return bad("removes past the end");
        ++cursor;
        break;
      case v1::PARAGRAPH_EDIT_OP_EDITED:
        if (at == prev.size()) return bad("edits past the end");
        ++cursor;
        [[fallthrough]];
      case v1::PARAGRAPH_EDIT_OP_ADDED:
        if (e.index() != out.size()) return bad("index does not match the position it lands at");
        if (!c.paragraph_texts_in_article()) {
          out.push_back(e.text());
        } else if (e.index() < from_article.size()) {
          out.emplace_back(from_article[e.index()]);
        } else {
          return bad("index past the article's paragraphs");
        }
        break;
      default: return bad("unknown op");
    }
    ++n;
  }
  out.insert(out.end(), prev.begin() + static_cast<std::ptrdiff_t>(cursor), prev.end());
  return out;
}

void AdvanceLineage(StoryLineage& lineage, const std::vector<FieldHash>& now, uint32_t version,
                    v1::LineageSource source) {
  std::vector<FieldVersion> next;
  next.reserve(now.size());
  size_t i = 0;
  for (const FieldHash& f : now) {
    while (i < lineage.fields.size() && lineage.fields[i].field < f.field) ++i;
    uint32_t v = version;
    if (i < lineage.fields.size() && lineage.fields[i].field == f.field && lineage.fields[i].hash == f.hash)
      v = lineage.fields[i].version;
    next.push_back({f.field, f.hash, v});
  }
  lineage.fields = std::move(next);
  source.set_version(version);
  source.set_provider(std::string(utf8::Truncate(source.provider(), kMaxSourceString)));
  source.set_provider_version(std::string(utf8::Truncate(source.provider_version(), kMaxSourceString)));
  source.set_event_id(std::string(utf8::Truncate(source.event_id(), kMaxSourceString)));
  std::vector<v1::LineageSource> sources;
  for (auto& s : lineage.sources) {
    if (s.version() >= version) continue;
    const bool used = std::any_of(lineage.fields.begin(), lineage.fields.end(),
                                  [&](const FieldVersion& f) { return f.version == s.version(); });
    if (used) sources.push_back(std::move(s));
  }
  sources.push_back(std::move(source));
  lineage.sources = std::move(sources);
}

v1::Lineage LineageMessage(const StoryLineage& lineage) {
  v1::Lineage out;
  for (const auto& s : lineage.sources) *out.add_sources() = s;
  for (const auto& f : lineage.fields) {
    v1::FieldOrigin* o = out.add_fields();
    o->set_field(std::string(ContentFieldName(f.field)));
    o->set_version(f.version);
  }
  return out;
}

}  // namespace copydesk::dedup
