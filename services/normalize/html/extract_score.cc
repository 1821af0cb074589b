// Extraction stages that choose the body: Readability-style paragraph scoring propagated to
// ancestors, the top candidate, its siblings and same-template chunks, and conditional cleaning.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "normalize/html/extract_internal.h"

namespace copydesk::normalize::internal {

// Starts a candidate's score from its tag and class weight (once per node).
void Extractor::InitScore(uint32_t c) {
  if (scored_[c]) return;
  scored_[c] = 1;
  float s = 0;
  switch (doc_.nodes[c].tag) {
    case Tag::kDiv:
    case Tag::kArticle:
    case Tag::kSection:
    case Tag::kMain: s = 5; break;
    case Tag::kPre:
    case Tag::kTd:
    case Tag::kBlockquote: s = 3; break;
    case Tag::kAddress:
    case Tag::kOl:
    case Tag::kUl:
    case Tag::kDl:
    case Tag::kDd:
    case Tag::kDt:
    case Tag::kLi:
    case Tag::kForm: s = -3; break;
    case Tag::kH1:
    case Tag::kH2:
    case Tag::kH3:
    case Tag::kH4:
    case Tag::kH5:
    case Tag::kH6:
    case Tag::kTh: s = -5; break;
    default: break;
  }
  s += static_cast<float>(ClassWeight(c));
  score_[c] = s;
}

// A paragraph's content score, shared by its ancestors up to five levels up (less at each level).
void Extractor::AddToAncestors(uint32_t para, size_t len, size_t commas) {
  float content =
      1.f + static_cast<float>(commas) + std::min(3.f, std::floor(static_cast<float>(len) / 100.f));
  uint32_t anc = doc_.nodes[para].parent;
  for (int level = 0; level < 5 && anc != kNone && anc != 0; ++level) {
    if (doc_.nodes[anc].tag == Tag::kBody || doc_.nodes[anc].tag == Tag::kHtml) break;
    InitScore(anc);
    float div = level == 0 ? 1.f : level == 1 ? 2.f : static_cast<float>(level * 3);
    score_[anc] += content / div;
    anc = doc_.nodes[anc].parent;
  }
}

// The end of a run of direct inline content of `i`: scored like a paragraph, `i` its container.
void Extractor::EndInlineRun(uint32_t i, const Node& nd, size_t& run_len, size_t& run_commas) {
  if (run_len >= 25) {
    // The element itself is the paragraph's container.
    InitScore(i);
    float content =
        1.f + static_cast<float>(run_commas) + std::min(3.f, std::floor(static_cast<float>(run_len) / 100.f));
    score_[i] += content;
    uint32_t anc = nd.parent;
    for (int level = 1; level < 5 && anc != kNone && anc != 0; ++level) {
      if (doc_.nodes[anc].tag == Tag::kBody || doc_.nodes[anc].tag == Tag::kHtml) break;
      InitScore(anc);
      float div = level == 1 ? 2.f : static_cast<float>(level * 3);
      score_[anc] += content / div;
      anc = doc_.nodes[anc].parent;
    }
  }
  run_len = run_commas = 0;
}

// Runs of direct inline content act like a paragraph (Readability wraps them in <p>).
void Extractor::ScoreInlineRuns(uint32_t i, const Node& nd) {
  size_t run_len = 0, run_commas = 0;
  for (uint32_t c = nd.first_child; c != kNone; c = doc_.nodes[c].next) {
    if (flags_[c] & kJunk) continue;
    Tag ct = doc_.nodes[c].tag;
    if (ct == Tag::kText || (!IsBlockTag(ct) && ct != Tag::kBr)) {
      run_len += stats_[c].text;
      run_commas += stats_[c].commas;
    } else if (ct == Tag::kBr) {
      if (c != nd.first_child && doc_.nodes[c].next != kNone &&
          doc_.nodes[doc_.nodes[c].next].tag == Tag::kBr)
        EndInlineRun(i, nd, run_len, run_commas);
    } else {
      EndInlineRun(i, nd, run_len, run_commas);
    }
  }
  EndInlineRun(i, nd, run_len, run_commas);
}

// Scores every paragraph (and paragraph-like inline run) into its ancestors.
void Extractor::ScoreParagraphs() {
  for (uint32_t i = 1; i < n_ && !clock_.Expired(); ++i) {
    if (flags_[i] & kJunk) continue;
    const Node& nd = doc_.nodes[i];
    Tag t = nd.tag;
    if (t == Tag::kP || t == Tag::kPre || t == Tag::kTd) {
      const Stats& s = stats_[i];
      if (s.text < 25) continue;
      if (t == Tag::kTd && s.p > 0) continue;  // layout cell: its paragraphs score themselves
      AddToAncestors(i, s.text, s.commas);
    } else if (t == Tag::kDiv || t == Tag::kSection || t == Tag::kArticle || t == Tag::kTd ||
               t == Tag::kBlockquote || t == Tag::kMain || t == Tag::kLi) {
      ScoreInlineRuns(i, nd);
    }
  }
}

void Extractor::PrintCandidates(const std::vector<std::pair<float, uint32_t>>& cands) const {
  auto sorted = cands;
  std::sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.first > b.first; });
  for (size_t k = 0; k < sorted.size() && k < 8; ++k) {
    uint32_t c = sorted[k].second;
    std::fprintf(stderr, "cand %.1f <%s class='%s' id='%s'> text=%u ld=%.2f\n", sorted[k].first,
                 std::string(doc_.Name(c)).c_str(), std::string(doc_.Attribute(c, AttrKey::kClass)).c_str(),
                 std::string(doc_.Attribute(c, AttrKey::kId)).c_str(), stats_[c].text,
                 LinkDensity(stats_[c]));
  }
}

// Several strong candidates under one ancestor: the ancestor (Readability). `cands` is sorted
// best first.
uint32_t Extractor::CommonAncestor(uint32_t top, const std::vector<std::pair<float, uint32_t>>& cands,
                                   float best) const {
  std::vector<uint32_t> alts;
  for (size_t k = 1; k < cands.size() && k < 5; ++k) {
    if (cands[k].first / best >= 0.75f) alts.push_back(cands[k].second);
  }
  if (alts.size() >= 3) {
    uint32_t parent = doc_.nodes[top].parent;
    while (parent != kNone && parent != 0 && doc_.nodes[parent].tag != Tag::kBody) {
      int containing = 0;
      for (uint32_t a : alts) {
        uint32_t x = a;
        while (x != kNone && x != parent) x = doc_.nodes[x].parent;
        if (x == parent) ++containing;
      }
      if (containing >= 3) {
        top = parent;
        break;
      }
      parent = doc_.nodes[parent].parent;
    }
  }
  return top;
}

// Climbs while the parent scores better.
uint32_t Extractor::ClimbToBetterParent(uint32_t top) const {
  float last = score_[top];
  float threshold = last / 3.f;
  uint32_t parent = doc_.nodes[top].parent;
  while (parent != kNone && parent != 0 && doc_.nodes[parent].tag != Tag::kBody) {
    if (!scored_[parent]) {
      parent = doc_.nodes[parent].parent;
      continue;
    }
    float ps = score_[parent];
    if (ps < threshold) break;
    if (ps > last) {
      top = parent;
      break;
    }
    last = ps;
    parent = doc_.nodes[parent].parent;
  }
  return top;
}

// An only child: its parent is the container.
uint32_t Extractor::ClimbOnlyChildren(uint32_t top) const {
  while (true) {
    uint32_t parent = doc_.nodes[top].parent;
    if (parent == kNone || parent == 0 || doc_.nodes[parent].tag == Tag::kBody) break;
    int children = 0;
    for (uint32_t c = doc_.nodes[parent].first_child; c != kNone; c = doc_.nodes[c].next) {
      if (doc_.nodes[c].tag == Tag::kText && stats_[c].text == 0) continue;
      if (flags_[c] & kJunk) continue;
      ++children;
    }
    if (children != 1) break;
    top = parent;
  }
  return top;
}

uint32_t Extractor::PickTopCandidate() {
  score_.assign(n_, 0.f);
  scored_.assign(n_, 0);
  ScoreParagraphs();
  uint32_t top = kNone;
  float best = -1e9f;
  std::vector<std::pair<float, uint32_t>> cands;
  for (uint32_t i = 1; i < n_; ++i) {
    if (!scored_[i]) continue;
    score_[i] *= (1.f - LinkDensity(stats_[i]));
    cands.emplace_back(score_[i], i);
    if (score_[i] > best) {
      best = score_[i];
      top = i;
    }
  }
  if (top == kNone) return kNone;
  if (std::getenv("COPYDESK_HTML_DEBUG")) PrintCandidates(cands);
  // Several strong candidates under one ancestor: take the ancestor (Readability).
  std::sort(cands.begin(), cands.end(), [](auto& a, auto& b) { return a.first > b.first; });
  top = CommonAncestor(top, cands, best);
  top = ClimbToBetterParent(top);
  return ClimbOnlyChildren(top);
}
std::vector<uint32_t> Extractor::PickNodes(uint32_t top) {
  std::vector<uint32_t> picked;
  uint32_t parent = doc_.nodes[top].parent;
  if (parent == kNone) return {top};
  const float top_score = scored_[top] ? score_[top] : 0.f;
  const float threshold = std::max(10.f, top_score * 0.2f);
  std::string_view top_class = doc_.Attribute(top, AttrKey::kClass);
  for (uint32_t c = doc_.nodes[parent].first_child; c != kNone; c = doc_.nodes[c].next) {
    if (c == top) {
      picked.push_back(c);
      continue;
    }
    if (flags_[c] & kJunk) continue;
    if (doc_.nodes[c].tag == Tag::kText) continue;
    float bonus = 0;
    if (!top_class.empty() && doc_.Attribute(c, AttrKey::kClass) == top_class) bonus += top_score * 0.2f;
    if (scored_[c] && score_[c] + bonus >= threshold) {
      picked.push_back(c);
      continue;
    }
    if (doc_.nodes[c].tag == Tag::kP) {
      const Stats& s = stats_[c];
      float ld = LinkDensity(s);
      if (s.text > 80 && ld < 0.25f) {
        picked.push_back(c);
      } else if (s.text > 0 && s.text <= 80 && ld == 0.f) {
        std::string t = doc_.InnerText(c);
        if (t.find(". ") != std::string::npos || (!t.empty() && t.back() == '.')) picked.push_back(c);
      }
    }
  }
  return picked;
}

// Articles split into several same-template chunks (body, ad rail, body, ...): take the other
// chunks with the top candidate's class when they sit close to it in the tree.
void Extractor::AddChunks(uint32_t top, std::vector<uint32_t>& nodes) {
  if (!scored_[top]) return;
  std::string_view cls = doc_.Attribute(top, AttrKey::kClass);
  if (cls.empty()) return;
  uint32_t root = top;
  for (int k = 0; k < 3 && doc_.nodes[root].parent != kNone && doc_.nodes[root].parent != 0; ++k) {
    root = doc_.nodes[root].parent;
    if (doc_.nodes[root].tag == Tag::kBody) break;
  }
  const float min_score = score_[top] * 0.2f;
  const uint16_t depth = doc_.nodes[root].depth;
  // covered[i]: i or one of its ancestors up to `root` is already taken; computed in document
  // order (a parent precedes its children), so the pass is linear.
  std::vector<uint8_t> covered(n_, 0), top_ancestor(n_, 0);
  for (uint32_t n : nodes) covered[n] = 1;
  for (uint32_t p = doc_.nodes[top].parent; p != kNone; p = doc_.nodes[p].parent) top_ancestor[p] = 1;
  bool added = false;
  for (uint32_t i = root + 1; i < n_ && doc_.nodes[i].depth > depth; ++i) {
    if (clock_.Expired()) {
      timed_out_ = true;
      return;
    }
    const uint32_t parent = doc_.nodes[i].parent;
    if (parent != kNone && parent != root && covered[parent]) covered[i] = 1;
    if (!scored_[i] || i == top || score_[i] < min_score || (flags_[i] & kJunk)) continue;
    if (doc_.Attribute(i, AttrKey::kClass) != cls) continue;
    if (covered[i] || top_ancestor[i]) continue;
    nodes.push_back(i);
    covered[i] = 1;
    added = true;
  }
  if (added) std::sort(nodes.begin(), nodes.end());
}

bool Extractor::CleanConditionally(uint32_t n) {
  Tag t = doc_.nodes[n].tag;
  if (!(t == Tag::kDiv || t == Tag::kSection || t == Tag::kUl || t == Tag::kOl || t == Tag::kTable ||
        t == Tag::kForm || t == Tag::kFieldset || t == Tag::kDl)) {
    return false;
  }
  const Stats& s = stats_[n];
  if (s.commas >= 10) return false;
  int weight = ClassWeight(n);
  if (weight < 0 && s.text < 200) return true;
  bool is_list = t == Tag::kUl || t == Tag::kOl;
  if (!is_list && s.li > 0 && s.p == 0) {
    // a div made of a list
    is_list = true;
  }
  if (t == Tag::kTable) {
    // Data tables stay.
    for (uint32_t c = doc_.nodes[n].first_child; c != kNone; c = doc_.nodes[c].next) {
      if (doc_.nodes[c].tag == Tag::kThead || doc_.nodes[c].tag == Tag::kCaption) return false;
    }
  }
  const float ld = LinkDensity(s);
  const size_t content = s.text;
  const int p = s.p;
  const int img = s.img;
  const int li = static_cast<int>(s.li) - 100;
  if (img > 1 && static_cast<float>(p) / img < 0.5f && content < 200) return true;
  if (!is_list && li > p) return true;
  if (s.input > p / 3 + 0 && s.input > 0) return true;
  if (!is_list && content < 25 && (img == 0 || img > 2) && s.headings == 0) return true;
  if (!is_list && weight < 25 && ld > 0.2f && content < 1000) return true;
  if (weight >= 25 && ld > 0.5f) return true;
  if ((s.embed == 1 && content < 75) || s.embed > 1) return content < 500;
  if (is_list && ld > 0.5f) return true;
  return false;
}

}  // namespace copydesk::normalize::internal
