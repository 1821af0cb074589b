#include "normalize/field_pass.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <google/protobuf/reflection.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "common/utf8.h"
#include "normalize/deadline.h"
#include "normalize/html/sanitize.h"
#include "normalize/url.h"

namespace copydesk::normalize {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

enum class FieldClass { kLabel, kLine, kParagraph, kBody, kMarkup, kUrl };

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The class of a string field: by its full name where one message's field differs from the
// same name elsewhere, else by its name; a name listed nowhere is a line.
FieldClass ClassOf(const FieldDescriptor& f) {
  const std::string_view name = f.name();
  if (name == "url" || name == "urls" || name == "href" || EndsWith(name, "_url") ||
      EndsWith(name, "_urls") || EndsWith(name, "_href"))
    return FieldClass::kUrl;
  const std::string_view full = f.full_name();
  if (full == "copydesk.v1.Article.body_html") return FieldClass::kMarkup;
  static constexpr std::string_view kBody[] = {"copydesk.v1.Article.body_text", "copydesk.v1.BodyBlock.text"};
  for (auto b : kBody) {
    if (full == b) return FieldClass::kBody;
  }
  static constexpr std::string_view kParagraph[] = {"copydesk.v1.Article.standfirst",
                                                    "copydesk.v1.Article.copyright_notice",
                                                    "copydesk.v1.Article.usage_terms",
                                                    "copydesk.v1.Article.ednote",
                                                    "copydesk.v1.Caption.text",
                                                    "copydesk.v1.Caption.secondary",
                                                    "copydesk.v1.PullQuote.text",
                                                    "copydesk.v1.MediaItem.description",
                                                    "copydesk.v1.MediaItem.copyright_notice",
                                                    "copydesk.v1.MediaItem.usage_terms",
                                                    "copydesk.v1.Description.value"};
  for (auto p : kParagraph) {
    if (full == p) return FieldClass::kParagraph;
  }
  static constexpr std::string_view kLabel[] = {"type",
                                                "role",
                                                "rel",
                                                "scheme",
                                                "code",
                                                "mime_type",
                                                "format",
                                                "language",
                                                "charset",
                                                "content_type",
                                                "source_topic",
                                                "provider_version",
                                                "normalizer_version"};
  for (auto l : kLabel) {
    if (name == l) return FieldClass::kLabel;
  }
  return FieldClass::kLine;
}

// Byte classes for the clean check: 0 = printable ASCII, 1 = '\t' or '\n', 2 = another control
// (C0 or DEL), 3 = a byte >= 0x80 (the start or continuation of a sequence).
struct ByteClass {
  uint8_t v[256];
  constexpr ByteClass() : v{} {
    for (int c = 0; c < 256; ++c) v[c] = c >= 0x80 ? 3 : (c < 0x20 || c == 0x7F) ? 2 : 0;
    v[static_cast<unsigned char>('\t')] = 1;
    v[static_cast<unsigned char>('\n')] = 1;
  }
};
constexpr ByteClass kByteClass;

// True when `s` needs no repair: valid UTF-8 without controls ('\t' and '\n' allowed in a
// multi-line field; '\r' never: multi-line text uses '\n').
bool IsClean(std::string_view s, bool multiline) {
  for (size_t i = 0; i < s.size();) {
    const uint8_t k = kByteClass.v[static_cast<unsigned char>(s[i])];
    if (k == 0) {
      ++i;
      continue;
    }
    if (k == 1) {
      if (!multiline) return false;
      ++i;
      continue;
    }
    if (k == 2) return false;
    size_t len = 0;
    const uint32_t cp = utf8::Decode(s, i, &len);
    if (cp == 0xFFFD && !(len == 3 && s.compare(i, 3, "\xEF\xBF\xBD") == 0)) return false;
    if (cp >= 0x80 && cp <= 0x9F) return false;
    i += len;
  }
  return true;
}

// `s` repaired: invalid sequences as U+FFFD, controls removed ('\t', '\n', '\r' and the other
// line breaks become a space in a single-line field, '\r\n' and '\r' become '\n' in a
// multi-line one).
std::string Repair(std::string_view s, bool multiline) {
  std::string out;
  out.reserve(s.size());
  bool spaced = true;  // single-line: no space at the start or after a space
  for (size_t i = 0; i < s.size();) {
    size_t len = 0;
    const uint32_t cp = utf8::Decode(s, i, &len);
    i += len;
    const bool line_break = cp == '\n' || cp == '\r' || cp == '\t' || cp == '\v' || cp == '\f';
    if (line_break) {
      if (multiline) {
        if (cp == '\r' && i < s.size() && s[i] == '\n') continue;  // "\r\n" -> "\n"
        out.push_back(cp == '\t' ? '\t' : cp == '\v' || cp == '\f' ? ' ' : '\n');
      } else if (!spaced) {
        out.push_back(' ');
        spaced = true;
      }
      continue;
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F)) continue;
    utf8::Append(out, cp);
    spaced = cp == ' ';
  }
  if (!multiline && !out.empty() && out.back() == ' ' && (s.empty() || s.back() != ' ')) out.pop_back();
  return out;
}

// Cuts `s` to at most `max` bytes on a code point boundary.
void Truncate(std::string& s, size_t max) {
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  s.resize(cut);
}

class Sanitizer {
 public:
  Sanitizer(const SanitizeOptions& options, Diagnostics& diag)
      : diag_(diag),
        body_limit_(MaxBodyBytes(options.input_bytes, options.entity_expansion)),
        clock_(options.deadline_ns) {}

  // False once the deadline has passed.
  bool Visit(Message& m);

 private:
  size_t Limit(FieldClass c) const {
    switch (c) {
      case FieldClass::kLabel: return kMaxLabelBytes;
      case FieldClass::kLine: return kMaxLineBytes;
      case FieldClass::kParagraph: return kMaxParagraphBytes;
      case FieldClass::kBody: return body_limit_;
      case FieldClass::kMarkup: return std::max(body_limit_, 2 * html::kMaxBodyHtmlBytes);
      case FieldClass::kUrl: return kMaxUrlBytes;
    }
    return kMaxLineBytes;
  }
  // The text as it must be, or false when it already is.
  bool Fix(std::string_view in, FieldClass c, std::string* out);
  // The canonical URL, "" to drop it.
  std::string Url(std::string_view in) const {
    return in.size() > kMaxUrlBytes ? std::string() : CanonicalUrl(in);
  }
  void VisitString(Message& m, const Reflection& r, const FieldDescriptor& f);
  void VisitUrls(Message& m, const Reflection& r, const FieldDescriptor& f);

  Diagnostics& diag_;
  size_t body_limit_;
  DeadlineCheck<64> clock_;
  std::string scratch_;
};

bool Sanitizer::Fix(std::string_view in, FieldClass c, std::string* out) {
  // Paragraph fields (notes, rights, captions, descriptions) keep their line breaks as sent.
  const bool multiline = c == FieldClass::kBody || c == FieldClass::kMarkup || c == FieldClass::kParagraph;
  const size_t limit = Limit(c);
  const bool clean = IsClean(in, multiline);
  if (clean && in.size() <= limit) return false;
  *out = clean ? std::string(in) : Repair(in, multiline);
  if (!clean) ++diag_.strings_repaired;
  if (out->size() > limit) {
    // Markup is never cut blindly (html/sanitize.h cuts it between elements well below this).
    if (c == FieldClass::kMarkup) {
      out->clear();
    } else {
      Truncate(*out, limit);
    }
    ++diag_.strings_truncated;
  }
  return true;
}

void Sanitizer::VisitString(Message& m, const Reflection& r, const FieldDescriptor& f) {
  const FieldClass c = ClassOf(f);
  if (c == FieldClass::kUrl) {
    VisitUrls(m, r, f);
    return;
  }
  std::string fixed;
  if (f.is_repeated()) {
    const int n = r.FieldSize(m, &f);
    for (int i = 0; i < n && !clock_.Expired(); ++i) {
      if (Fix(r.GetRepeatedStringReference(m, &f, i, &scratch_), c, &fixed))
        r.SetRepeatedString(&m, &f, i, std::move(fixed));
    }
  } else if (Fix(r.GetStringReference(m, &f, &scratch_), c, &fixed)) {
    r.SetString(&m, &f, std::move(fixed));
  }
}

void Sanitizer::VisitUrls(Message& m, const Reflection& r, const FieldDescriptor& f) {
  if (!f.is_repeated()) {
    const std::string& v = r.GetStringReference(m, &f, &scratch_);
    if (v.empty()) return;
    std::string canonical = Url(v);
    if (canonical.empty()) {
      ++diag_.urls_dropped;
      r.ClearField(&m, &f);
    } else if (canonical != v) {
      r.SetString(&m, &f, std::move(canonical));
    }
    return;
  }
  // Repeated: canonical, each once, in order.
  std::unordered_set<std::string> seen;
  const int n = r.FieldSize(m, &f);
  int kept = 0;
  for (int i = 0; i < n; ++i) {
    if (clock_.Expired()) return;
    std::string canonical = Url(r.GetRepeatedStringReference(m, &f, i, &scratch_));
    if (canonical.empty()) {
      ++diag_.urls_dropped;
      continue;
    }
    if (!seen.insert(canonical).second) continue;
    r.SetRepeatedString(&m, &f, kept++, std::move(canonical));
  }
  for (int i = n; i > kept; --i) r.RemoveLast(&m, &f);
}

bool Sanitizer::Visit(Message& m) {
  const Reflection& r = *m.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  r.ListFields(m, &fields);
  for (const FieldDescriptor* f : fields) {
    if (clock_.Expired()) return false;
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      if (f->is_repeated()) {
        const int n = r.FieldSize(m, f);
        for (int i = 0; i < n; ++i) {
          if (!Visit(*r.MutableRepeatedMessage(&m, f, i))) return false;
          if (clock_.Expired()) return false;
        }
      } else if (!Visit(*r.MutableMessage(&m, f))) {
        return false;
      }
    } else if (f->type() == FieldDescriptor::TYPE_STRING) {
      VisitString(m, r, *f);
    }
  }
  return !clock_.Expired();
}

}  // namespace

size_t MaxBodyBytes(size_t input_bytes, size_t entity_expansion) {
  return 2 * std::max<size_t>(input_bytes, kMaxParagraphBytes) + entity_expansion;
}

Status SanitizeArticle(v1::Article& article, const SanitizeOptions& options, Diagnostics* diagnostics) {
  Diagnostics local;
  Sanitizer s(options, diagnostics ? *diagnostics : local);
  if (!s.Visit(article)) {
    return Error{v1::ERROR_CODE_TIMEOUT, "the final field pass exceeded the time limit"};
  }
  return OkStatus();
}

}  // namespace copydesk::normalize
