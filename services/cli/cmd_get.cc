// `copydesk get`: a Lookup client that prints one article as JSON (protobuf's JSON mapping), or
// the diff between two versions of a story.
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include <grpcpp/grpcpp.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.h"
#include "cli/version_diff.h"
#include "copydesk/v1/lookup.grpc.pb.h"
#include "normalize/ninjs_writer.h"

namespace copydesk::cli {
namespace {

struct GetFlags {
  std::string id;
  uint32_t version = 0;
  std::string as_of;
  std::string grpc = "127.0.0.1:50051";
  std::string token_file;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  std::string tls_server_name;
  double timeout_s = 10;
  bool full = false;
  std::string format = "json";
  std::vector<uint32_t> diff;  // two versions
};

// The article as JSON: ninjs 2.2, or protobuf's JSON mapping with the proto field names (the
// same names `copydesk normalize` prints).
std::string Print(const google::protobuf::Message& msg, const v1::Article& article, bool ninjs) {
  if (ninjs) return normalize::ToNinjs(article);
  google::protobuf::util::JsonPrintOptions json;
  json.add_whitespace = true;
  json.preserve_proto_field_names = true;
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(msg, &out, json);
  return out;
}

bool ReadAll(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

std::string FirstLine(const std::string& s) {
  std::istringstream in(s);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty() && line[0] != '#') return line;
  }
  return {};
}

// The channel credentials the flags ask for (TLS with --tls-ca, else plaintext); nullptr after
// printing why a file could not be read.
std::shared_ptr<grpc::ChannelCredentials> Credentials(const GetFlags& f) {
  if (f.tls_ca.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  if (!ReadAll(f.tls_ca, &ssl.pem_root_certs)) {
    std::cerr << "copydesk get: cannot read " << f.tls_ca << "\n";
    return nullptr;
  }
  if (!f.tls_cert.empty() &&
      (!ReadAll(f.tls_cert, &ssl.pem_cert_chain) || !ReadAll(f.tls_key, &ssl.pem_private_key))) {
    std::cerr << "copydesk get: cannot read the client certificate or key\n";
    return nullptr;
  }
  return grpc::SslCredentials(ssl);
}

// The bearer token: the first line of --token-file, else env COPYDESK_LOOKUP_TOKEN, else empty.
// False after printing that the token file could not be read.
bool ReadToken(const GetFlags& f, std::string* token) {
  if (!f.token_file.empty()) {
    std::string text;
    if (!ReadAll(f.token_file, &text)) {
      std::cerr << "copydesk get: cannot read " << f.token_file << "\n";
      return false;
    }
    *token = FirstLine(text);
  } else if (const char* env = std::getenv("COPYDESK_LOOKUP_TOKEN")) {
    *token = env;
  }
  return true;
}

// Reads the article by URL (an id starting with http) or by story id and prints it into `out`.
// Returns the exit code: 0 found, 1 not found, 2 usage, 3 other gRPC errors.
int Fetch(const GetFlags& f, v1::Lookup::Stub& stub, grpc::ClientContext& ctx, bool ninjs, std::string* out) {
  grpc::Status status;
  const bool by_url = f.id.rfind("http", 0) == 0;
  if (by_url) {
    if (f.version != 0 || !f.as_of.empty()) {
      std::cerr << "copydesk get: --version and --as-of take a story id, not a URL\n";
      return 2;
    }
    v1::GetArticleByUrlRequest req;
    req.set_url(f.id);
    v1::GetArticleByUrlResponse resp;
    status = stub.GetArticleByUrl(&ctx, req, &resp);
    if (status.ok()) {
      *out = Print(f.full ? static_cast<const google::protobuf::Message&>(resp) : resp.article(),
                   resp.article(), ninjs);
    }
  } else {
    v1::GetArticleRequest req;
    req.set_story_id(f.id);
    req.set_version(f.version);
    if (!f.as_of.empty() && !google::protobuf::util::TimeUtil::FromString(f.as_of, req.mutable_as_of())) {
      std::cerr << "copydesk get: --as-of wants an RFC 3339 time such as 2026-11-28T14:00:00Z\n";
      return 2;
    }
    v1::GetArticleResponse resp;
    status = stub.GetArticle(&ctx, req, &resp);
    if (status.ok()) {
      *out = Print(f.full ? static_cast<const google::protobuf::Message&>(resp) : resp.article(),
                   resp.article(), ninjs);
      // Only a token with the embargoed scope ever gets one; say so where a person reads it.
      if (resp.held()) std::cerr << "copydesk get: held: embargoed version, not released yet\n";
    }
  }
  if (!status.ok()) {
    std::cerr << "copydesk get: " << status.error_code() << " " << status.error_message() << "\n";
    return status.error_code() == grpc::StatusCode::NOT_FOUND ? 1 : 3;
  }
  return 0;
}

// `--diff V1 V2`: both versions by story id, printed as a readable diff. Exit codes as Fetch.
int Diff(const GetFlags& f, v1::Lookup::Stub& stub, const std::string& token) {
  if (f.id.rfind("http", 0) == 0 || f.version != 0 || !f.as_of.empty() || f.full || f.format != "json") {
    std::cerr << "copydesk get: --diff takes a story id and two versions, without --version, --as-of, --full "
                 "or --format\n";
    return 2;
  }
  v1::Article versions[2];
  for (int i = 0; i < 2; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000)));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::GetArticleRequest req;
    req.set_story_id(f.id);
    req.set_version(f.diff[static_cast<size_t>(i)]);
    v1::GetArticleResponse resp;
    const grpc::Status status = stub.GetArticle(&ctx, req, &resp);
    if (!status.ok()) {
      std::cerr << "copydesk get: version " << f.diff[static_cast<size_t>(i)] << ": " << status.error_code()
                << " " << status.error_message() << "\n";
      return status.error_code() == grpc::StatusCode::NOT_FOUND ? 1 : 3;
    }
    versions[i] = std::move(*resp.mutable_article());
  }
  std::cout << ReadableDiff(versions[0], versions[1]);
  return 0;
}

int RunGet(const GetFlags& f) {
  std::shared_ptr<grpc::ChannelCredentials> creds = Credentials(f);
  if (!creds) return 2;
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  if (!f.tls_server_name.empty()) args.SetSslTargetNameOverride(f.tls_server_name);
  auto channel = grpc::CreateCustomChannel(f.grpc, creds, args);
  auto stub = v1::Lookup::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(static_cast<int64_t>(f.timeout_s * 1000)));
  std::string token;
  if (!ReadToken(f, &token)) return 2;
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);

  if (!f.diff.empty()) return Diff(f, *stub, token);
  const bool ninjs = f.format == "ninjs";
  if (ninjs && f.full) {
    std::cerr << "copydesk get: --full prints the whole response as protobuf JSON; it does not go with "
                 "--format ninjs\n";
    return 2;
  }
  std::string out;
  if (int rc = Fetch(f, *stub, ctx, ninjs, &out); rc != 0) return rc;
  std::cout << out << std::endl;
  return 0;
}

}  // namespace

void RegisterGet(CLI::App& app) {
  auto f = std::make_shared<GetFlags>();
  auto* cmd = app.add_subcommand(
      "get",
      "Print one article as JSON (protobuf JSON mapping with proto field names, or IPTC ninjs 2.2 with "
      "--format ninjs) from a running `copydesk lookup`.\n"
      "STORY_ID reads the latest version (or --version N / --as-of TIME); an argument starting with\n"
      "http is looked up by URL; --diff V1 V2 prints what changed between two versions.\n"
      "With a token of the embargoed scope, a held (embargoed) story reads as its held version\n"
      "(stderr says so; --full shows \"held\": true).\n"
      "Exit 0 found, 1 not found, 2 usage, 3 other gRPC errors.");
  cmd->add_option("id", f->id, "story id, or a URL of the story")->required();
  cmd->add_option("--version", f->version, "version number (default: latest)");
  cmd->add_option("--as-of", f->as_of,
                  "the version current at this RFC 3339 time, e.g. 2026-11-28T14:00:00Z");
  cmd->add_option("--grpc", f->grpc, "lookup address HOST:PORT (default 127.0.0.1:50051)");
  cmd->add_option("--token-file", f->token_file,
                  "file whose first line is the bearer token (else env COPYDESK_LOOKUP_TOKEN)");
  cmd->add_option("--tls-ca", f->tls_ca, "CA certificate (PEM) to verify the server; enables TLS");
  cmd->add_option("--tls-cert", f->tls_cert, "client certificate (PEM) for mutual TLS");
  cmd->add_option("--tls-key", f->tls_key, "client private key (PEM) for mutual TLS");
  cmd->add_option("--tls-server-name", f->tls_server_name, "expected server name in its certificate");
  cmd->add_option("--timeout", f->timeout_s, "deadline in seconds (default 10)");
  cmd->add_option(
         "--diff", f->diff,
         "print what changed from version V1 to V2 of the story: the fields with their old (-) and "
         "new (+) values, the body's paragraph edits, and which version, provider and event set each "
         "field of V2")
      ->expected(2)
      ->type_name("V1 V2");
  cmd->add_flag("--full", f->full, "print the whole response (article, canceled, watermark)");
  cmd->add_option("--format", f->format,
                  "json: copydesk.v1.Article in protobuf's JSON mapping (proto field names, as `copydesk "
                  "normalize`); ninjs: IPTC ninjs 2.2 JSON")
      ->check(CLI::IsMember({"json", "ninjs"}))
      ->capture_default_str();
  cmd->callback([f] { SetExitCode(RunGet(*f)); });
}

}  // namespace copydesk::cli
