#include "normalize/html/sanitize.h"

#include <string_view>

#include "normalize/ascii.h"
#include "normalize/deadline.h"
#include "normalize/internal.h"

namespace copydesk::normalize::html {
namespace {

enum class Action { kKeep, kUnwrap, kDrop };

// What becomes of an element, and the name it is written under.
struct Rule {
  Action action = Action::kUnwrap;
  std::string_view name;
};

// The NITF body.content vocabulary, and unknown elements (unwrapped).
Rule RuleForName(std::string_view name) {
  if (name == "hl1" || name == "hl2") return {Action::kKeep, "h2"};
  if (name == "bq") return {Action::kKeep, "blockquote"};
  if (name == "credit") return {Action::kKeep, "p"};  // a block quote's attribution
  if (name == "media") return {Action::kKeep, "figure"};
  if (name == "media-reference") return {Action::kKeep, "img"};
  if (name == "media-caption") return {Action::kKeep, "figcaption"};
  if (name == "media-metadata" || name == "media-object" || name == "media-producer" ||
      name == "nitf-table-metadata" || name == "frame" || name == "frameset" || name == "applet" ||
      name == "portal" || name == "fencedframe")
    return {Action::kDrop, {}};
  return {Action::kUnwrap, {}};
}

// What becomes of element `n`: one flat switch over the tags, then the names of elements the
// parser does not know.
Rule RuleFor(const Document& doc, uint32_t n) {
  const Tag t = doc.nodes[n].tag;
  switch (t) {
    case Tag::kP:
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kUl:
    case Tag::kOl:
    case Tag::kLi:
    case Tag::kBlockquote:
    case Tag::kTable:
    case Tag::kCaption:
    case Tag::kThead:
    case Tag::kTbody:
    case Tag::kTfoot:
    case Tag::kTr:
    case Tag::kTh:
    case Tag::kTd:
    case Tag::kA:
    case Tag::kEm:
    case Tag::kStrong:
    case Tag::kI:
    case Tag::kB:
    case Tag::kSub:
    case Tag::kSup:
    case Tag::kBr:
    case Tag::kFigure:
    case Tag::kFigcaption:
    case Tag::kImg: return {Action::kKeep, TagName(t)};
    case Tag::kScript:
    case Tag::kStyle:
    case Tag::kIframe:
    case Tag::kObject:
    case Tag::kEmbed:
    case Tag::kSvg:
    case Tag::kMath:
    case Tag::kTemplate:
    case Tag::kForm:
    case Tag::kSelect:
    case Tag::kTextarea:
    case Tag::kButton:
    case Tag::kInput:
    case Tag::kNoscript:
    case Tag::kHead:
    case Tag::kTitle:
    case Tag::kCanvas:
    case Tag::kAudio:
    case Tag::kVideo:
    case Tag::kSource:
    case Tag::kTrack:
    case Tag::kMeta:
    case Tag::kLink:
    case Tag::kBase:
    case Tag::kMap:
    case Tag::kArea:
    case Tag::kParam:
    case Tag::kNoembed:
    case Tag::kNoframes:
    case Tag::kXmp:
    case Tag::kPlaintext:
    case Tag::kFrameset:
    case Tag::kDialog:
    case Tag::kOption:
    case Tag::kHr:
    case Tag::kCol:
    case Tag::kWbr: return {Action::kDrop, {}};
    case Tag::kOther: break;
    default: return {Action::kUnwrap, {}};
  }
  return RuleForName(doc.Name(n));
}

// Elements between which whitespace means nothing.
bool IsBlock(const Document& doc, uint32_t n) {
  if (n == kNone || doc.IsText(n)) return false;
  switch (doc.nodes[n].tag) {
    case Tag::kP:
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kUl:
    case Tag::kOl:
    case Tag::kLi:
    case Tag::kDl:
    case Tag::kDt:
    case Tag::kDd:
    case Tag::kBlockquote:
    case Tag::kTable:
    case Tag::kCaption:
    case Tag::kThead:
    case Tag::kTbody:
    case Tag::kTfoot:
    case Tag::kTr:
    case Tag::kTh:
    case Tag::kTd:
    case Tag::kFigure:
    case Tag::kFigcaption:
    case Tag::kImg:
    case Tag::kDiv:
    case Tag::kSection:
    case Tag::kArticle:
    case Tag::kMain:
    case Tag::kHeader:
    case Tag::kFooter:
    case Tag::kAside:
    case Tag::kNav:
    case Tag::kPre:
    case Tag::kHr:
    case Tag::kHtml:
    case Tag::kHead:
    case Tag::kBody:
    case Tag::kScript:
    case Tag::kStyle: return true;
    case Tag::kOther: {
      std::string_view name = doc.Name(n);
      return name == "hl1" || name == "hl2" || name == "bq" || name == "block" || name == "media" ||
             name == "media-reference" || name == "media-caption" || name == "media-producer" ||
             name == "nitf-table" || name == "nitf-table-metadata" || name == "credit";
    }
    default: return false;
  }
}

bool IsWhitespace(std::string_view s) {
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool IsVoid(std::string_view name) {
  return name == "br" || name == "img";
}

bool Digits(std::string_view v) {
  if (v.empty() || v.size() > 6) return false;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

void AppendEscaped(std::string& out, std::string_view s, bool attribute) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"':
        if (attribute) {
          out += "&quot;";
        } else {
          out += '"';
        }
        break;
      default:
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
          out += ' ';  // other control characters (and DEL) are not allowed in HTML text
        } else {
          out += ch;
        }
    }
  }
}

void AppendAttr(std::string& out, std::string_view name, std::string_view value) {
  out += ' ';
  out += name;
  out += "=\"";
  AppendEscaped(out, value, true);
  out += '"';
}

// An absolute http(s) URL in its canonical form, "" for anything else (relative, javascript:,
// data:, ...).
std::string SafeUrl(std::string_view url) {
  return internal::CanonicalizeUrl(url);
}

class Sanitizer {
 public:
  explicit Sanitizer(const Document& doc) : doc_(doc) {}

  std::string Run() {
    Children(0, 0);
    return std::move(out_);
  }

 private:
  struct Context {
    int list = 0;    // inside ul/ol (li allowed)
    int table = 0;   // inside table (rows and cells allowed)
    int figure = 0;  // inside figure (figcaption and img allowed)
    int link = 0;    // inside a (no nested a)
  };

  void Children(uint32_t n, int depth) {
    uint32_t prev = kNone;
    for (uint32_t c = doc_.nodes[n].first_child; c != kNone; c = doc_.nodes[c].next) {
      if (out_.size() > kMaxBodyHtmlBytes || DeadlinePassed()) return;
      Node(c, prev, depth + 1);
      prev = c;
    }
  }

  void Node(uint32_t n, uint32_t prev, int depth) {
    if (doc_.IsText(n)) {
      const std::string_view text = doc_.Text(n);
      // Whitespace next to a block or at the edge of one is layout, not content.
      if (IsWhitespace(text)) {
        const ::copydesk::normalize::html::Node& nd = doc_.nodes[n];
        const bool edge = nd.next == kNone || prev == kNone;
        if (edge || IsBlock(doc_, nd.next) || IsBlock(doc_, prev) || nd.parent == 0) return;
      }
      AppendEscaped(out_, text, false);
      return;
    }
    if (depth > 256) return;
    Rule rule = RuleFor(doc_, n);
    if (rule.action == Action::kDrop) return;
    std::string_view name = rule.name;
    // Content-model repairs: list items, table parts, captions and images only where they belong.
    if (rule.action == Action::kKeep) {
      if (name == "li" && ctx_.list == 0) name = "p";
      if ((name == "tr" || name == "td" || name == "th" || name == "thead" || name == "tbody" ||
           name == "tfoot" || name == "caption") &&
          ctx_.table == 0)
        rule.action = Action::kUnwrap;
      if (name == "figcaption" && ctx_.figure == 0) name = "p";
      if (name == "img" && ctx_.figure == 0) return;
      if (name == "a" && ctx_.link > 0) rule.action = Action::kUnwrap;
    }
    if (rule.action == Action::kUnwrap) {
      Children(n, depth);
      return;
    }
    const size_t mark = out_.size();
    out_ += '<';
    out_ += name;
    if (!Attributes(n, name)) {
      out_.resize(mark);
      Children(n, depth);  // a link without a safe href is its text
      return;
    }
    if (IsVoid(name)) {
      out_ += "/>";
      // An unknown element written self-closed (NITF's <media-reference/>) holds, once parsed as
      // HTML, the elements that followed it.
      Children(n, depth);
      return;
    }
    out_ += '>';
    const size_t content = out_.size();
    const Context saved = ctx_;
    if (name == "ul" || name == "ol") ++ctx_.list;
    if (name == "table") ++ctx_.table;
    if (name == "figure") ++ctx_.figure;
    if (name == "a") ++ctx_.link;
    Children(n, depth);
    ctx_ = saved;
    if (out_.size() == content || IsBlank(content)) {
      out_.resize(mark);  // empty element
      return;
    }
    out_ += "</";
    out_ += name;
    out_ += '>';
  }

  // Writes the allowed attributes; false when the element cannot stand without one it lacks.
  bool Attributes(uint32_t n, std::string_view name) {
    if (name == "a") {
      std::string href = SafeUrl(doc_.Attribute(n, AttrKey::kHref));
      if (href.empty()) return false;
      AppendAttr(out_, "href", href);
      return true;
    }
    if (name == "img") {
      std::string_view src = doc_.Attribute(n, AttrKey::kSrc);
      if (src.empty()) src = doc_.Attribute(n, "source");  // NITF media-reference
      if (src.empty()) src = doc_.Attribute(n, AttrKey::kDataSrc);
      std::string url = SafeUrl(src);
      if (url.empty()) return false;
      AppendAttr(out_, "src", url);
      std::string_view alt = doc_.Attribute(n, AttrKey::kAlt);
      if (alt.empty()) alt = doc_.Attribute(n, "alternate-text");
      if (!alt.empty()) AppendAttr(out_, "alt", alt);
      for (std::string_view dim : {"width", "height"}) {
        std::string_view v = doc_.Attribute(n, dim);
        if (Digits(v)) AppendAttr(out_, dim, v);
      }
      return true;
    }
    if (name == "td" || name == "th") {
      for (std::string_view span : {"colspan", "rowspan"}) {
        std::string_view v = doc_.Attribute(n, span);
        if (Digits(v)) AppendAttr(out_, span, v);
      }
    }
    return true;
  }

  // True when everything written since `from` is whitespace (no text, no image, no break).
  bool IsBlank(size_t from) const {
    for (size_t i = from; i < out_.size(); ++i) {
      char c = out_[i];
      if (c != ' ' && c != '\n' && c != '\t') return false;
    }
    return true;
  }

  const Document& doc_;
  std::string out_;
  Context ctx_;
};

}  // namespace

std::string SanitizeHtml(const Document& doc) {
  if (doc.nodes.empty()) return "";
  std::string out = Sanitizer(doc).Run();
  // Trim the whitespace between top-level elements at both ends.
  size_t b = out.find_first_not_of(" \n\t");
  if (b == std::string::npos) return "";
  size_t e = out.find_last_not_of(" \n\t");
  return out.substr(b, e - b + 1);
}

std::string BlocksToHtml(const google::protobuf::RepeatedPtrField<v1::BodyBlock>& body) {
  std::string out;
  std::string_view open_list;
  for (const auto& b : body) {
    if (b.text().empty()) continue;
    if (out.size() > kMaxBodyHtmlBytes) break;
    std::string_view list = b.type() == v1::BLOCK_TYPE_LIST_ITEM ? (b.ordered() ? "ol" : "ul") : "";
    if (list != open_list) {
      if (!open_list.empty()) out += "</" + std::string(open_list) + ">";
      if (!list.empty()) out += "<" + std::string(list) + ">";
      open_list = list;
    }
    std::string_view tag = "p";
    if (b.type() == v1::BLOCK_TYPE_SUBHEADING) tag = "h2";
    if (b.type() == v1::BLOCK_TYPE_LIST_ITEM) tag = "li";
    if (b.type() == v1::BLOCK_TYPE_BLOCK_QUOTE) tag = "blockquote";
    out += '<';
    out += tag;
    out += '>';
    AppendEscaped(out, b.text(), false);
    out += "</";
    out += tag;
    out += '>';
  }
  if (!open_list.empty()) out += "</" + std::string(open_list) + ">";
  return out;
}

}  // namespace copydesk::normalize::html
