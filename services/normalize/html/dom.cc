#include "normalize/html/dom.h"

#include <libxml/HTMLparser.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>

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

// Windows-1252 mapping for numeric references in 0x80..0x9F (as browsers do).
constexpr uint16_t kCp1252[32] = {0x20AC, 0x81,   0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
                                  0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,   0x017D, 0x8F,
                                  0x90,   0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
                                  0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x9D,   0x017E, 0x0178};

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
  std::string scratch_;
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
  if (tag == Tag::kHtml || tag == Tag::kBody || tag == Tag::kHead) {
    for (uint32_t i : stack_) {
      if (doc_.nodes[i].tag == tag) return;  // merged into the open one
    }
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

// At '<' followed by a letter. Returns false when the tag is cut off by the end of input.
bool Builder::StartTag(size_t* pos) {
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
  while (true) {
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
    a.key = AttrKeyFromName(aname);
    a.val_off = static_cast<uint32_t>(s.size());
    if (value.find('&') != std::string_view::npos) {
      DecodeEntities(value, s);
    } else {
      s.append(value);
    }
    a.val_len = static_cast<uint32_t>(s.size() - a.val_off);
    bool duplicate = false;
    for (size_t k = attr_begin; k < doc_.attrs.size(); ++k) {
      const Attr& b = doc_.attrs[k];
      if (std::string_view(s).substr(b.name_off, b.name_len) ==
          std::string_view(s).substr(a.name_off, a.name_len)) {
        duplicate = true;
        break;
      }
    }
    if (duplicate) {
      s.resize(a.name_off);
    } else {
      doc_.attrs.push_back(a);
    }
  }
  *pos = i;
  HandleStart(tag, name_off, name_len, attr_begin, static_cast<uint32_t>(doc_.attrs.size() - attr_begin),
              self_closing, pos);
  return true;
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

Result<Document> Builder::Run() {
  const size_t n = in_.size();
  size_t i = 0;
  uint32_t tokens = 0;
  while (i < n) {
    if ((++tokens & 1023) == 0 && deadline_ns_ > 0 && NowNs() > deadline_ns_) {
      return Error{v1::ERROR_CODE_TIMEOUT, "HTML parsing exceeded the time limit"};
    }
    if (too_deep_) {
      return Error{v1::ERROR_CODE_NESTING_TOO_DEEP,
                   "HTML elements nest deeper than " + std::to_string(limits_.max_depth)};
    }
    const void* lt = std::memchr(in_.data() + i, '<', n - i);
    size_t j = lt ? static_cast<size_t>(static_cast<const char*>(lt) - in_.data()) : n;
    if (j > i) AddText(in_.substr(i, j - i));
    if (!lt) break;
    i = j;
    if (i + 1 >= n) {
      AddText("<");
      break;
    }
    char c = in_[i + 1];
    if (c == '!') {
      if (in_.compare(i, 4, "<!--") == 0) {
        size_t e = in_.find("-->", i + 4);
        i = e == std::string_view::npos ? n : e + 3;
      } else if (in_.compare(i, 9, "<![CDATA[") == 0) {
        size_t e = in_.find("]]>", i + 9);
        size_t end = e == std::string_view::npos ? n : e;
        AddText(in_.substr(i + 9, end - i - 9));
        i = e == std::string_view::npos ? n : e + 3;
      } else {
        const void* gt = std::memchr(in_.data() + i, '>', n - i);
        i = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;
      }
    } else if (c == '/') {
      if (i + 2 < n && IsAlpha(in_[i + 2])) {
        EndTag(&i);
      } else {
        const void* gt = std::memchr(in_.data() + i, '>', n - i);
        i = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;
      }
    } else if (IsAlpha(c)) {
      if (!StartTag(&i)) break;  // cut off at the end of input: dropped like browsers do
    } else if (c == '?') {
      const void* gt = std::memchr(in_.data() + i, '>', n - i);
      i = gt ? static_cast<size_t>(static_cast<const char*>(gt) - in_.data()) + 1 : n;
    } else {
      AddText("<");
      ++i;
    }
  }
  if (too_deep_) {
    return Error{v1::ERROR_CODE_NESTING_TOO_DEEP,
                 "HTML elements nest deeper than " + std::to_string(limits_.max_depth)};
  }
  return std::move(doc_);
}

}  // namespace

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
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

void AppendUtf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

void DecodeEntities(std::string_view in, std::string& out) {
  size_t i = 0;
  const size_t n = in.size();
  while (i < n) {
    size_t amp = in.find('&', i);
    if (amp == std::string_view::npos) {
      out.append(in.substr(i));
      return;
    }
    out.append(in.substr(i, amp - i));
    i = amp + 1;
    if (i < n && in[i] == '#') {
      size_t k = i + 1;
      bool hex = k < n && (in[k] == 'x' || in[k] == 'X');
      if (hex) ++k;
      uint32_t cp = 0;
      size_t digits = 0;
      while (k < n) {
        char c = in[k];
        int d = -1;
        if (c >= '0' && c <= '9')
          d = c - '0';
        else if (hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f')
          d = (c | 0x20) - 'a' + 10;
        if (d < 0) break;
        if (cp < 0x110000) cp = cp * (hex ? 16 : 10) + static_cast<uint32_t>(d);
        ++digits;
        ++k;
      }
      if (digits == 0) {
        out.push_back('&');
        continue;
      }
      if (k < n && in[k] == ';') ++k;
      if (cp >= 0x80 && cp <= 0x9F) cp = kCp1252[cp - 0x80];
      if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
      AppendUtf8(out, cp);
      i = k;
      continue;
    }
    size_t k = i;
    while (k < n && k - i < 32 &&
           (((in[k] | 0x20) >= 'a' && (in[k] | 0x20) <= 'z') || (in[k] >= '0' && in[k] <= '9')))
      ++k;
    if (k == i) {
      out.push_back('&');
      continue;
    }
    char name[40];
    std::string_view nm = in.substr(i, k - i);
    std::memcpy(name, nm.data(), nm.size());
    name[nm.size()] = '\0';
    const bool semi = k < n && in[k] == ';';
    const bool legacy = nm == "amp" || nm == "lt" || nm == "gt" || nm == "quot" || nm == "nbsp" ||
                        nm == "copy" || nm == "reg" || nm == "AMP";
    const htmlEntityDesc* e =
        (semi || legacy) ? htmlEntityLookup(reinterpret_cast<const xmlChar*>(name)) : nullptr;
    if (!e && nm == "AMP") {
      out.push_back('&');
      i = semi ? k + 1 : k;
      continue;
    }
    if (!e) {
      out.push_back('&');
      continue;
    }
    AppendUtf8(out, e->value);
    i = semi ? k + 1 : k;
  }
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

std::string Document::InnerText(uint32_t n) const {
  std::string out;
  if (nodes[n].tag == Tag::kText) return std::string(Text(n));
  // Iterative pre-order walk of the subtree.
  uint32_t cur = nodes[n].first_child;
  bool last_space = true;
  while (cur != kNone) {
    const Node& c = nodes[cur];
    if (c.tag == Tag::kText) {
      AppendCollapsed(Text(cur), out, &last_space);
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
