#include "cli/version_diff.h"

#include <google/protobuf/text_format.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <vector>

#include "common/text.h"
#include "dedup/lineage.h"

namespace copydesk::cli {
namespace {

// The values of field `fd` of `a`, one string per element (a timestamp as RFC 3339).
std::vector<std::string> FieldValues(const v1::Article& a, const google::protobuf::FieldDescriptor* fd) {
  const auto* r = a.GetReflection();
  std::vector<std::string> out;
  auto one = [&](int i) {
    std::string s;
    if (fd->cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_STRING) {
      s = fd->is_repeated() ? r->GetRepeatedString(a, fd, i) : r->GetString(a, fd);
    } else if (fd->message_type() == google::protobuf::Timestamp::descriptor()) {
      const auto& m = fd->is_repeated() ? r->GetRepeatedMessage(a, fd, i) : r->GetMessage(a, fd);
      s = google::protobuf::util::TimeUtil::ToString(static_cast<const google::protobuf::Timestamp&>(m));
    } else {
      google::protobuf::TextFormat::Printer p;
      p.SetSingleLineMode(true);
      p.PrintFieldValueToString(a, fd, fd->is_repeated() ? i : -1, &s);
      if (fd->message_type() != nullptr) s = "{ " + s + "}";
    }
    return s;
  };
  if (fd->is_repeated()) {
    for (int i = 0; i < r->FieldSize(a, fd); ++i) out.push_back(one(i));
  } else if (r->HasField(a, fd)) {
    out.push_back(one(-1));
  }
  return out;
}

void Line(std::string& out, std::string_view indent, char mark, std::string_view text) {
  out.append(indent);
  out.push_back(mark);
  out.push_back(' ');
  text::AppendEscaped(out, text, text::EscapeStyle::kText);  // a value cannot forge a line
  out.push_back('\n');
}

}  // namespace

std::string ReadableDiff(const v1::Article& before, const v1::Article& after) {
  std::string out = "story " + text::Escaped(after.uri(), text::EscapeStyle::kText) + ": version " +
                    std::to_string(before.version()) + " -> " + std::to_string(after.version()) + "\n";
  const std::vector<std::string> changed =
      dedup::ChangedFields(dedup::ContentFieldHashes(before), dedup::ContentFieldHashes(after));
  if (changed.empty()) return out + "no content field changed\n";
  out += "fields changed:";
  for (const auto& f : changed) out += " " + f;
  out += "\n";
  const auto* d = v1::Article::descriptor();
  for (const auto& name : changed) {
    out += "\n" + name + "\n";
    if (name == "body") {
      v1::ChangeSummary c;
      dedup::DiffParagraphs(dedup::ParagraphHashes(before), dedup::ParagraphHashes(after), c);
      dedup::FillParagraphTexts(after, c);
      const std::vector<std::string_view> old = dedup::Paragraphs(before);
      for (const auto& e : c.paragraph_edits()) {
        const std::string was = "paragraph " + std::to_string(e.previous_index() + 1);
        const std::string now = "paragraph " + std::to_string(e.index() + 1);
        switch (e.op()) {
          case v1::PARAGRAPH_EDIT_OP_EDITED:
            out += "  ~ " + now + " (was " + was + ")\n";
            if (e.previous_index() < old.size()) Line(out, "    ", '-', old[e.previous_index()]);
            Line(out, "    ", '+', e.text());
            break;
          case v1::PARAGRAPH_EDIT_OP_REMOVED:
            out += "  - " + was + " removed\n";
            if (e.previous_index() < old.size()) Line(out, "    ", '-', old[e.previous_index()]);
            break;
          default: out += "  + " + now + " added\n"; Line(out, "    ", '+', e.text());
        }
      }
      if (c.paragraph_edits().empty()) out += "  (the same paragraphs; body_text or word_count differ)\n";
      continue;
    }
    const auto* fd = d->FindFieldByName(name);
    if (fd == nullptr) continue;
    const std::vector<std::string> a = FieldValues(before, fd), b = FieldValues(after, fd);
    for (const auto& v : a)
      if (std::find(b.begin(), b.end(), v) == b.end()) Line(out, "  ", '-', v);
    for (const auto& v : b)
      if (std::find(a.begin(), a.end(), v) == a.end()) Line(out, "  ", '+', v);
  }
  if (after.lineage().fields_size() > 0) {
    out += "\nversion " + std::to_string(after.version()) + ": where each field comes from\n";
    std::map<uint32_t, std::vector<std::string>> by_version;
    for (const auto& f : after.lineage().fields()) by_version[f.version()].push_back(f.field());
    for (const auto& [version, fields] : by_version) {
      out += "  version " + std::to_string(version);
      for (const auto& s : after.lineage().sources()) {
        if (s.version() != version) continue;
        auto shown = [](const std::string& v) {
          return v.empty() ? std::string("-") : text::Escaped(v, text::EscapeStyle::kText);
        };
        out += " (provider " + shown(s.provider()) + ", provider version " + shown(s.provider_version()) +
               ", event " + shown(s.event_id()) + ")";
      }
      out += ":";
      for (const auto& f : fields) out += " " + f;
      out += "\n";
    }
  }
  return out;
}

}  // namespace copydesk::cli
