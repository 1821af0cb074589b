// TLS, mutual TLS and bearer tokens on the Lookup server, with certificates made by the openssl
// command at test time. Each rejection: no token, wrong token, no client certificate under mTLS,
// a client certificate from another CA, plaintext against TLS.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "copydesk/v1/lookup.grpc.pb.h"
#include "lookup/service.h"
#include "lookup/tests/fixtures.h"

namespace copydesk::lookup {
namespace {

using testing::MakeEvent;
using testing::TempDir;

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class SecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const std::string d = dir_->path();
    std::ofstream(d + "/server.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::ofstream(d + "/client.ext") << "extendedKeyUsage=clientAuth\n";
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes ";
    std::string script =
        "set -e; cd '" + d +
        "'; "
        "openssl req -x509" +
        ec +
        "-keyout ca.key -out ca.pem -days 2 -subj /CN=copydesk-test-ca; "
        "openssl req -x509" +
        ec +
        "-keyout other-ca.key -out other-ca.pem -days 2 -subj /CN=other-ca; "
        "openssl req" +
        ec +
        "-keyout server.key -out server.csr -subj /CN=localhost; "
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem -days 2 "
        "-extfile server.ext; "
        "openssl req" +
        ec +
        "-keyout client.key -out client.csr -subj /CN=client; "
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2 "
        "-extfile client.ext; "
        "openssl req" +
        ec +
        "-keyout rogue.key -out rogue.csr -subj /CN=rogue; "
        "openssl x509 -req -in rogue.csr -CA other-ca.pem -CAkey other-ca.key -CAcreateserial -out rogue.pem "
        "-days 2 -extfile client.ext";
    ok_ = std::system(("bash -c \"" + script + "\" > " + d + "/openssl.log 2>&1").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "openssl could not make the test certificates (see openssl.log)";
    ViewStore::Options so;
    so.dir = view_dir_.path();
    auto s = ViewStore::Open(so);
    ASSERT_TRUE(s.ok());
    store_ = std::move(*s);
    ASSERT_TRUE(store_->Apply({testing::Rec(0, 0, MakeEvent({.story = "s"}))}).ok());
    metrics_ = std::make_unique<LookupMetrics>(registry_);
  }

  void Serve(bool mtls) {
    ServerOptions o;
    o.address = "127.0.0.1:0";
    o.security.tls_cert_file = Path("server.pem");
    o.security.tls_key_file = Path("server.key");
    o.security.require_client_cert = mtls;
    if (mtls) o.security.tls_client_ca_file = Path("ca.pem");
    o.security.tokens = {"the-token"};
    auto srv = LookupServer::Start(o, *store_, *metrics_);
    ASSERT_TRUE(srv.ok()) << srv.error().reason;
    server_ = std::move(*srv);
  }

  static std::string Path(const std::string& name) { return dir_->path() + "/" + name; }

  std::shared_ptr<grpc::Channel> TlsChannel(const std::string& cert = "", const std::string& key = "") {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = Slurp(Path("ca.pem"));
    if (!cert.empty()) {
      ssl.pem_cert_chain = Slurp(Path(cert));
      ssl.pem_private_key = Slurp(Path(key));
    }
    return grpc::CreateChannel("localhost:" + std::to_string(server_->port()), grpc::SslCredentials(ssl));
  }

  static grpc::Status Call(const std::shared_ptr<grpc::Channel>& ch, const std::string& token) {
    auto stub = v1::Lookup::NewStub(ch);
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
    v1::GetArticleRequest req;
    req.set_story_id("s");
    v1::GetArticleResponse resp;
    return stub->GetArticle(&ctx, req, &resp);
  }

  static grpc::Status Health(const std::shared_ptr<grpc::Channel>& ch) {
    grpc::GenericStub generic(ch);
    grpc::CompletionQueue cq;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
    grpc::Slice empty{std::string()};
    grpc::ByteBuffer request(&empty, 1);
    grpc::ByteBuffer response;
    auto call = generic.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
    call->StartCall();
    grpc::Status status;
    call->Finish(&response, &status, reinterpret_cast<void*>(1));
    void* tag;
    bool ok;
    cq.Next(&tag, &ok);
    return status;
  }

  static TempDir* dir_;
  static bool ok_;
  TempDir view_dir_;
  prometheus::Registry registry_;
  std::unique_ptr<ViewStore> store_;
  std::unique_ptr<LookupMetrics> metrics_;
  std::unique_ptr<LookupServer> server_;
};

TempDir* SecurityTest::dir_ = nullptr;
bool SecurityTest::ok_ = false;

TEST_F(SecurityTest, TlsWithTokens) {
  Serve(false);
  auto ch = TlsChannel();
  EXPECT_TRUE(Call(ch, "the-token").ok());
  EXPECT_EQ(Call(ch, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);               // no token
  EXPECT_EQ(Call(ch, "not-the-token").error_code(), grpc::StatusCode::UNAUTHENTICATED);  // wrong token
  EXPECT_TRUE(Health(ch).ok());                                                          // health stays open
}

TEST_F(SecurityTest, PlaintextIsRefusedWhenTlsIsOn) {
  Serve(false);
  auto plain =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(server_->port()), grpc::InsecureChannelCredentials());
  grpc::Status st = Call(plain, "the-token");
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
}

TEST_F(SecurityTest, MutualTlsRequiresAClientCertificate) {
  Serve(true);
  EXPECT_TRUE(Call(TlsChannel("client.pem", "client.key"), "the-token").ok());
  grpc::Status none = Call(TlsChannel(), "the-token");  // no client certificate
  EXPECT_EQ(none.error_code(), grpc::StatusCode::UNAVAILABLE) << none.error_message();
  grpc::Status rogue = Call(TlsChannel("rogue.pem", "rogue.key"), "the-token");  // another CA
  EXPECT_EQ(rogue.error_code(), grpc::StatusCode::UNAVAILABLE) << rogue.error_message();
  EXPECT_EQ(Call(TlsChannel("client.pem", "client.key"), "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
}

}  // namespace
}  // namespace copydesk::lookup
