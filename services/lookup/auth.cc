#include "lookup/auth.h"

#include <openssl/crypto.h>

#include <cctype>
#include <fstream>
#include <sstream>

namespace copydesk::lookup {
namespace {

std::string Trim(std::string s) {
  const char* ws = " \t\r\n";
  s.erase(0, s.find_first_not_of(ws));
  auto end = s.find_last_not_of(ws);
  s.erase(end == std::string::npos ? 0 : end + 1);
  return s;
}

}  // namespace

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{v1::ERROR_CODE_INTERNAL, "cannot read " + path};
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::vector<std::string>> LoadTokenFile(const std::string& path) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return text.error();
  std::vector<std::string> out;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    out.push_back(line);
  }
  if (out.empty()) return Error{v1::ERROR_CODE_INTERNAL, "token file " + path + " holds no token"};
  return out;
}

std::vector<std::string> ParseTokens(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : text + ",") {
    if (c == ',' || c == '\n') {
      cur = Trim(cur);
      if (!cur.empty()) out.push_back(cur);
      cur.clear();
    } else {
      cur.push_back(c);
    }
  }
  return out;
}

Result<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const SecurityOptions& sec) {
  if (sec.tls_cert_file.empty() && sec.tls_key_file.empty()) {
    if (sec.require_client_cert)
      return Error{v1::ERROR_CODE_INTERNAL, "mutual TLS needs a server certificate"};
    return grpc::InsecureServerCredentials();
  }
  if (sec.tls_cert_file.empty() || sec.tls_key_file.empty()) {
    return Error{v1::ERROR_CODE_INTERNAL, "TLS needs both a certificate and a key file"};
  }
  auto cert = ReadWholeFile(sec.tls_cert_file);
  if (!cert.ok()) return cert.error();
  auto key = ReadWholeFile(sec.tls_key_file);
  if (!key.ok()) return key.error();
  grpc::SslServerCredentialsOptions ssl(sec.require_client_cert
                                            ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                                            : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({*key, *cert});
  if (sec.require_client_cert) {
    if (sec.tls_client_ca_file.empty()) {
      return Error{v1::ERROR_CODE_INTERNAL, "mutual TLS needs the client CA file (--tls-client-ca)"};
    }
    auto ca = ReadWholeFile(sec.tls_client_ca_file);
    if (!ca.ok()) return ca.error();
    ssl.pem_root_certs = *ca;
  }
  return grpc::SslServerCredentials(ssl);
}

TokenCheck::TokenCheck(const std::vector<std::string>& tokens,
                       const std::vector<std::string>& embargoed_tokens) {
  for (const auto& t : tokens) {
    digests_.push_back(Sha256(t));
    embargoed_.push_back(0);
  }
  for (const auto& t : embargoed_tokens) {
    digests_.push_back(Sha256(t));
    embargoed_.push_back(1);
  }
}

TokenCheck::Digest TokenCheck::Sha256(std::string_view s) {
  Digest d{};
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), d.data());
  return d;
}

grpc::Status TokenCheck::Check(const grpc::CallbackServerContext* ctx, LookupMetrics& metrics,
                               Caller* caller) const {
  if (caller != nullptr) *caller = Caller{};
  if (digests_.empty()) return grpc::Status::OK;  // no authentication: no scope either
  const auto& md = ctx->client_metadata();
  auto it = md.find("authorization");
  if (it == md.end()) {
    metrics.auth_rejected.Get("missing_token").Increment();
    return {grpc::StatusCode::UNAUTHENTICATED,
            "missing bearer token (metadata 'authorization: Bearer <token>')"};
  }
  std::string_view v(it->second.data(), it->second.size());
  constexpr std::string_view kScheme = "bearer ";
  bool scheme = v.size() > kScheme.size();
  for (size_t i = 0; scheme && i < kScheme.size(); ++i) {
    scheme = std::tolower(static_cast<unsigned char>(v[i])) == kScheme[i];
  }
  if (!scheme) {
    metrics.auth_rejected.Get("missing_token").Increment();
    return {grpc::StatusCode::UNAUTHENTICATED, "authorization metadata is not a bearer token"};
  }
  const Digest given = Sha256(v.substr(kScheme.size()));
  // Every digest is compared, and the scope is accumulated with masks rather than branches, so
  // the time does not depend on which token matched or on its scope.
  unsigned match = 0;
  unsigned embargoed = 0;
  for (size_t i = 0; i < digests_.size(); ++i) {
    const unsigned eq =
        static_cast<unsigned>(CRYPTO_memcmp(given.data(), digests_[i].data(), given.size()) == 0);
    match |= eq;
    embargoed |= eq & embargoed_[i];
  }
  if (!match) {
    metrics.auth_rejected.Get("wrong_token").Increment();
    return {grpc::StatusCode::UNAUTHENTICATED, "invalid bearer token"};
  }
  if (caller != nullptr) caller->embargoed = embargoed != 0;
  return grpc::Status::OK;
}

}  // namespace copydesk::lookup
