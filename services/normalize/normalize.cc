#include "normalize/normalize.h"

#include <algorithm>
#include <cctype>

#include "copydesk/v1/raw.pb.h"
#include "normalize/ascii.h"
#include "normalize/internal.h"
#include "normalize/utf8.h"

namespace copydesk::normalize {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The charset parameter of a content type, "" when absent.
std::string CharsetParam(std::string_view content_type) {
  std::string lower = AsciiLower(content_type);
  auto pos = lower.find("charset=");
  if (pos == std::string::npos) return "";
  std::string_view v = std::string_view(lower).substr(pos + 8);
  auto end = v.find(';');
  v = Trim(v.substr(0, end));
  if (v.size() >= 2 && (v.front() == '"' || v.front() == '\'')) v = v.substr(1, v.size() - 2);
  return std::string(v);
}

const char* FormatName(Format f) {
  switch (f) {
    case Format::kHtml: return "html";
    case Format::kText: return "text";
    case Format::kNinjs: return "ninjs";
    case Format::kNitf: return "nitf";
    case Format::kNewsMlG2: return "newsml-g2";
    case Format::kRss: return "rss";
    case Format::kAtom: return "atom";
    case Format::kRawArticle: return "raw-article";
    case Format::kUnknown: break;
  }
  return "unknown";
}

Result<v1::Article> NormalizeImpl(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                  int envelope_depth);

Result<v1::Article> UnwrapRawArticle(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                     int envelope_depth) {
  if (envelope_depth > 0) {
    return Error{v1::ERROR_CODE_UNSUPPORTED_FORMAT, "a RawArticle may not wrap another RawArticle"};
  }
  v1::RawArticle raw;
  if (!raw.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{v1::ERROR_CODE_MALFORMED_PROTOBUF, "value is not a valid copydesk.v1.RawArticle protobuf"};
  }
  Metadata inner = meta;
  // Envelope fields win over headers.
  inner.content_type = raw.content_type();
  if (!raw.charset().empty()) inner.charset = raw.charset();
  if (!raw.url().empty()) inner.url = raw.url();
  if (!raw.provider().empty()) inner.provider = raw.provider();
  if (!raw.guid().empty()) inner.guid = raw.guid();
  if (!raw.version().empty()) inner.version = raw.version();
  if (!raw.event_id().empty()) inner.event_id = raw.event_id();
  for (const auto& [k, v] : raw.attributes()) inner.headers.emplace_back(k, v);
  if (inner.content_type.empty()) {
    return Error{v1::ERROR_CODE_MISSING_FIELD, "RawArticle.content_type is empty"};
  }
  return NormalizeImpl(raw.body(), inner, limits, envelope_depth + 1);
}

Result<v1::Article> NormalizeImpl(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                  int envelope_depth) {
  if (bytes.empty()) return Error{v1::ERROR_CODE_EMPTY_VALUE, "the event value is empty"};
  if (bytes.size() > limits.max_bytes) {
    return Error{v1::ERROR_CODE_VALUE_TOO_LARGE, "value of " + std::to_string(bytes.size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(limits.max_bytes)};
  }
  const Format format = FormatFromContentType(meta.content_type);
  if (format == Format::kRawArticle) return UnwrapRawArticle(bytes, meta, limits, envelope_depth);

  v1::Article article;
  Status st = OkStatus();
  switch (format) {
    case Format::kHtml: st = internal::DecodeHtml(bytes, meta, limits, article); break;
    case Format::kText: {
      // text/plain is UTF-8 unless its charset parameter says otherwise (RFC 6657 style): an
      // undeclared or UTF-8-declared dump with invalid bytes is rejected, not guessed at.
      std::string cs = AsciiLower(meta.charset);
      if ((cs.empty() || cs == "utf-8" || cs == "utf8") && !IsValidUtf8(bytes)) {
        return Error{v1::ERROR_CODE_INVALID_UTF8,
                     "text/plain value is not valid UTF-8; declare its charset in the content-type "
                     "(e.g. text/plain; charset=windows-1252)"};
      }
      st = internal::DecodeText(bytes, meta, limits, article);
      break;
    }
    case Format::kNinjs: st = internal::DecodeNinjs(bytes, meta, limits, article); break;
    case Format::kNitf: st = internal::DecodeNitf(bytes, meta, limits, article); break;
    case Format::kNewsMlG2: st = internal::DecodeNewsMlG2(bytes, meta, limits, article); break;
    case Format::kRss:
    case Format::kAtom: st = internal::DecodeFeedEntry(bytes, meta, limits, article); break;
    case Format::kRawArticle:
    case Format::kUnknown:
      return Error{v1::ERROR_CODE_UNKNOWN_CONTENT_TYPE,
                   meta.content_type.empty() ? std::string("no content-type given")
                                             : "unknown content-type '" + meta.content_type + "'"};
  }
  if (!st.ok()) return st.error();

  auto& prov = *article.mutable_provenance();
  if (prov.provider().empty()) prov.set_provider(meta.provider);
  if (!meta.guid.empty()) prov.set_guid(meta.guid);  // an explicit header/envelope guid wins
  if (!meta.version.empty()) prov.set_provider_version(meta.version);
  prov.set_event_id(meta.event_id);
  prov.set_content_type(meta.content_type);
  prov.set_source_url(meta.url);
  prov.set_normalizer_version(std::string(kNormalizerVersion));
  if (prov.format().empty()) prov.set_format(FormatName(format));
  if (meta.event_time_ms > 0) {
    prov.mutable_event_time()->set_seconds(meta.event_time_ms / 1000);
    prov.mutable_event_time()->set_nanos(static_cast<int32_t>(meta.event_time_ms % 1000) * 1000000);
  }
  if (article.type().empty()) article.set_type("text");
  internal::Finalize(meta, article);
  if (article.body_text().empty() && article.headline().empty() &&
      article.pubstatus() != v1::PUB_STATUS_CANCELED) {
    return Error{v1::ERROR_CODE_NO_CONTENT, "no headline and no body text could be extracted"};
  }
  return article;
}

}  // namespace

Format FormatFromContentType(std::string_view content_type) {
  std::string ct = AsciiLower(Trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "text/html" || ct == "application/xhtml+xml") return Format::kHtml;
  if (ct == "text/plain") return Format::kText;
  if (ct == "application/ninjs+json" || ct == "application/vnd.iptc.ninjs+json" || ct == "application/json")
    return Format::kNinjs;
  if (ct == "application/nitf+xml" || ct == "application/vnd.iptc.nitf+xml") return Format::kNitf;
  if (ct == "application/vnd.iptc.g2.newsitem+xml" || ct == "application/newsml-g2+xml" ||
      ct == "application/vnd.iptc.g2+xml")
    return Format::kNewsMlG2;
  if (ct == "application/rss+xml") return Format::kRss;
  if (ct == "application/atom+xml") return Format::kAtom;
  if (ct == "application/x-protobuf" || ct == "application/protobuf" ||
      ct == "application/vnd.copydesk.raw-article+protobuf")
    return Format::kRawArticle;
  return Format::kUnknown;
}

std::string ContentTypeFromFileName(std::string_view path) {
  std::string p = AsciiLower(path);
  auto ends = [&](std::string_view suf) {
    return p.size() >= suf.size() && p.compare(p.size() - suf.size(), suf.size(), suf) == 0;
  };
  if (ends(".nitf.xml") || ends(".nitf")) return "application/nitf+xml";
  if (ends(".g2.xml") || ends(".newsml.xml")) return "application/vnd.iptc.g2.newsitem+xml";
  if (ends(".rss.xml") || ends(".rss")) return "application/rss+xml";
  if (ends(".atom.xml") || ends(".atom")) return "application/atom+xml";
  if (ends(".html") || ends(".htm") || ends(".xhtml")) return "text/html";
  if (ends(".txt") || ends(".text")) return "text/plain";
  if (ends(".json")) return "application/ninjs+json";
  if (ends(".pb") || ends(".binpb")) return "application/x-protobuf";
  return "";
}

Result<v1::Article> Normalize(std::string_view bytes, const Metadata& meta, const Limits& limits,
                              Diagnostics* /*diagnostics*/) {
  Metadata m = meta;
  if (m.charset.empty()) m.charset = CharsetParam(meta.content_type);
  return NormalizeImpl(bytes, m, limits, 0);
}

Result<std::vector<Item>> NormalizeItems(std::string_view bytes, const Metadata& meta, const Limits& limits) {
  std::vector<Item> items(1);
  items[0].article = Normalize(bytes, meta, limits, &items[0].diagnostics);
  if (!items[0].article.ok()) return items[0].article.error();
  return items;
}

}  // namespace copydesk::normalize
