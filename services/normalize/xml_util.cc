#include "normalize/xml_util.h"

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "normalize/deadline.h"
#include "normalize/text_dates.h"
#include "normalize/text_lines.h"

namespace copydesk::normalize::internal {
namespace {

struct ParserCtxtDeleter {
  void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
// Owns a libxml2 parser context.
using ParserCtxtPtr = std::unique_ptr<xmlParserCtxt, ParserCtxtDeleter>;

// Never resolve anything outside the document: every external entity / DTD load fails.
xmlParserInputPtr NoExternalLoader(const char*, const char*, xmlParserCtxtPtr) {
  return nullptr;
}

void InitLibxmlOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    xmlInitParser();
    xmlSetExternalEntityLoader(NoExternalLoader);
  });
}

struct EntityScan {
  xmlDoc* doc = nullptr;
  bool external = false;
  std::vector<xmlEntity*> internal;
};

void ScanEntity(void* payload, void* data, const xmlChar*) {
  auto* scan = static_cast<EntityScan*>(data);
  auto* ent = static_cast<xmlEntity*>(payload);
  switch (ent->etype) {
    case XML_INTERNAL_GENERAL_ENTITY: scan->internal.push_back(ent); break;
    case XML_INTERNAL_PREDEFINED_ENTITY:
    case XML_INTERNAL_PARAMETER_ENTITY: break;
    default:  // external general (parsed/unparsed) and external parameter entities
      scan->external = true;
  }
}

// Expanded size of an internal entity, capped at cap + 1. Returns cap + 1 on a reference loop.
size_t ExpandedSize(xmlDoc* doc, xmlEntity* ent, size_t cap, std::unordered_map<xmlEntity*, size_t>& memo,
                    std::unordered_set<xmlEntity*>& active) {
  if (auto it = memo.find(ent); it != memo.end()) return it->second;
  if (active.count(ent)) return cap + 1;
  active.insert(ent);
  const char* c = reinterpret_cast<const char*>(ent->content ? ent->content : ent->orig);
  size_t total = 0;
  const size_t len = c ? std::strlen(c) : 0;
  for (size_t i = 0; i < len && total <= cap;) {
    if (c[i] == '&' && i + 1 < len && c[i + 1] != '#') {
      const char* semi = static_cast<const char*>(std::memchr(c + i, ';', len - i));
      if (semi) {
        std::string name(c + i + 1, semi);
        xmlEntity* ref = xmlGetDocEntity(doc, reinterpret_cast<const xmlChar*>(name.c_str()));
        if (ref && ref->etype == XML_INTERNAL_GENERAL_ENTITY) {
          total += ExpandedSize(doc, ref, cap, memo, active);
        } else {
          total += 1;
        }
        i = static_cast<size_t>(semi - c) + 1;
        continue;
      }
    }
    ++total;
    ++i;
  }
  active.erase(ent);
  total = std::min(total, cap + 1);
  memo[ent] = total;
  return total;
}

// How often each "&name;" general entity reference occurs, in one pass over the document.
std::unordered_map<std::string_view, size_t> CountEntityReferences(std::string_view bytes) {
  std::unordered_map<std::string_view, size_t> uses;
  for (size_t p = bytes.find('&'); p != std::string_view::npos; p = bytes.find('&', p + 1)) {
    size_t e = p + 1;
    while (e < bytes.size() && e - p <= 256 && bytes[e] != ';' && bytes[e] != '&' && bytes[e] != '<' &&
           bytes[e] != ' ')
      ++e;
    if (e < bytes.size() && bytes[e] == ';' && e > p + 1 && bytes[p + 1] != '#') {
      ++uses[bytes.substr(p + 1, e - p - 1)];
    }
  }
  return uses;
}

// libxml2 (before 2.12) checks an element's attributes and namespace declarations for
// duplicates pairwise; an element with tens of thousands of them takes seconds to minutes in one
// call that no deadline can interrupt. Such documents are refused before parsing, in one pass
// that skips comments, CDATA sections, processing instructions and declarations.
constexpr size_t kMaxXmlAttributes = 1024;

std::optional<Error> TooManyAttributes(std::string_view b) {
  const size_t n = b.size();
  for (size_t i = b.find('<'); i != std::string_view::npos && i + 1 < n; i = b.find('<', i)) {
    auto skip_past = [&](std::string_view end) {
      size_t e = b.find(end, i);
      return e == std::string_view::npos ? n : e + end.size();
    };
    if (b.compare(i, 4, "<!--") == 0) {
      i = skip_past("-->");
    } else if (b.compare(i, 9, "<![CDATA[") == 0) {
      i = skip_past("]]>");
    } else if (b[i + 1] == '?') {
      i = skip_past("?>");
    } else if (b[i + 1] == '!' || b[i + 1] == '/') {
      ++i;
    } else {
      // A start tag: count '=' outside quoted values up to its '>'.
      size_t attrs = 0;
      char quote = 0;
      for (++i; i < n; ++i) {
        const char c = b[i];
        if (quote) {
          if (c == quote) quote = 0;
        } else if (c == '"' || c == '\'') {
          quote = c;
        } else if (c == '=') {
          if (++attrs > kMaxXmlAttributes) {
            return Error{v1::ERROR_CODE_MALFORMED_XML, "an XML element has more than " +
                                                           std::to_string(kMaxXmlAttributes) +
                                                           " attributes (the limit per element)"};
          }
        } else if (c == '>' || c == '<') {
          break;
        }
      }
    }
  }
  return std::nullopt;
}

// The parse state the SAX wrappers below reach through xmlParserCtxt::_private.
struct ParseState {
  int64_t deadline_ns = 0;
  bool timed_out = false;
  xmlSAXHandler sax2{};  // libxml2's own tree-building handlers, which the wrappers call
};

// The tree is built by libxml2's SAX2 handlers; these wrappers read the clock at every element
// and every run of text, and stop the parser once the deadline has passed.
void CheckDeadline(void* ctx) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  auto* st = static_cast<ParseState*>(ctxt->_private);
  if (!st->timed_out && PastDeadline(st->deadline_ns)) {
    st->timed_out = true;
    xmlStopParser(ctxt);
  }
}

void StartElementNs(void* ctx, const xmlChar* localname, const xmlChar* prefix, const xmlChar* uri,
                    int nb_namespaces, const xmlChar** namespaces, int nb_attributes, int nb_defaulted,
                    const xmlChar** attributes) {
  auto* st = static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
  st->sax2.startElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                          attributes);
  CheckDeadline(ctx);
}

void Characters(void* ctx, const xmlChar* ch, int len) {
  auto* st = static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
  st->sax2.characters(ctx, ch, len);
  CheckDeadline(ctx);
}

void CdataBlock(void* ctx, const xmlChar* ch, int len) {
  auto* st = static_cast<ParseState*>(static_cast<xmlParserCtxtPtr>(ctx)->_private);
  st->sax2.cdataBlock(ctx, ch, len);
  CheckDeadline(ctx);
}

Result<XmlDocPtr> ParseOnce(std::string_view bytes, int options, int64_t deadline_ns) {
  ParserCtxtPtr ctxt(xmlNewParserCtxt());
  if (!ctxt) return Error{v1::ERROR_CODE_INTERNAL, "could not allocate an XML parser"};
  ParseState state;
  state.deadline_ns = deadline_ns;
  if (deadline_ns > 0) {
    state.sax2 = *ctxt->sax;
    ctxt->sax->startElementNs = StartElementNs;
    ctxt->sax->characters = Characters;
    ctxt->sax->ignorableWhitespace = Characters;
    ctxt->sax->cdataBlock = CdataBlock;
    ctxt->_private = &state;
  }
  XmlDocPtr doc(xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()), "noname.xml",
                                  nullptr, options));
  if (state.timed_out) return Error{v1::ERROR_CODE_TIMEOUT, "XML parsing exceeded the time limit"};
  const xmlError& err = ctxt->lastError;
  if (!doc || !ctxt->wellFormed) {
    std::string msg = err.message ? CollapseSpace(err.message) : "not well-formed";
    if (err.code == XML_ERR_ENTITY_LOOP || msg.find("amplification") != std::string::npos) {
      return Error{v1::ERROR_CODE_ENTITY_EXPANSION, "XML entity expansion refused: " + msg};
    }
    if (msg.find("depth") != std::string::npos || msg.find("Depth") != std::string::npos) {
      return Error{v1::ERROR_CODE_NESTING_TOO_DEEP, "XML nesting too deep: " + msg};
    }
    if (err.code == XML_ERR_EXT_ENTITY_STANDALONE || err.code == XML_IO_LOAD_ERROR) {
      return Error{v1::ERROR_CODE_EXTERNAL_ENTITY, "XML external entity refused: " + msg};
    }
    return Error{v1::ERROR_CODE_MALFORMED_XML,
                 "XML is not well-formed (line " + std::to_string(err.line) + "): " + msg};
  }
  return doc;
}

size_t MaxDepth(const xmlNode* n, size_t depth, size_t stop) {
  size_t best = depth;
  for (const xmlNode* c = n; c && best <= stop; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    best = std::max(best, MaxDepth(c->children, depth + 1, stop));
  }
  return best;
}

void AppendText(const xmlNode* n, std::string& out, int depth) {
  for (; n; n = n->next) {
    switch (n->type) {
      case XML_TEXT_NODE:
      case XML_CDATA_SECTION_NODE:
        if (n->content) out += reinterpret_cast<const char*>(n->content);
        break;
      case XML_ELEMENT_NODE:
        if (depth < 600) {
          std::string_view name = LocalName(n);
          bool block = name == "p" || name == "br" || name == "div" || name == "li" || name == "hl1" ||
                       name == "hl2" || name == "td" || name == "tr";
          if (block) out += ' ';
          AppendText(n->children, out, depth + 1);
          if (block) out += ' ';
        }
        break;
      default:  // entity references left unresolved, comments, PIs
        break;
    }
  }
}

void AppendRaw(const xmlNode* n, std::string& out, int depth) {
  for (; n; n = n->next) {
    if ((n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) && n->content) {
      out += reinterpret_cast<const char*>(n->content);
    } else if (n->type == XML_ELEMENT_NODE && depth < 600) {
      AppendRaw(n->children, out, depth + 1);
    }
  }
}

}  // namespace

Result<XmlDocPtr> ParseXmlSafely(std::string_view bytes, const Limits& limits) {
  InitLibxmlOnce();
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return Error{v1::ERROR_CODE_VALUE_TOO_LARGE, "XML document too large"};
  }
  // Any external entity declaration (general or parameter, SYSTEM or PUBLIC) is refused before
  // parsing, whether or not the rest of the document is well-formed.
  for (size_t p = bytes.find("<!ENTITY"); p != std::string_view::npos; p = bytes.find("<!ENTITY", p + 8)) {
    size_t end = bytes.find('>', p);
    if (end == std::string_view::npos) end = bytes.size() - 1;  // unterminated: the last one
    std::string_view decl = bytes.substr(p, end == std::string_view::npos ? std::string_view::npos : end - p);
    // Quoted replacement text may mention the words; look only outside quotes.
    std::string bare;
    char quote = 0;
    for (char c : decl) {
      if (quote) {
        if (c == quote) quote = 0;
      } else if (c == '"' || c == '\'') {
        quote = c;
      } else {
        bare += c;
      }
    }
    if (bare.find("SYSTEM") != std::string::npos || bare.find("PUBLIC") != std::string::npos) {
      return Error{v1::ERROR_CODE_EXTERNAL_ENTITY,
                   "XML declares an external entity; external entities are never fetched"};
    }
    p = end - 7;  // declarations do not overlap: the next search starts after this one
  }
  if (auto e = TooManyAttributes(bytes)) return *e;
  const int64_t deadline_ns = DeadlineFor(limits);
  // No network, no DTD loading, no entity substitution on the first pass, no libxml2 chatter.
  const int base = XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
  auto first = ParseOnce(bytes, base, deadline_ns);
  if (!first.ok()) return first.error();
  XmlDocPtr doc = std::move(first.value());
  if (doc->intSubset) {
    EntityScan scan;
    scan.doc = doc.get();
    if (doc->intSubset->entities) {
      xmlHashScan(static_cast<xmlHashTablePtr>(doc->intSubset->entities), ScanEntity, &scan);
    }
    if (doc->intSubset->pentities) {
      xmlHashScan(static_cast<xmlHashTablePtr>(doc->intSubset->pentities), ScanEntity, &scan);
    }
    if (scan.external) {
      return Error{v1::ERROR_CODE_EXTERNAL_ENTITY,
                   "XML declares an external entity; external entities are never fetched"};
    }
    if (!scan.internal.empty()) {
      const size_t cap = limits.max_entity_expansion;
      std::unordered_map<xmlEntity*, size_t> memo;
      std::unordered_set<xmlEntity*> active;
      const auto references = CountEntityReferences(bytes);
      size_t total = 0;
      for (xmlEntity* ent : scan.internal) {
        size_t sz = ExpandedSize(doc.get(), ent, cap, memo, active);
        auto it = references.find(reinterpret_cast<const char*>(ent->name));
        const size_t uses = it == references.end() ? 0 : it->second;
        if (sz > cap || (uses > 0 && sz > (cap - total) / uses)) {
          return Error{v1::ERROR_CODE_ENTITY_EXPANSION,
                       "XML entity expansion exceeds " + std::to_string(cap) + " bytes"};
        }
        total += sz * uses;
      }
      // Bounded and internal only: substitute them.
      auto second = ParseOnce(bytes, base | XML_PARSE_NOENT, deadline_ns);
      if (!second.ok()) return second.error();
      doc = std::move(second.value());
    }
  }
  xmlNode* root = xmlDocGetRootElement(doc.get());
  if (!root) return Error{v1::ERROR_CODE_MALFORMED_XML, "XML has no root element"};
  if (MaxDepth(root, 1, limits.max_depth) > limits.max_depth) {
    return Error{v1::ERROR_CODE_NESTING_TOO_DEEP,
                 "XML element nesting exceeds " + std::to_string(limits.max_depth) + " levels"};
  }
  return doc;
}

std::string_view LocalName(const xmlNode* n) {
  if (!n || !n->name) return {};
  return reinterpret_cast<const char*>(n->name);
}

bool IsElement(const xmlNode* n, std::string_view local_name) {
  return n && n->type == XML_ELEMENT_NODE && LocalName(n) == local_name;
}

xmlNode* Child(const xmlNode* n, std::string_view local_name) {
  if (!n) return nullptr;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (IsElement(c, local_name)) return c;
  }
  return nullptr;
}

std::vector<xmlNode*> Children(const xmlNode* n, std::string_view local_name) {
  std::vector<xmlNode*> out;
  if (!n) return out;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (IsElement(c, local_name)) out.push_back(c);
  }
  return out;
}

xmlNode* Descendant(const xmlNode* n, std::string_view local_name) {
  if (!n) return nullptr;
  for (xmlNode* c = n->children; c; c = c->next) {
    if (c->type != XML_ELEMENT_NODE) continue;
    if (LocalName(c) == local_name) return c;
    if (xmlNode* d = Descendant(c, local_name)) return d;
  }
  return nullptr;
}

std::string Attr(const xmlNode* n, std::string_view local_name) {
  if (!n || n->type != XML_ELEMENT_NODE) return "";
  for (xmlAttr* a = n->properties; a; a = a->next) {
    if (a->name && local_name == reinterpret_cast<const char*>(a->name)) {
      std::string v;
      for (xmlNode* t = a->children; t; t = t->next) {
        if (t->content) v += reinterpret_cast<const char*>(t->content);
      }
      return CollapseSpace(v);
    }
  }
  return "";
}

std::string Text(const xmlNode* n) {
  if (!n) return "";
  std::string raw;
  if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
    if (n->content) raw = reinterpret_cast<const char*>(n->content);
  } else {
    AppendText(n->children, raw, 0);
  }
  return CollapseSpace(raw);
}

std::string RawText(const xmlNode* n) {
  std::string raw;
  if (n) AppendRaw(n->children, raw, 0);
  return raw;
}

std::string InnerXml(xmlDoc* doc, const xmlNode* n) {
  std::string out;
  if (!n) return out;
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buf(xmlBufferCreate(), xmlBufferFree);
  if (!buf) return out;
  for (xmlNode* c = n->children; c; c = c->next) {
    xmlNodeDump(buf.get(), doc, c, 0, 0);
  }
  out.assign(reinterpret_cast<const char*>(xmlBufferContent(buf.get())), xmlBufferLength(buf.get()));
  return out;
}

std::string CollapseSpace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    bool ws = c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
    if (!ws && c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) {
      ws = true;
      ++i;
    }
    if (ws) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += static_cast<char>(c);
  }
  return out;
}

std::string StripTags(std::string_view html) {
  std::string out;
  out.reserve(html.size());
  for (size_t i = 0; i < html.size(); ++i) {
    char c = html[i];
    if (c == '<') {
      size_t end = html.find('>', i);
      if (end == std::string_view::npos) break;
      std::string_view tag = html.substr(i + 1, end - i - 1);
      if (!tag.empty() && tag[0] == '/') tag.remove_prefix(1);
      std::string name;
      for (char t : tag) {
        if (!std::isalnum(static_cast<unsigned char>(t))) break;
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(t)));
      }
      static constexpr std::string_view kBlocks[] = {"p",  "br", "div", "li", "ul", "ol", "h1",        "h2",
                                                     "h3", "h4", "h5",  "h6", "tr", "td", "blockquote"};
      for (auto b : kBlocks) {
        if (name == b) {
          out += ' ';
          break;
        }
      }
      i = end;
      continue;
    }
    if (c == '&') {
      static constexpr std::pair<std::string_view, std::string_view> kEnt[] = {
          {"&amp;", "&"}, {"&lt;", "<"},   {"&gt;", ">"},   {"&quot;", "\""},
          {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}, {"&#160;", " "}};
      bool done = false;
      for (const auto& [k, v] : kEnt) {
        if (html.substr(i, k.size()) == k) {
          out += v;
          i += k.size() - 1;
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += c;
  }
  return CollapseSpace(out);
}

bool SetTimeFrom(std::string_view value, std::string_view zone, google::protobuf::Timestamp* ts) {
  std::string v = CollapseSpace(value);
  if (v.empty()) return false;
  if (auto iso = ParseIsoDateTime(v)) {
    SetTimestamp(ToUtcSeconds(*iso, zone), ts);
    return true;
  }
  if (auto h = ParseHumanDate(v, false)) {
    SetTimestamp(ToUtcSeconds(*h, zone), ts);
    return true;
  }
  return false;
}

v1::PubStatus PubStatusFrom(std::string_view value) {
  std::string v(value);
  for (char& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (auto colon = v.rfind(':'); colon != std::string::npos) v = v.substr(colon + 1);
  if (v == "withheld") return v1::PUB_STATUS_WITHHELD;
  if (v == "canceled" || v == "cancelled" || v == "killed" || v == "kill") return v1::PUB_STATUS_CANCELED;
  return v1::PUB_STATUS_USABLE;
}

void SetBylineAndAuthors(std::string_view byline, v1::Article& out) {
  std::string b = CollapseSpace(byline);
  if (b.empty()) return;
  std::string with_by = b;
  if (with_by.size() < 3 ||
      (with_by.substr(0, 3) != "By " && with_by.substr(0, 3) != "by " && with_by.substr(0, 3) != "BY ")) {
    with_by = "By " + b;
  }
  std::vector<std::string> names = ParseBylineLine(with_by);
  if (names.empty()) {
    std::string_view v = std::string_view(with_by).substr(3);
    names.emplace_back(v);
  }
  for (const auto& n : names) {
    bool known = false;
    for (const auto& a : out.authors()) known = known || a.name() == n;
    if (!known) out.add_authors()->set_name(n);
  }
  std::string joined;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) joined += i + 1 == names.size() ? " and " : ", ";
    joined += names[i];
  }
  out.set_byline(joined);
}

void AddTextParagraphs(std::string_view text, v1::Article& out) {
  // Blank lines separate paragraphs when there are any; otherwise every line is one.
  const bool blank_lines =
      text.find("\n\n") != std::string_view::npos || text.find("\r\n\r\n") != std::string_view::npos;
  std::string cur;
  auto flush = [&]() {
    std::string p = CollapseSpace(cur);
    cur.clear();
    if (p.empty()) return;
    auto* b = out.add_body();
    b->set_type(v1::BLOCK_TYPE_PARAGRAPH);
    b->set_text(std::move(p));
  };
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line =
        text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    std::string trimmed = CollapseSpace(line);
    if (trimmed.empty()) {
      flush();
    } else if (!blank_lines) {
      cur = trimmed;
      flush();
    } else {
      cur += ' ';
      cur += trimmed;
    }
    if (nl == std::string_view::npos) break;
    pos = nl + 1;
  }
  flush();
}

}  // namespace copydesk::normalize::internal
