#include "normalize/html/dom.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "normalize/deadline.h"

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

bool IsSpace(char c) {
  return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f';
}
bool IsAlpha(char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
char Lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c | 0x20) : c;
}

bool IsVoid(Tag t) {
  switch (t) {
    case Tag::kArea:
    case Tag::kBase:
    case Tag::kBr:
    case Tag::kCol:
    case Tag::kEmbed:
    case Tag::kHr:
    case Tag::kImg:
    case Tag::kInput:
    case Tag::kLink:
    case Tag::kMeta:
    case Tag::kParam:
    case Tag::kSource:
    case Tag::kTrack:
    case Tag::kWbr: return true;
    default: return false;
  }
}

// Start tags that close an open <p>.
bool ClosesP(Tag t) {
  switch (t) {
    case Tag::kAddress:
    case Tag::kArticle:
    case Tag::kAside:
    case Tag::kBlockquote:
    case Tag::kCenter:
    case Tag::kDetails:
    case Tag::kDialog:
    case Tag::kDiv:
    case Tag::kDl:
    case Tag::kFieldset:
    case Tag::kFigcaption:
    case Tag::kFigure:
    case Tag::kFooter:
    case Tag::kForm:
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kHeader:
    case Tag::kHr:
    case Tag::kMain:
    case Tag::kMenu:
    case Tag::kNav:
    case Tag::kOl:
    case Tag::kP:
    case Tag::kPre:
    case Tag::kSection:
    case Tag::kSummary:
    case Tag::kTable:
    case Tag::kUl:
    case Tag::kLi:
    case Tag::kDd:
    case Tag::kDt:
    case Tag::kXmp:
    case Tag::kPlaintext: return true;
    default: return false;
  }
}

// Elements that bound the search for an open element to close (HTML "scope").
bool IsScopeBoundary(Tag t) {
  switch (t) {
    case Tag::kTable:
    case Tag::kTd:
    case Tag::kTh:
    case Tag::kCaption:
    case Tag::kHtml:
    case Tag::kTemplate:
    case Tag::kObject:
    case Tag::kRoot:
    case Tag::kButton: return true;
    default: return false;
  }
}

// Containers that stop the implied closing of an <li>/<dd>/<dt>.
bool StopsListItemSearch(Tag t) {
  switch (t) {
    case Tag::kUl:
    case Tag::kOl:
    case Tag::kMenu:
    case Tag::kDl:
    case Tag::kTable:
    case Tag::kTd:
    case Tag::kTh:
    case Tag::kBody:
    case Tag::kHtml:
    case Tag::kRoot:
    case Tag::kArticle:
    case Tag::kSection:
    case Tag::kAside:
    case Tag::kNav:
    case Tag::kHeader:
    case Tag::kFooter:
    case Tag::kMain:
    case Tag::kBlockquote:
    case Tag::kFigure:
    case Tag::kForm:
    case Tag::kButton:
    case Tag::kTemplate:
    case Tag::kObject: return true;
    default: return false;
  }
}

// Appends `in` with runs of white space (and no-break spaces) collapsed to one space.
// `*last_space` carries the state across calls.
void AppendCollapsed(std::string_view in, std::string& out, bool* last_space) {
  const size_t n = in.size();
  for (size_t i = 0; i < n; ++i) {
    char c = in[i];
    bool sp = IsSpace(c);
    if (!sp && c == '\xC2' && i + 1 < n && in[i + 1] == '\xA0') {
      sp = true;
      ++i;
    }
    if (sp) {
      if (!*last_space) out.push_back(' ');
      *last_space = true;
    } else {
      out.push_back(c);
      *last_space = false;
    }
  }
}

class Builder {
 public:
  Builder(std::string_view in, const Limits& limits, int64_t deadline_ns)
      : in_(in), limits_(limits), deadline_ns_(deadline_ns) {
    doc_.nodes.reserve(in.size() / 40 + 16);
    doc_.strings.reserve(in.size() / 2 + 64);
    Node root;
    root.tag = Tag::kRoot;
    doc_.nodes.push_back(root);
    stack_.push_back(0);
  }

  Result<Document> Run();

 private:
  [[nodiscard]] uint32_t Current() const { return stack_.back(); }
  Tag CurrentTag() const { return doc_.nodes[stack_.back()].tag; }

  uint32_t Append(Node node) {
    uint32_t parent = Current();
    node.parent = parent;
    node.depth = static_cast<uint16_t>(std::min<size_t>(stack_.size(), 0xFFFF));
    auto id = static_cast<uint32_t>(doc_.nodes.size());
    doc_.nodes.push_back(node);
    Node& p = doc_.nodes[parent];
    if (p.last_child == kNone) {
      p.first_child = id;
    } else {
      doc_.nodes[p.last_child].next = id;
    }
    p.last_child = id;
    return id;
  }

  void AddText(std::string_view raw);
  // Closes every element from stack_[stack_index] up.
  void PopTo(size_t stack_index) {
    for (size_t j = stack_index; j < stack_.size(); ++j) {
      Tag t = doc_.nodes[stack_[j]].tag;
      if (t == Tag::kPre) --pre_depth_;
      if (t == Tag::kSvg || t == Tag::kMath) --foreign_depth_;
      --open_count_[static_cast<size_t>(t)];
    }
    stack_.resize(stack_index);
  }
  // Index in stack_ of the nearest open `t` before a scope boundary; 0 when none.
  size_t FindInScope(Tag t, bool list_scope) const;
  bool StartTag(size_t* pos);
  // Removes the later repetitions of an attribute name among attrs[attr_begin..] in
  // O(k log k): a tag with many attributes must not cost k^2 comparisons.
  void DropDuplicateAttrs(uint32_t attr_begin);
  // Text between tags, in slices with the deadline checked between them.
  void AddTextRun(std::string_view raw);
  // Index just past the end of the comment that starts at `i` ("<!--").
  size_t CommentEnd(size_t i) const;
  void EndTag(size_t* pos);
  void HandleStart(Tag tag, uint32_t name_off, uint32_t name_len, uint32_t attr_begin, uint32_t attr_count,
                   bool self_closing, size_t* pos);
  void SkipRawText(std::string_view name, size_t* pos, std::string* keep);

  std::string_view in_;
  const Limits& limits_;
  int64_t deadline_ns_;
  Document doc_;
  std::vector<uint32_t> stack_;
  int pre_depth_ = 0;
  // Open elements per tag: lets the searches below skip tags that are not open at all (keeps
  // deep nesting linear).
  std::array<uint32_t, static_cast<size_t>(Tag::kCount)> open_count_{};
  [[nodiscard]] bool IsOpen(Tag t) const { return open_count_[static_cast<size_t>(t)] > 0; }
  int foreign_depth_ = 0;
  bool too_deep_ = false;
  // Set when the deadline passed inside a token; Run() then returns ERROR_CODE_TIMEOUT.
  bool timed_out_ = false;
  std::string scratch_;
  std::vector<uint32_t> dedup_order_;  // scratch for DropDuplicateAttrs
};

void Builder::AddText(std::string_view raw) {
  if (raw.empty()) return;
  std::string_view text = raw;
  if (raw.find('&') != std::string_view::npos) {
    scratch_.clear();
    DecodeEntities(raw, scratch_);
    text = scratch_;
  }
  uint32_t cur = Current();
  Node& p = doc_.nodes[cur];
  std::string& s = doc_.strings;
  if (p.last_child != kNone && doc_.nodes[p.last_child].tag == Tag::kText &&
      doc_.nodes[p.last_child].str_off + doc_.nodes[p.last_child].str_len == s.size()) {
    Node& t = doc_.nodes[p.last_child];
    if (pre_depth_ > 0) {
      s.append(text);
    } else {
      bool last_space = t.str_len > 0 && s.back() == ' ';
      AppendCollapsed(text, s, &last_space);
    }
    t.str_len = static_cast<uint32_t>(s.size() - t.str_off);
    return;
  }
  auto off = static_cast<uint32_t>(s.size());
  if (pre_depth_ > 0) {
    s.append(text);
  } else {
    bool last_space = false;
    AppendCollapsed(text, s, &last_space);
  }
  Node t;
  t.tag = Tag::kText;
  t.str_off = off;
  t.str_len = static_cast<uint32_t>(s.size() - off);
  if (t.str_len == 0) return;
  Append(t);
}

size_t Builder::FindInScope(Tag t, bool list_scope) const {
  for (size_t i = stack_.size() - 1; i > 0; --i) {
    Tag at = doc_.nodes[stack_[i]].tag;
    if (at == t) return i;
    if (IsScopeBoundary(at)) return 0;
    if (list_scope && (at == Tag::kUl || at == Tag::kOl)) return 0;
  }
  return 0;
}

void Builder::SkipRawText(std::string_view name, size_t* pos, std::string* keep) {
  // Find "</name" case-insensitively.
  size_t i = *pos;
  const size_t n = in_.size();
  while (i < n) {
    const void* lt = std::memchr(in_.data() + i, '<', n - i);
    if (!lt) break;
    size_t j = static_cast<size_t>(static_cast<const char*>(lt) - in_.data());
    if (j + 1 + name.size() < n && in_[j + 1] == '/') {
      bool match = true;
      for (size_t k = 0; k < name.size(); ++k) {
        if (Lower(in_[j + 2 + k]) != name[k]) {
          match = false;
          break;
        }
      }
      char after = j + 2 + name.size() < n ? in_[j + 2 + name.size()] : '>';
      if (match && (IsSpace(after) || after == '>' || after == '/')) {
        if (keep) keep->assign(in_.substr(*pos, j - *pos));
        const void* gt = std::memchr(in_.data() + j, '>', n - j);
        *pos = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;
        return;
      }
    }
    i = j + 1;
  }
  if (keep) keep->assign(in_.substr(*pos));
  *pos = n;
}

void Builder::HandleStart(Tag tag, uint32_t name_off, uint32_t name_len, uint32_t attr_begin,
                          uint32_t attr_count, bool self_closing, size_t* pos) {
  // Raw-text elements: their content never becomes nodes.
  switch (tag) {
    case Tag::kScript: {
      bool json_ld = false;
      for (uint32_t k = 0; k < attr_count; ++k) {
        const Attr& a = doc_.attrs[attr_begin + k];
        if (std::string_view(doc_.strings).substr(a.name_off, a.name_len) == "type") {
          std::string_view v = std::string_view(doc_.strings).substr(a.val_off, a.val_len);
          json_ld = v.size() >= 19 && std::equal(v.begin(), v.begin() + 19, "application/ld+json",
                                                 [](char x, char y) { return Lower(x) == y; });
        }
      }
      doc_.attrs.resize(attr_begin);
      if (json_ld) {
        std::string text;
        SkipRawText("script", pos, &text);
        doc_.json_ld.push_back(std::move(text));
      } else {
        SkipRawText("script", pos, nullptr);
      }
      return;
    }
    case Tag::kStyle:
      doc_.attrs.resize(attr_begin);
      SkipRawText("style", pos, nullptr);
      return;
    case Tag::kNoscript:
      doc_.attrs.resize(attr_begin);
      SkipRawText("noscript", pos, nullptr);
      return;
    case Tag::kIframe:
      doc_.attrs.resize(attr_begin);
      SkipRawText("iframe", pos, nullptr);
      return;
    case Tag::kNoembed: SkipRawText("noembed", pos, nullptr); return;
    case Tag::kNoframes: SkipRawText("noframes", pos, nullptr); return;
    case Tag::kXmp: SkipRawText("xmp", pos, nullptr); return;
    case Tag::kTextarea: SkipRawText("textarea", pos, nullptr); return;
    case Tag::kPlaintext: *pos = in_.size(); return;
    case Tag::kTitle: {
      std::string raw;
      SkipRawText("title", pos, &raw);
      if (doc_.title.empty() && foreign_depth_ == 0) {
        std::string decoded;
        DecodeEntities(raw, decoded);
        bool last_space = true;
        AppendCollapsed(decoded, doc_.title, &last_space);
        while (!doc_.title.empty() && doc_.title.back() == ' ') doc_.title.pop_back();
      }
      return;
    }
    default: break;
  }
  if ((tag == Tag::kHtml || tag == Tag::kBody || tag == Tag::kHead) && IsOpen(tag)) {
    return;  // merged into the open one
  }
  if (foreign_depth_ == 0) {
    if (ClosesP(tag) && IsOpen(Tag::kP)) {
      if (size_t i = FindInScope(Tag::kP, false)) PopTo(i);
    }
    if (IsHeading(tag) && IsHeading(CurrentTag())) PopTo(stack_.size() - 1);
    if ((tag == Tag::kLi && IsOpen(Tag::kLi)) ||
        ((tag == Tag::kDd || tag == Tag::kDt) && (IsOpen(Tag::kDd) || IsOpen(Tag::kDt)))) {
      for (size_t i = stack_.size() - 1; i > 0; --i) {
        Tag at = doc_.nodes[stack_[i]].tag;
        if (at == tag || (tag != Tag::kLi && (at == Tag::kDd || at == Tag::kDt))) {
          PopTo(i);
          break;
        }
        if (StopsListItemSearch(at)) break;
      }
    } else if ((tag == Tag::kTr || tag == Tag::kTd || tag == Tag::kTh || tag == Tag::kTbody ||
                tag == Tag::kThead || tag == Tag::kTfoot) &&
               IsOpen(Tag::kTable)) {
      const bool cell = tag == Tag::kTd || tag == Tag::kTh;
      const bool section = tag == Tag::kTbody || tag == Tag::kThead || tag == Tag::kTfoot;
      for (size_t i = stack_.size() - 1; i > 0; --i) {
        Tag at = doc_.nodes[stack_[i]].tag;
        if (at == Tag::kTable) break;
        bool closes = cell      ? (at == Tag::kTd || at == Tag::kTh)
                      : section ? (at == Tag::kTbody || at == Tag::kThead || at == Tag::kTfoot)
                                : at == Tag::kTr;
        if (closes) {
          PopTo(i);
          break;
        }
        if (cell && at == Tag::kTr) break;
        if (!section && (at == Tag::kTbody || at == Tag::kThead || at == Tag::kTfoot)) break;
      }
    } else if (tag == Tag::kOption && CurrentTag() == Tag::kOption) {
      PopTo(stack_.size() - 1);
    } else if (tag == Tag::kA && IsOpen(Tag::kA)) {
      for (size_t i = stack_.size() - 1, k = 0; i > 0 && k < 8; --i, ++k) {
        if (doc_.nodes[stack_[i]].tag == Tag::kA) {
          PopTo(i);
          break;
        }
      }
    }
  }
  Node node;
  node.tag = tag;
  node.attr_begin = attr_begin;
  node.attr_count = attr_count;
  if (tag == Tag::kOther) {
    node.str_off = name_off;
    node.str_len = name_len;
  }
  uint32_t id = Append(node);
  const bool is_void = IsVoid(tag) || (self_closing && (tag == Tag::kOther || foreign_depth_ > 0));
  if (is_void) return;
  stack_.push_back(id);
  ++open_count_[static_cast<size_t>(tag)];
  if (stack_.size() - 1 > doc_.max_depth_seen) doc_.max_depth_seen = static_cast<uint32_t>(stack_.size() - 1);
  if (stack_.size() - 1 > limits_.max_depth) too_deep_ = true;
  if (tag == Tag::kPre) ++pre_depth_;
  if (tag == Tag::kSvg || tag == Tag::kMath) ++foreign_depth_;
}

// At '<' followed by a letter. Returns false when the tag is cut off by the end of input (or
// the deadline passed inside it).
bool Builder::StartTag(size_t* pos) {
  // Attribute values are kept up to this many bytes: enough for any URL, class list or meta
  // content; a longer one is cut (on a UTF-8 boundary) before its references are decoded.
  constexpr size_t kMaxAttrValue = 64 * 1024;
  // Up to this many attributes the duplicate check is a scan; past it, one sort at the end.
  constexpr size_t kScanAttrs = 16;
  const size_t n = in_.size();
  size_t i = *pos + 1;
  size_t name_start = i;
  while (i < n && !IsSpace(in_[i]) && in_[i] != '>' && in_[i] != '/') ++i;
  if (i >= n) return false;
  std::string& s = doc_.strings;
  auto name_off = static_cast<uint32_t>(s.size());
  for (size_t k = name_start; k < i; ++k) s.push_back(Lower(in_[k]));
  auto name_len = static_cast<uint32_t>(i - name_start);
  Tag tag = TagFromName(std::string_view(s).substr(name_off, name_len));
  if (tag != Tag::kOther) s.resize(name_off);
  auto attr_begin = static_cast<uint32_t>(doc_.attrs.size());
  bool self_closing = false;
  bool many_attrs = false;
  for (uint32_t seen = 1;; ++seen) {
    if ((seen & 1023) == 0 && PastDeadline(deadline_ns_)) {
      timed_out_ = true;
      return false;
    }
    while (i < n && (IsSpace(in_[i]) || in_[i] == '/')) {
      if (in_[i] == '/' && i + 1 < n && in_[i + 1] == '>') self_closing = true;
      ++i;
    }
    if (i >= n) return false;
    if (in_[i] == '>') {
      ++i;
      break;
    }
    size_t an = i;
    while (i < n && !IsSpace(in_[i]) && in_[i] != '>' && in_[i] != '/' && in_[i] != '=') ++i;
    if (i == an) ++i;  // a lone '=': skip it
    Attr a;
    a.name_off = static_cast<uint32_t>(s.size());
    for (size_t k = an; k < i; ++k) s.push_back(Lower(in_[k]));
    a.name_len = static_cast<uint32_t>(s.size() - a.name_off);
    while (i < n && IsSpace(in_[i])) ++i;
    std::string_view value;
    if (i < n && in_[i] == '=') {
      ++i;
      while (i < n && IsSpace(in_[i])) ++i;
      if (i >= n) return false;
      if (in_[i] == '"' || in_[i] == '\'') {
        char q = in_[i++];
        const void* e = std::memchr(in_.data() + i, q, n - i);
        if (!e) return false;
        size_t end = static_cast<size_t>(static_cast<const char*>(e) - in_.data());
        value = in_.substr(i, end - i);
        i = end + 1;
      } else {
        size_t vs = i;
        while (i < n && !IsSpace(in_[i]) && in_[i] != '>') ++i;
        value = in_.substr(vs, i - vs);
      }
    }
    // Event handlers and inline data blobs are never needed.
    std::string_view aname = std::string_view(s).substr(a.name_off, a.name_len);
    if (a.name_len == 0 || (aname.size() > 2 && aname[0] == 'o' && aname[1] == 'n')) {
      s.resize(a.name_off);
      continue;
    }
    if (value.size() > kMaxAttrValue) {
      size_t cut = kMaxAttrValue;
      while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
      value = value.substr(0, cut);
    }
    a.key = AttrKeyFromName(aname);
    a.val_off = static_cast<uint32_t>(s.size());
    if (value.find('&') != std::string_view::npos) {
      DecodeEntities(value, s, /*in_attribute=*/true);
    } else {
      s.append(value);
    }
    a.val_len = static_cast<uint32_t>(s.size() - a.val_off);
    bool duplicate = false;
    if (doc_.attrs.size() - attr_begin < kScanAttrs) {
      for (size_t k = attr_begin; k < doc_.attrs.size() && !duplicate; ++k) {
        const Attr& b = doc_.attrs[k];
        duplicate = std::string_view(s).substr(b.name_off, b.name_len) ==
                    std::string_view(s).substr(a.name_off, a.name_len);
      }
    } else {
      many_attrs = true;
    }
    if (duplicate) {
      s.resize(a.name_off);
    } else {
      doc_.attrs.push_back(a);
    }
  }
  if (many_attrs) DropDuplicateAttrs(attr_begin);
  *pos = i;
  HandleStart(tag, name_off, name_len, attr_begin, static_cast<uint32_t>(doc_.attrs.size() - attr_begin),
              self_closing, pos);
  return true;
}

void Builder::DropDuplicateAttrs(uint32_t attr_begin) {
  const std::string_view s(doc_.strings);
  auto name = [&](uint32_t k) { return s.substr(doc_.attrs[k].name_off, doc_.attrs[k].name_len); };
  auto& order = dedup_order_;
  order.resize(doc_.attrs.size() - attr_begin);
  for (uint32_t k = 0; k < order.size(); ++k) order[k] = attr_begin + k;
  // Equal names end up adjacent, the first occurrence first.
  std::stable_sort(order.begin(), order.end(), [&](uint32_t x, uint32_t y) { return name(x) < name(y); });
  std::vector<uint8_t> drop(order.size(), 0);
  for (size_t k = 1; k < order.size(); ++k) {
    if (name(order[k]) == name(order[k - 1])) drop[order[k] - attr_begin] = 1;
  }
  size_t out = attr_begin;
  for (size_t k = attr_begin; k < doc_.attrs.size(); ++k) {
    if (!drop[k - attr_begin]) doc_.attrs[out++] = doc_.attrs[k];
  }
  doc_.attrs.resize(out);
}

void Builder::EndTag(size_t* pos) {
  const size_t n = in_.size();
  size_t i = *pos + 2;
  size_t name_start = i;
  while (i < n && !IsSpace(in_[i]) && in_[i] != '>' && in_[i] != '/') ++i;
  char name[16];
  size_t len = std::min<size_t>(i - name_start, sizeof(name));
  for (size_t k = 0; k < len; ++k) name[k] = Lower(in_[name_start + k]);
  std::string_view lname(name, len);
  Tag tag = (i - name_start) <= sizeof(name) ? TagFromName(lname) : Tag::kOther;
  const void* gt = std::memchr(in_.data() + i, '>', n - i);
  *pos = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;

  if (tag == Tag::kBr) {
    HandleStart(Tag::kBr, 0, 0, static_cast<uint32_t>(doc_.attrs.size()), 0, false, pos);
    return;
  }
  if (tag == Tag::kBody || tag == Tag::kHtml || tag == Tag::kHead) {
    if (tag == Tag::kHead) {
      if (size_t k = FindInScope(Tag::kHead, false)) PopTo(k);
    }
    return;
  }
  if (tag != Tag::kOther && !IsOpen(tag) &&
      !(IsHeading(tag) && (IsOpen(Tag::kH1) || IsOpen(Tag::kH2) || IsOpen(Tag::kH3) || IsOpen(Tag::kH4) ||
                           IsOpen(Tag::kH5) || IsOpen(Tag::kH6)))) {
    return;  // not open: ignored
  }
  const bool table_part = tag == Tag::kTable || tag == Tag::kTd || tag == Tag::kTh || tag == Tag::kTr ||
                          tag == Tag::kCaption || tag == Tag::kTbody || tag == Tag::kThead ||
                          tag == Tag::kTfoot;
  for (size_t k = stack_.size() - 1; k > 0; --k) {
    const Node& nd = doc_.nodes[stack_[k]];
    bool match = nd.tag == tag || (IsHeading(tag) && IsHeading(nd.tag));
    if (match && tag == Tag::kOther) {
      match = std::string_view(doc_.strings).substr(nd.str_off, nd.str_len) == lname &&
              (i - name_start) <= sizeof(name);
    }
    if (match) {
      PopTo(k);
      return;
    }
    if (!table_part && IsScopeBoundary(nd.tag) && nd.tag != Tag::kButton) return;
    if (tag == Tag::kLi && (nd.tag == Tag::kUl || nd.tag == Tag::kOl)) return;
    if (foreign_depth_ > 0 && (nd.tag == Tag::kSvg || nd.tag == Tag::kMath) && tag != nd.tag) return;
  }
}

void Builder::AddTextRun(std::string_view raw) {
  // A long run is added in slices (text nodes merge, so the tree is the same), never cutting a
  // UTF-8 sequence or a character reference in two.
  constexpr size_t kSlice = 256 * 1024;
  while (raw.size() > kSlice) {
    size_t cut = kSlice;
    while (cut > 0 && (static_cast<unsigned char>(raw[cut]) & 0xC0) == 0x80) --cut;
    const size_t amp = raw.rfind('&', cut);
    if (amp != std::string_view::npos && cut - amp <= 40 && amp > 0) cut = amp;
    AddText(raw.substr(0, cut));
    raw.remove_prefix(cut);
    if (PastDeadline(deadline_ns_)) {
      timed_out_ = true;
      return;
    }
  }
  AddText(raw);
}

size_t Builder::CommentEnd(size_t i) const {
  // "<!-->" and "<!--->" are empty comments; otherwise the comment ends at "-->" or "--!>", or
  // runs to the end of the input.
  const size_t n = in_.size();
  size_t p = i + 4;
  if (p < n && in_[p] == '>') return p + 1;
  if (in_.compare(p, 2, "->") == 0) return p + 2;
  while ((p = in_.find("--", p)) != std::string_view::npos) {
    if (p + 2 < n && in_[p + 2] == '>') return p + 3;
    if (in_.compare(p + 2, 2, "!>") == 0) return p + 4;
    ++p;
  }
  return n;
}

Result<Document> Builder::Run() {
  const size_t n = in_.size();
  size_t i = 0;
  uint32_t tokens = 0;
  auto skip_to_gt = [&](size_t from) {
    const void* gt = std::memchr(in_.data() + from, '>', n - from);
    return gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;
  };
  while (i < n && !timed_out_) {
    // Every token costs at most O(max_depth), so the clock is read every 1024 of them.
    if ((++tokens & 1023) == 0 && PastDeadline(deadline_ns_)) {
      timed_out_ = true;
      break;
    }
    if (too_deep_) break;
    const void* lt = std::memchr(in_.data() + i, '<', n - i);
    size_t j = lt ? static_cast<size_t>(static_cast<const char*>(lt) - in_.data()) : n;
    if (j > i) AddTextRun(in_.substr(i, j - i));
    if (!lt || timed_out_) break;
    i = j;
    if (i + 1 >= n) {
      AddText("<");
      break;
    }
    char c = in_[i + 1];
    if (c == '!') {
      if (in_.compare(i, 4, "<!--") == 0) {
        i = CommentEnd(i);
      } else if (foreign_depth_ > 0 && in_.compare(i, 9, "<![CDATA[") == 0) {
        // A real CDATA section only in SVG and MathML.
        size_t e = in_.find("]]>", i + 9);
        size_t end = e == std::string_view::npos ? n : e;
        AddTextRun(in_.substr(i + 9, end - i - 9));
        i = e == std::string_view::npos ? n : e + 3;
      } else {
        // In HTML content "<![CDATA[" is a bogus comment that ends at the first '>', as are
        // "<!DOCTYPE ...>" and any other "<!".
        i = skip_to_gt(i);
      }
    } else if (c == '/') {
      if (i + 2 < n && IsAlpha(in_[i + 2])) {
        EndTag(&i);
      } else {
        i = skip_to_gt(i);
      }
    } else if (IsAlpha(c)) {
      if (!StartTag(&i)) break;  // cut off at the end of input: dropped like browsers do
    } else if (c == '?') {
      i = skip_to_gt(i);
    } else {
      AddText("<");
      ++i;
    }
  }
  if (timed_out_) return Error{v1::ERROR_CODE_TIMEOUT, "HTML parsing exceeded the time limit"};
  if (too_deep_) {
    return Error{v1::ERROR_CODE_NESTING_TOO_DEEP,
                 "HTML elements nest deeper than " + std::to_string(limits_.max_depth)};
  }
  return std::move(doc_);
}

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
      AppendCollapsed(room >= t.size() ? t : t.substr(0, room + 1), out, &last_space);
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
  Builder b(utf8, limits, deadline_ns);
  return b.Run();
}

}  // namespace copydesk::normalize::html
