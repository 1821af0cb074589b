// `copydesk probe http|grpc`: a health probe for container HEALTHCHECKs and Kubernetes exec
// probes, where the kubelet's own probes do not fit (gRPC over TLS: kubelet gRPC probes are
// plaintext only). Exit 0 healthy, 1 not (the reason on stdout), 2 usage.
#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/commands.h"

namespace copydesk::cli {
namespace {

struct ProbeFlags {
  std::string target;
  int64_t timeout_ms = 3000;
  std::string service;
  std::string tls_ca, tls_cert, tls_key, server_name, token_file;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// GET http://HOST:PORT/PATH; healthy on a 2xx status within the timeout.
int ProbeHttp(const ProbeFlags& f) {
  std::string url = f.target;
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  const auto slash = url.find('/');
  const std::string hostport = url.substr(0, slash);
  const std::string path = slash == std::string::npos ? "/" : url.substr(slash);
  const auto colon = hostport.rfind(':');
  if (colon == std::string::npos) {
    std::cerr << "copydesk probe http: expected http://HOST:PORT/PATH, got '" << f.target << "'\n";
    return 2;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(hostport.substr(0, colon).c_str(), hostport.substr(colon + 1).c_str(), &hints, &res) != 0) {
    std::cout << "unhealthy: cannot resolve " << hostport << "\n";
    return 1;
  }
  const int fd = ::socket(res->ai_family, res->ai_socktype | SOCK_NONBLOCK, res->ai_protocol);
  const int rc = ::connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(f.timeout_ms);
  auto left_ms = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now())
               .count()));
  };
  pollfd p{fd, POLLOUT, 0};
  if ((rc != 0 && errno != EINPROGRESS) || ::poll(&p, 1, left_ms()) != 1 ||
      (p.revents & (POLLERR | POLLHUP))) {
    std::cout << "unhealthy: cannot connect to " << hostport << "\n";
    ::close(fd);
    return 1;
  }
  const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + hostport + "\r\nConnection: close\r\n\r\n";
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    std::cout << "unhealthy: cannot send to " << hostport << "\n";
    ::close(fd);
    return 1;
  }
  std::string resp;
  char buf[4096];
  p = {fd, POLLIN, 0};
  while (::poll(&p, 1, left_ms()) == 1) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    resp.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  const bool ok = resp.size() > 12 && resp.rfind("HTTP/1.", 0) == 0 && resp[9] == '2';
  const auto body = resp.find("\r\n\r\n");
  std::cout << (ok ? "healthy: " : "unhealthy: ") << resp.substr(0, resp.find("\r\n"))
            << (body != std::string::npos ? " " + resp.substr(body + 4, 400) : std::string()) << "\n";
  return ok ? 0 : 1;
}

// grpc.health.v1.Health/Check; healthy when the answer is SERVING.
int ProbeGrpc(const ProbeFlags& f) {
  std::shared_ptr<grpc::ChannelCredentials> creds = grpc::InsecureChannelCredentials();
  grpc::ChannelArguments args;
  if (!f.tls_ca.empty()) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = ReadFile(f.tls_ca);
    if (!f.tls_cert.empty()) o.pem_cert_chain = ReadFile(f.tls_cert);
    if (!f.tls_key.empty()) o.pem_private_key = ReadFile(f.tls_key);
    creds = grpc::SslCredentials(o);
    if (!f.server_name.empty()) args.SetSslTargetNameOverride(f.server_name);
  }
  auto channel = grpc::CreateCustomChannel(f.target, creds, args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(f.timeout_ms));
  if (!f.token_file.empty()) {
    std::string token = ReadFile(f.token_file);
    token = token.substr(0, token.find_first_of("\r\n"));
    ctx.AddMetadata("authorization", "Bearer " + token);
  }
  // HealthCheckRequest{service = 1}: tag 0x0a, length, bytes (names are short).
  std::string request;
  if (!f.service.empty()) {
    request.push_back('\x0a');
    request.push_back(static_cast<char>(f.service.size()));
    request += f.service;
  }
  grpc::Slice slice(request);
  grpc::ByteBuffer req(&slice, 1), resp;
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", req, &cq);
  call->StartCall();
  grpc::Status status;
  call->Finish(&resp, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    std::cout << "unhealthy: " << f.target << " health check failed: " << status.error_message() << " (code "
              << status.error_code() << ")\n";
    return 1;
  }
  std::vector<grpc::Slice> slices;
  (void)resp.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse{status = 1}: tag 0x08, varint (1 SERVING, 2 NOT_SERVING, 3 SERVICE_UNKNOWN).
  const int code = bytes.size() >= 2 && bytes[0] == '\x08' ? bytes[1] : 0;
  static const char* kNames[] = {"UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"};
  const char* name = code >= 0 && code <= 3 ? kNames[code] : "UNKNOWN";
  std::cout << (code == 1 ? "healthy: " : "unhealthy: ") << f.target << " "
            << (f.service.empty() ? "(server)" : f.service) << " " << name << "\n";
  return code == 1 ? 0 : 1;
}

}  // namespace

void RegisterProbe(CLI::App& app) {
  auto f = std::make_shared<ProbeFlags>();
  auto* cmd = app.add_subcommand(
      "probe",
      "Health probe for container HEALTHCHECKs and Kubernetes exec probes. Exit 0 healthy, 1 not, 2 usage.");
  cmd->require_subcommand(1);
  auto* http = cmd->add_subcommand("http", "GET an URL (e.g. http://127.0.0.1:9464/livez); healthy on 2xx.");
  http->add_option("url", f->target, "http://HOST:PORT/PATH")->required();
  http->add_option("--timeout-ms", f->timeout_ms, "give up after this long")->capture_default_str();
  http->callback([f] { SetExitCode(ProbeHttp(*f)); });
  auto* grpc = cmd->add_subcommand(
      "grpc", "grpc.health.v1 Check against HOST:PORT; healthy when SERVING. Speaks TLS with --tls-ca.");
  grpc->add_option("address", f->target, "HOST:PORT")->required();
  grpc->add_option("--service", f->service, "service to ask about (default: the server as a whole)");
  grpc->add_option("--timeout-ms", f->timeout_ms, "give up after this long")->capture_default_str();
  grpc->add_option("--tls-ca", f->tls_ca, "CA (PEM) of the server certificate: use TLS");
  grpc->add_option("--tls-cert", f->tls_cert, "client certificate (PEM) for mutual TLS");
  grpc->add_option("--tls-key", f->tls_key, "client key (PEM) for mutual TLS");
  grpc->add_option("--server-name", f->server_name, "name the server certificate must carry");
  grpc->add_option("--token-file", f->token_file, "bearer token (first line of the file)");
  grpc->callback([f] { SetExitCode(ProbeGrpc(*f)); });
}

}  // namespace copydesk::cli
