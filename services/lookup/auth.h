// Security of the Lookup gRPC server: the transport credentials (plaintext, TLS, mutual TLS) and
// the bearer-token check of every copydesk.v1.Lookup call.
#pragma once

#include <grpcpp/grpcpp.h>
#include <openssl/sha.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "lookup/metrics.h"
#include "lookup/service.h"

namespace copydesk::lookup {

// The whole content of a file.
Result<std::string> ReadWholeFile(const std::string& path);

// Server credentials for `sec`: TLS when a certificate is set, mutual TLS when client
// certificates are required, else plaintext. Errors name the missing piece.
Result<std::shared_ptr<grpc::ServerCredentials>> MakeServerCredentials(const SecurityOptions& sec);

// Checks `authorization: Bearer <token>` against the accepted tokens, in constant time: the
// SHA-256 of the given token is compared with the SHA-256 of every accepted one (CRYPTO_memcmp,
// every token checked). The tokens themselves are not kept. No tokens: every call passes.
class TokenCheck {
 public:
  explicit TokenCheck(const std::vector<std::string>& tokens);
  // OK, or UNAUTHENTICATED (counted in copydesk_lookup_auth_rejected_total{reason}).
  grpc::Status Check(const grpc::CallbackServerContext* ctx, LookupMetrics& metrics) const;

 private:
  using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;
  static Digest Sha256(std::string_view s);
  std::vector<Digest> digests_;
};

}  // namespace copydesk::lookup
