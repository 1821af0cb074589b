#include "normalize/normalize.h"

#include <algorithm>
#include <cctype>

#include "copydesk/v1/raw.pb.h"
#include "normalize/ascii.h"
#include "normalize/deadline.h"
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
    case Format::kAnpa1312: return "anpa1312";
    case Format::kIptc7901: return "iptc7901";
    case Format::kNewsMl1: return "newsml1";
    case Format::kUnknown: break;
  }
  return "unknown";
}

// The time limit of a whole input: every item of a multi-item input shares its deadline.
class Budget {
 public:
  explicit Budget(int64_t deadline_ns) : deadline_ns_(deadline_ns) {}
  [[nodiscard]] bool Expired() const { return PastDeadline(deadline_ns_); }
  // The limits for the next item: the input's deadline.
  [[nodiscard]] Limits For(const Limits& limits) const {
    Limits l = limits;
    l.deadline_ns = deadline_ns_;
    return l;
  }

 private:
  int64_t deadline_ns_;
};

// Provenance from the metadata, the common post-processing, and the check that something was
// found. For one item of a container the input's guid, version and URL are the container's, not
// the item's: they neither replace the item's identity nor become its canonical URL.
// `input_bytes` is the size of what the article was decoded from (it bounds the body fields).
Status FinishArticle(Format format, const Metadata& meta, bool container_item, const Limits& limits,
                     size_t input_bytes, v1::Article& article, Diagnostics* diagnostics) {
  auto& prov = *article.mutable_provenance();
  if (prov.provider().empty()) prov.set_provider(meta.provider);
  if (!container_item) {
    if (!meta.guid.empty()) prov.set_guid(meta.guid);  // an explicit header/envelope guid wins
    if (!meta.version.empty()) prov.set_provider_version(meta.version);
  }
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
  Metadata item_meta;
  if (container_item) {
    item_meta = meta;
    item_meta.url.clear();
  }
  if (Status st =
          internal::Finalize(container_item ? item_meta : meta, limits, input_bytes, article, diagnostics);
      !st.ok()) {
    return st;
  }
  // A package (NewsML-G2 packageItem) is its members: it needs no text of its own.
  const bool package = article.type() == "composite" && !article.media().empty();
  if (article.body_text().empty() && article.headline().empty() && !package &&
      article.pubstatus() != v1::PUB_STATUS_CANCELED) {
    return Error{v1::ERROR_CODE_NO_CONTENT, "no headline and no body text could be extracted"};
  }
  return OkStatus();
}

Status DecodeSingle(Format format, std::string_view bytes, const Metadata& meta, const Limits& limits,
                    v1::Article& article) {
  switch (format) {
    case Format::kHtml: return internal::DecodeHtml(bytes, meta, limits, article);
    case Format::kText: {
      // text/plain is UTF-8 unless its charset parameter says otherwise (RFC 6657 style): an
      // undeclared or UTF-8-declared dump with invalid bytes is rejected, not guessed at.
      std::string cs = AsciiLower(meta.charset);
      if ((cs.empty() || cs == "utf-8" || cs == "utf8") && !IsValidUtf8(bytes)) {
        return Error{v1::ERROR_CODE_INVALID_UTF8,
                     "text/plain value is not valid UTF-8; declare its charset in the content-type "
                     "(e.g. text/plain; charset=windows-1252)"};
      }
      return internal::DecodeText(bytes, meta, limits, article);
    }
    case Format::kNinjs: return internal::DecodeNinjs(bytes, meta, limits, article);
    case Format::kNitf: return internal::DecodeNitf(bytes, meta, limits, article);
    case Format::kAnpa1312: return internal::DecodeAnpa1312(bytes, meta, limits, article);
    case Format::kIptc7901: return internal::DecodeIptc7901(bytes, meta, limits, article);
    default: break;
  }
  return Error{v1::ERROR_CODE_UNKNOWN_CONTENT_TYPE, meta.content_type.empty()
                                                        ? std::string("no content-type given")
                                                        : "unknown content-type '" + meta.content_type + "'"};
}

// Every item of a multi-item input, in order. Items past limits.max_items, and items not reached
// before the input's time limit, are items with an error of their own.
Result<std::vector<Item>> SplitItems(internal::ItemDecoder& dec, Format format, const Metadata& meta,
                                     const Limits& limits, const Budget& budget, size_t input_bytes) {
  const size_t n = dec.size();
  const bool container = dec.container();
  std::vector<Item> items(n);
  for (size_t i = 0; i < n; ++i) {
    Item& it = items[i];
    it.index = static_cast<uint32_t>(i);
    it.guid = dec.Guid(i);
    if (container) it.bytes = dec.Bytes(i);
    if (i >= limits.max_items) {
      it.article = Error{v1::ERROR_CODE_TOO_MANY_ITEMS,
                         "item " + std::to_string(i) + " of " + std::to_string(n) + " is past the limit of " +
                             std::to_string(limits.max_items) + " items per input"};
      continue;
    }
    if (budget.Expired()) {
      it.article = Error{v1::ERROR_CODE_TIMEOUT, "item " + std::to_string(i) + " of " + std::to_string(n) +
                                                     " not reached within the input's limit of " +
                                                     std::to_string(limits.max_millis) + " ms"};
      continue;
    }
    v1::Article article;
    const Limits item_limits = budget.For(limits);
    Status st = dec.Decode(i, meta, item_limits, article);
    if (st.ok()) {
      st = FinishArticle(format, meta, container, item_limits, container ? it.bytes.size() : input_bytes,
                         article, &it.diagnostics);
    }
    if (!st.ok()) {
      it.article = st.error();
      continue;
    }
    if (container) {
      article.mutable_provenance()->set_item_index(static_cast<uint32_t>(i));
      article.mutable_provenance()->set_item_count(static_cast<uint32_t>(n));
    }
    it.article = std::move(article);
  }
  // A bare item is the whole input: its failure is the input's.
  if (!container && n == 1 && !items[0].article.ok()) return items[0].article.error();
  return items;
}

Result<std::vector<Item>> ItemsImpl(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                    const Budget& budget, int envelope_depth);

Result<std::vector<Item>> UnwrapRawArticle(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                           const Budget& budget, int envelope_depth) {
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
  if (inner.charset.empty()) inner.charset = CharsetParam(inner.content_type);
  return ItemsImpl(raw.body(), inner, limits, budget, envelope_depth + 1);
}

Result<std::vector<Item>> ItemsImpl(std::string_view bytes, const Metadata& meta, const Limits& limits,
                                    const Budget& budget, int envelope_depth) {
  if (bytes.empty()) return Error{v1::ERROR_CODE_EMPTY_VALUE, "the event value is empty"};
  if (bytes.size() > limits.max_bytes) {
    return Error{v1::ERROR_CODE_VALUE_TOO_LARGE, "value of " + std::to_string(bytes.size()) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(limits.max_bytes)};
  }
  const Format format = FormatFromContentType(meta.content_type);
  if (format == Format::kRawArticle) return UnwrapRawArticle(bytes, meta, limits, budget, envelope_depth);
  if (format == Format::kRss || format == Format::kAtom || format == Format::kNewsMlG2 ||
      format == Format::kNewsMl1) {
    auto dec = format == Format::kNewsMlG2  ? internal::OpenNewsMlG2(bytes, limits)
               : format == Format::kNewsMl1 ? internal::OpenNewsMl1(bytes, limits)
                                            : internal::OpenFeed(bytes, limits);
    if (!dec.ok()) return dec.error();
    return SplitItems(*dec.value(), format, meta, limits, budget, bytes.size());
  }
  v1::Article article;
  std::vector<Item> items(1);
  if (Status st = DecodeSingle(format, bytes, meta, limits, article); !st.ok()) return st.error();
  if (Status st = FinishArticle(format, meta, false, limits, bytes.size(), article, &items[0].diagnostics);
      !st.ok()) {
    return st.error();
  }
  items[0].guid = article.provenance().guid();
  items[0].article = std::move(article);
  return items;
}

}  // namespace

Format FormatFromContentType(std::string_view content_type) {
  std::string ct = AsciiLower(Trim(content_type.substr(0, content_type.find(';'))));
  if (ct == "text/html" || ct == "application/xhtml+xml") return Format::kHtml;
  if (ct == "text/plain") return Format::kText;
  if (ct == "application/ninjs+json" || ct == "application/vnd.iptc.ninjs+json" || ct == "application/json")
    return Format::kNinjs;
  if (ct == "application/nitf+xml" || ct == "application/vnd.iptc.nitf+xml") return Format::kNitf;
  if (ct == "application/vnd.iptc.g2.newsitem+xml" || ct == "application/vnd.iptc.g2.newsmessage+xml" ||
      ct == "application/vnd.iptc.g2.packageitem+xml" || ct == "application/newsml-g2+xml" ||
      ct == "application/vnd.iptc.g2+xml")
    return Format::kNewsMlG2;
  if (ct == "application/vnd.anpa1312" || ct == "text/vnd.anpa1312" || ct == "application/x-anpa1312") {
    return Format::kAnpa1312;
  }
  if (ct == "text/vnd.iptc.7901" || ct == "application/vnd.iptc.7901" || ct == "application/x-iptc7901") {
    return Format::kIptc7901;
  }
  if (ct == "application/vnd.iptc.newsml+xml" || ct == "application/vnd.iptc.newsml1+xml" ||
      ct == "text/vnd.iptc.newsml") {
    return Format::kNewsMl1;
  }
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
  if (ends(".newsml1.xml") || ends(".newsml12.xml")) return "application/vnd.iptc.newsml+xml";
  if (ends(".anpa") || ends(".anpa1312")) return "application/vnd.anpa1312";
  if (ends(".7901") || ends(".iptc7901")) return "text/vnd.iptc.7901";
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
                              Diagnostics* diagnostics) {
  auto items = NormalizeItems(bytes, meta, limits);
  if (!items.ok()) return items.error();
  if (items->size() != 1) {
    return Error{v1::ERROR_CODE_TOO_MANY_ITEMS, "the input has " + std::to_string(items->size()) +
                                                    " items; NormalizeItems returns each of them"};
  }
  Item& item = items->front();
  if (diagnostics) *diagnostics = item.diagnostics;
  return std::move(item.article);
}

Result<std::vector<Item>> NormalizeItems(std::string_view bytes, const Metadata& meta, const Limits& limits) {
  Limits l = limits;
  l.deadline_ns = DeadlineFor(limits);  // one budget for every stage and every item
  ScopedDeadline deadline(l.deadline_ns);
  const Budget budget(l.deadline_ns);
  Metadata m = meta;
  if (m.charset.empty()) m.charset = CharsetParam(meta.content_type);
  return ItemsImpl(bytes, m, l, budget, 0);
}

}  // namespace copydesk::normalize
