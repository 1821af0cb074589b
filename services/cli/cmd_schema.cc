// `copydesk schema`: the wire contract (proto/copydesk/v1 with its imports) as a protobuf
// FileDescriptorSet, built by protoc at build time and embedded here, so that consumers decode
// the topics' bytes with the exact schema of this binary.
#include <google/protobuf/descriptor.pb.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <memory>

#include "cli/commands.h"

extern const unsigned char kCopydeskDescriptorSet[];
extern const unsigned long kCopydeskDescriptorSet_size;

namespace copydesk::cli {
namespace {

struct SchemaFlags {
  std::string output;
  bool list = false;
};

int RunSchema(const SchemaFlags& f) {
  const std::string bytes(reinterpret_cast<const char*>(kCopydeskDescriptorSet), kCopydeskDescriptorSet_size);
  if (f.list) {
    google::protobuf::FileDescriptorSet set;
    if (!set.ParseFromString(bytes)) {
      std::cerr << "copydesk schema: the embedded descriptor set does not parse\n";
      return 1;
    }
    for (const auto& file : set.file()) {
      std::cout << file.name() << " (package " << file.package() << ")\n";
      for (const auto& m : file.message_type())
        std::cout << "  message " << file.package() << "." << m.name() << "\n";
      for (const auto& e : file.enum_type())
        std::cout << "  enum " << file.package() << "." << e.name() << "\n";
      for (const auto& s : file.service())
        std::cout << "  service " << file.package() << "." << s.name() << "\n";
    }
    return 0;
  }
  if (!f.output.empty()) {
    std::ofstream out(f.output, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::cerr << "copydesk schema: cannot write " << f.output << "\n";
      return 1;
    }
    return 0;
  }
  if (isatty(STDOUT_FILENO)) {
    std::cerr << "copydesk schema: the descriptor set is binary; redirect it (copydesk schema > "
                 "copydesk-v1.binpb), "
                 "pass --output FILE, or --list\n";
    return 2;
  }
  std::cout.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return std::cout ? 0 : 1;
}

}  // namespace

void RegisterSchema(CLI::App& app) {
  auto f = std::make_shared<SchemaFlags>();
  auto* cmd = app.add_subcommand(
      "schema",
      "Print the wire contract (proto/copydesk/v1 and its imports) as a binary protobuf FileDescriptorSet,\n"
      "as `protoc --include_imports --descriptor_set_out` writes it: decode any topic's records with it\n"
      "(e.g. `protoc --decode copydesk.v1.Article --descriptor_set_in=FILE`, or buf, or a schema registry).\n"
      "The image also ships it as /usr/share/copydesk/copydesk-v1.binpb.");
  cmd->add_option("--output,-o", f->output, "write it to FILE instead of stdout");
  cmd->add_flag("--list", f->list, "list the files, messages, enums and services instead");
  cmd->callback([f] { SetExitCode(RunSchema(*f)); });
}

}  // namespace copydesk::cli
