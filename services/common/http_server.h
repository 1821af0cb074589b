// A small HTTP/1.x server for the operational endpoints (/metrics, /livez, /readyz): one
// thread, non-blocking sockets, epoll. Idle, half-open or slow ("slow-loris") clients cost a
// file descriptor each and never hold the thread: each request must arrive within
// `request_timeout`, and beyond `max_connections` the oldest connection is closed to make room.
// GET and HEAD only; every response closes its connection.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "common/result.h"

namespace copydesk::http {

struct Response {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

// Serves one path. Runs on the server thread: it must not block for long (a scrape of the
// registry is fine; network I/O is not).
using Handler = std::function<Response()>;

struct ServerOptions {
  // Open connections at most; a new one beyond it closes the oldest.
  size_t max_connections = 256;
  // A request line and headers must arrive within this time after the connection opens.
  std::chrono::milliseconds request_timeout{5000};
  // A response must be taken by the client within this time.
  std::chrono::milliseconds write_timeout{10000};
  // Largest request head accepted (request line + headers); larger gets 431.
  size_t max_request_bytes = 8192;
};

class Server {
 public:
  // Binds `address` ("HOST:PORT", port 0 = any free port; HOST may be a name, an IPv4
  // address or a bracketed IPv6 address) and starts the thread. `routes` maps a path (without
  // query) to its handler; other paths answer 404.
  static Result<std::unique_ptr<Server>> Start(const std::string& address,
                                               std::map<std::string, Handler> routes,
                                               ServerOptions options = {});
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;
  // Stops the thread and closes every connection.
  ~Server();

  [[nodiscard]] int port() const { return port_; }

 private:
  Server() = default;
  class Loop;
  void Run();

  std::map<std::string, Handler> routes_;  // read on the server thread only
  ServerOptions options_;
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: the destructor wakes the thread through it
  int port_ = 0;
  std::thread thread_;
};

}  // namespace copydesk::http
