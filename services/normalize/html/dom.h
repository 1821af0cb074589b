// A compact HTML tree for extraction: one pass of a hand-written tokenizer feeding a simplified
// HTML5 tree builder (implied end tags for p/li/dt/dd/tr/td/option/headings, void elements,
// raw-text elements). Nodes live in one vector (an arena) in document order, so a parent
// always precedes its descendants and a reverse scan is a bottom-up pass.
//
// Scripts and styles are dropped while parsing, except the text of JSON-LD scripts which is
// kept in Document::json_ld. Text is entity-decoded and whitespace-collapsed (outside <pre>).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "normalize/html/entities.h"
#include "normalize/normalize.h"

namespace copydesk::normalize::html {

// Known tags. kOther for everything else (its name is kept in Node::name).
enum class Tag : uint8_t {
  kOther,
  kRoot,
  kText,
  kA,
  kAbbr,
  kAddress,
  kArticle,
  kAside,
  kAudio,
  kB,
  kBig,
  kBlockquote,
  kBody,
  kBr,
  kButton,
  kCanvas,
  kCaption,
  kCenter,
  kCite,
  kCode,
  kDd,
  kDel,
  kDetails,
  kDialog,
  kDiv,
  kDl,
  kDt,
  kEm,
  kEmbed,
  kFieldset,
  kFigcaption,
  kFigure,
  kFont,
  kFooter,
  kForm,
  kH1,
  kH2,
  kH3,
  kH4,
  kH5,
  kH6,
  kHead,
  kHeader,
  kHr,
  kHtml,
  kI,
  kIframe,
  kImg,
  kInput,
  kIns,
  kLabel,
  kLi,
  kLink,
  kMain,
  kMark,
  kMath,
  kMenu,
  kMeta,
  kNav,
  kNoscript,
  kObject,
  kOl,
  kOption,
  kP,
  kPicture,
  kPre,
  kQ,
  kS,
  kScript,
  kSection,
  kSelect,
  kSmall,
  kSource,
  kSpan,
  kStrong,
  kStyle,
  kSub,
  kSummary,
  kSup,
  kSvg,
  kTable,
  kTbody,
  kTd,
  kTemplate,
  kTextarea,
  kTfoot,
  kTh,
  kThead,
  kTime,
  kTitle,
  kTr,
  kU,
  kUl,
  kVideo,
  kWbr,
  kArea,
  kBase,
  kCol,
  kParam,
  kTrack,
  kMap,
  kNoembed,
  kNoframes,
  kXmp,
  kPlaintext,
  kFrameset,
  kCount
};

inline bool IsHeading(Tag t) {
  return t >= Tag::kH1 && t <= Tag::kH6;
}

// Attribute names the extractor asks for, interned at parse time (kOtherAttr for the rest).
enum class AttrKey : uint8_t {
  kOtherAttr,
  kAlt,
  kAriaHidden,
  kCharset,
  kClass,
  kContent,
  kDataOriginal,
  kDataSrc,
  kDataSrcset,
  kDatetime,
  kHidden,
  kHref,
  kHttpEquiv,
  kId,
  kItemprop,
  kLang,
  kName,
  kProperty,
  kRel,
  kRole,
  kSrc,
  kSrcset,
  kStyle,
  kTitle,
  kType,
  kXmlLang
};
AttrKey AttrKeyFromName(std::string_view lower_name);

struct Attr {
  AttrKey key = AttrKey::kOtherAttr;
  uint32_t name_off = 0, name_len = 0;  // lower-case name in Document::strings
  uint32_t val_off = 0, val_len = 0;    // decoded value in Document::strings
};

inline constexpr uint32_t kNone = 0xFFFFFFFFu;

struct Node {
  Tag tag = Tag::kOther;
  uint16_t depth = 0;
  uint32_t parent = kNone, first_child = kNone, last_child = kNone, next = kNone;
  // Text nodes: decoded text. kOther elements: the tag name. In Document::strings.
  uint32_t str_off = 0, str_len = 0;
  uint32_t attr_begin = 0, attr_count = 0;  // into Document::attrs
};

// A parsed HTML document. Owns all of its strings; string_views it hands out live as long as it.
class Document {
 public:
  std::vector<Node> nodes;  // nodes[0] is the root
  std::vector<Attr> attrs;
  std::string strings;
  std::vector<std::string> json_ld;  // text of <script type="application/ld+json">
  std::string title;                 // text of the first <title>
  uint32_t max_depth_seen = 0;

  [[nodiscard]] bool IsText(uint32_t n) const { return nodes[n].tag == Tag::kText; }
  [[nodiscard]] std::string_view Text(uint32_t n) const {
    return std::string_view(strings).substr(nodes[n].str_off, nodes[n].str_len);
  }
  // The tag name (lower case) of an element.
  [[nodiscard]] std::string_view Name(uint32_t n) const;
  // An attribute's decoded value; "" when absent. `*found` tells absent from empty.
  [[nodiscard]] std::string_view Attribute(uint32_t n, std::string_view name, bool* found = nullptr) const;
  [[nodiscard]] std::string_view Attribute(uint32_t n, AttrKey key, bool* found = nullptr) const {
    const Node& nd = nodes[n];
    for (uint32_t k = 0; k < nd.attr_count; ++k) {
      const Attr& a = attrs[nd.attr_begin + k];
      if (a.key == key) {
        if (found) *found = true;
        return std::string_view(strings).substr(a.val_off, a.val_len);
      }
    }
    if (found) *found = false;
    return {};
  }
  [[nodiscard]] bool HasAttribute(uint32_t n, AttrKey key) const {
    bool f = false;
    (void)Attribute(n, key, &f);
    return f;
  }
  [[nodiscard]] bool HasAttribute(uint32_t n, std::string_view name) const {
    bool f = false;
    (void)Attribute(n, name, &f);
    return f;
  }
  // All descendant text, whitespace collapsed, <br> as a space. With `max_bytes`, the walk stops
  // once the text is longer than that (callers that reject long text ask for one byte more).
  [[nodiscard]] std::string InnerText(uint32_t n, size_t max_bytes = SIZE_MAX) const;
};

// Parses UTF-8 HTML. Errors: ERROR_CODE_NESTING_TOO_DEEP when elements nest deeper than
// limits.max_depth, ERROR_CODE_TIMEOUT when parsing runs past `deadline_ns` (steady clock,
// 0 = none).
Result<Document> Parse(std::string_view utf8, const Limits& limits, int64_t deadline_ns);

// Tag lookup by lower-case name; Tag::kOther when unknown.
Tag TagFromName(std::string_view lower_name);
std::string_view TagName(Tag t);

// Steady-clock nanoseconds, for deadlines.
int64_t NowNs();

}  // namespace copydesk::normalize::html
