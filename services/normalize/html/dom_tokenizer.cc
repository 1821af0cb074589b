// The HTML tokenizer: tags and their attributes, comments, raw text, text runs, each token
// handed to the tree construction in dom_tree.cc.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "normalize/deadline.h"
#include "normalize/html/dom_builder.h"

namespace copydesk::normalize::internal {

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

// At '<' followed by a letter. Returns false when the tag is cut off by the end of input (or
// the deadline passed inside it).
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
  Tag tag = html::TagFromName(std::string_view(s).substr(name_off, name_len));
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
    if (!ReadAttribute(i, attr_begin, many_attrs)) return false;
  }
  if (many_attrs) DropDuplicateAttrs(attr_begin);
  *pos = i;
  HandleStart(tag, name_off, name_len, attr_begin, static_cast<uint32_t>(doc_.attrs.size() - attr_begin),
              self_closing, pos);
  return true;
}

bool Builder::ReadAttribute(size_t& i, uint32_t attr_begin, bool& many_attrs) {
  // Attribute values are kept up to this many bytes: enough for any URL, class list or meta
  // content; a longer one is cut (on a UTF-8 boundary) before its references are decoded.
  constexpr size_t kMaxAttrValue = 64 * 1024;
  // Up to this many attributes the duplicate check is a scan; past it, one sort at the end.
  constexpr size_t kScanAttrs = 16;
  const size_t n = in_.size();
  std::string& s = doc_.strings;
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
    return true;
  }
  if (value.size() > kMaxAttrValue) {
    size_t cut = kMaxAttrValue;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) --cut;
    value = value.substr(0, cut);
  }
  a.key = html::AttrKeyFromName(aname);
  a.val_off = static_cast<uint32_t>(s.size());
  if (value.find('&') != std::string_view::npos) {
    html::DecodeEntities(value, s, /*in_attribute=*/true);
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

}  // namespace copydesk::normalize::internal
