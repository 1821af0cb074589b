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

// What an authenticated caller may see beyond the public view.
struct Caller {
  // The `embargoed` scope: held (embargoed, not released) stories are visible (README "Scopes").
  bool embargoed = false;
};

// Checks `authorization: Bearer <token>` against the accepted tokens, in constant time: the
// SHA-256 of the given token is compared with the SHA-256 of every accepted one (CRYPTO_memcmp,
// every token checked, the scope picked without a branch on the match). The tokens themselves are
// not kept. Accepted tokens are the ordinary ones and the embargoed ones (those also carry the
// `embargoed` scope). No token of either kind: every call passes, without any scope.
class TokenCheck {
 public:
  explicit TokenCheck(const std::vector<std::string>& tokens,
                      const std::vector<std::string>& embargoed_tokens = {});
  // OK, or UNAUTHENTICATED (counted in copydesk_lookup_auth_rejected_total{reason}). On OK,
  // `caller` (when given) receives the scopes of the token.
  grpc::Status Check(const grpc::CallbackServerContext* ctx, LookupMetrics& metrics,
                     Caller* caller = nullptr) const;

 private:
  using Digest = std::array<unsigned char, SHA256_DIGEST_LENGTH>;
  static Digest Sha256(std::string_view s);
  std::vector<Digest> digests_;
  std::vector<unsigned char> embargoed_;  // 1 when digests_[i] carries the embargoed scope
};

}  // namespace copydesk::lookup
