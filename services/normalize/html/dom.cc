#include "normalize/html/dom.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "normalize/deadline.h"
#include "normalize/html/dom_builder.h"

namespace copydesk::normalize::html {
namespace {

struct TagEntry {
  std::string_view name;
  Tag tag;
};

// Sorted by name for binary search.
constexpr TagEntry kTags[] = {
    {"a", Tag::kA},
    {"abbr", Tag::kAbbr},
    {"address", Tag::kAddress},
    {"area", Tag::kArea},
    {"article", Tag::kArticle},
    {"aside", Tag::kAside},
    {"audio", Tag::kAudio},
    {"b", Tag::kB},
    {"base", Tag::kBase},
    {"big", Tag::kBig},
    {"blockquote", Tag::kBlockquote},
    {"body", Tag::kBody},
    {"br", Tag::kBr},
    {"button", Tag::kButton},
    {"canvas", Tag::kCanvas},
    {"caption", Tag::kCaption},
    {"center", Tag::kCenter},
    {"cite", Tag::kCite},
    {"code", Tag::kCode},
    {"col", Tag::kCol},
    {"dd", Tag::kDd},
    {"del", Tag::kDel},
    {"details", Tag::kDetails},
    {"dialog", Tag::kDialog},
    {"div", Tag::kDiv},
    {"dl", Tag::kDl},
    {"dt", Tag::kDt},
    {"em", Tag::kEm},
    {"embed", Tag::kEmbed},
    {"fieldset", Tag::kFieldset},
    {"figcaption", Tag::kFigcaption},
    {"figure", Tag::kFigure},
    {"font", Tag::kFont},
    {"footer", Tag::kFooter},
    {"form", Tag::kForm},
    {"frameset", Tag::kFrameset},
    {"h1", Tag::kH1},
    {"h2", Tag::kH2},
    {"h3", Tag::kH3},
    {"h4", Tag::kH4},
    {"h5", Tag::kH5},
    {"h6", Tag::kH6},
    {"head", Tag::kHead},
    {"header", Tag::kHeader},
    {"hr", Tag::kHr},
    {"html", Tag::kHtml},
    {"i", Tag::kI},
    {"iframe", Tag::kIframe},
    {"img", Tag::kImg},
    {"input", Tag::kInput},
    {"ins", Tag::kIns},
    {"label", Tag::kLabel},
    {"li", Tag::kLi},
    {"link", Tag::kLink},
    {"main", Tag::kMain},
    {"map", Tag::kMap},
    {"mark", Tag::kMark},
    {"math", Tag::kMath},
    {"menu", Tag::kMenu},
    {"meta", Tag::kMeta},
    {"nav", Tag::kNav},
    {"noembed", Tag::kNoembed},
    {"noframes", Tag::kNoframes},
    {"noscript", Tag::kNoscript},
    {"object", Tag::kObject},
    {"ol", Tag::kOl},
    {"option", Tag::kOption},
    {"p", Tag::kP},
    {"param", Tag::kParam},
    {"picture", Tag::kPicture},
    {"plaintext", Tag::kPlaintext},
    {"pre", Tag::kPre},
    {"q", Tag::kQ},
    {"s", Tag::kS},
    {"script", Tag::kScript},
    {"section", Tag::kSection},
    {"select", Tag::kSelect},
    {"small", Tag::kSmall},
    {"source", Tag::kSource},
    {"span", Tag::kSpan},
    {"strong", Tag::kStrong},
    {"style", Tag::kStyle},
    {"sub", Tag::kSub},
    {"summary", Tag::kSummary},
    {"sup", Tag::kSup},
    {"svg", Tag::kSvg},
    {"table", Tag::kTable},
    {"tbody", Tag::kTbody},
    {"td", Tag::kTd},
    {"template", Tag::kTemplate},
    {"textarea", Tag::kTextarea},
    {"tfoot", Tag::kTfoot},
    {"th", Tag::kTh},
    {"thead", Tag::kThead},
    {"time", Tag::kTime},
    {"title", Tag::kTitle},
    {"tr", Tag::kTr},
    {"track", Tag::kTrack},
    {"u", Tag::kU},
    {"ul", Tag::kUl},
    {"video", Tag::kVideo},
    {"wbr", Tag::kWbr},
    {"xmp", Tag::kXmp},
};

}  // namespace

int64_t NowNs() {
  return SteadyNowNs();
}

Tag TagFromName(std::string_view lower_name) {
  auto it = std::lower_bound(std::begin(kTags), std::end(kTags), lower_name,
                             [](const TagEntry& e, std::string_view n) { return e.name < n; });
  if (it != std::end(kTags) && it->name == lower_name) return it->tag;
  return Tag::kOther;
}

std::string_view TagName(Tag t) {
  for (const auto& e : kTags) {
    if (e.tag == t) return e.name;
  }
  return "";
}

std::string_view Document::Name(uint32_t n) const {
  const Node& nd = nodes[n];
  if (nd.tag == Tag::kOther) return std::string_view(strings).substr(nd.str_off, nd.str_len);
  return TagName(nd.tag);
}

AttrKey AttrKeyFromName(std::string_view n) {
  struct Entry {
    std::string_view name;
    AttrKey key;
  };
  static constexpr Entry kKeys[] = {
      {"alt", AttrKey::kAlt},
      {"aria-hidden", AttrKey::kAriaHidden},
      {"charset", AttrKey::kCharset},
      {"class", AttrKey::kClass},
      {"content", AttrKey::kContent},
      {"data-original", AttrKey::kDataOriginal},
      {"data-src", AttrKey::kDataSrc},
      {"data-srcset", AttrKey::kDataSrcset},
      {"datetime", AttrKey::kDatetime},
      {"hidden", AttrKey::kHidden},
      {"href", AttrKey::kHref},
      {"http-equiv", AttrKey::kHttpEquiv},
      {"id", AttrKey::kId},
      {"itemprop", AttrKey::kItemprop},
      {"lang", AttrKey::kLang},
      {"name", AttrKey::kName},
      {"property", AttrKey::kProperty},
      {"rel", AttrKey::kRel},
      {"role", AttrKey::kRole},
      {"src", AttrKey::kSrc},
      {"srcset", AttrKey::kSrcset},
      {"style", AttrKey::kStyle},
      {"title", AttrKey::kTitle},
      {"type", AttrKey::kType},
      {"xml:lang", AttrKey::kXmlLang},
  };
  if (n.size() < 2 || n.size() > 13) return AttrKey::kOtherAttr;
  auto it = std::lower_bound(std::begin(kKeys), std::end(kKeys), n,
                             [](const Entry& e, std::string_view x) { return e.name < x; });
  if (it != std::end(kKeys) && it->name == n) return it->key;
  return AttrKey::kOtherAttr;
}

std::string_view Document::Attribute(uint32_t n, std::string_view name, bool* found) const {
  const Node& nd = nodes[n];
  if (nd.tag == Tag::kText || nd.attr_count == 0) {
    if (found) *found = false;
    return {};
  }
  std::string_view s(strings);
  const AttrKey key = AttrKeyFromName(name);
  if (key != AttrKey::kOtherAttr) {
    for (uint32_t k = 0; k < nd.attr_count; ++k) {
      const Attr& a = attrs[nd.attr_begin + k];
      if (a.key == key) {
        if (found) *found = true;
        return s.substr(a.val_off, a.val_len);
      }
    }
    if (found) *found = false;
    return {};
  }
  for (uint32_t k = 0; k < nd.attr_count; ++k) {
    const Attr& a = attrs[nd.attr_begin + k];
    if (s.substr(a.name_off, a.name_len) == name) {
      if (found) *found = true;
      return s.substr(a.val_off, a.val_len);
    }
  }
  if (found) *found = false;
  return {};
}

std::string Document::InnerText(uint32_t n, size_t max_bytes) const {
  std::string out;
  if (nodes[n].tag == Tag::kText) return std::string(Text(n).substr(0, max_bytes));
  // Iterative pre-order walk of the subtree.
  uint32_t cur = nodes[n].first_child;
  bool last_space = true;
  while (cur != kNone && out.size() <= max_bytes) {
    const Node& c = nodes[cur];
    if (c.tag == Tag::kText) {
      std::string_view t = Text(cur);
      const size_t room = max_bytes - std::min(max_bytes, out.size());
      internal::AppendCollapsed(room >= t.size() ? t : t.substr(0, room + 1), out, &last_space);
    } else if (c.tag == Tag::kBr) {
      if (!last_space) out.push_back(' ');
      last_space = true;
    }
    if (c.first_child != kNone && c.tag != Tag::kTemplate && c.tag != Tag::kSvg) {
      cur = c.first_child;
      continue;
    }
    while (cur != kNone && nodes[cur].next == kNone) {
      cur = nodes[cur].parent;
      if (cur == n) cur = kNone;
    }
    if (cur != kNone) cur = nodes[cur].next;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

Result<Document> Parse(std::string_view utf8, const Limits& limits, int64_t deadline_ns) {
  internal::Builder b(utf8, limits, deadline_ns);
  return b.Run();
}

}  // namespace copydesk::normalize::html
