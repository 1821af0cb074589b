#include "common/http_server.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace copydesk::http {
namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

const char* Reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

// One client connection. Touched on the server thread only.
struct Connection {
  int fd = -1;
  int64_t opened_ms = 0;
  int64_t deadline_ms = 0;  // of the request while reading, of the response while writing
  bool writing = false;
  std::string in;
  std::string out;
  size_t written = 0;
};

std::string Serialize(const Response& r, bool head) {
  std::string s = "HTTP/1.1 " + std::to_string(r.status) + " " + Reason(r.status) + "\r\n";
  s += "Content-Type: " + r.content_type + "\r\n";
  s += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
  if (r.status == 405) s += "Allow: GET, HEAD\r\n";
  s += "Cache-Control: no-store\r\nConnection: close\r\n\r\n";
  if (!head) s += r.body;
  return s;
}

Result<std::pair<std::string, std::string>> SplitAddress(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos) {
    return Error{v1::ERROR_CODE_INTERNAL, "address '" + address + "' is not HOST:PORT"};
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return std::make_pair(host, address.substr(colon + 1));
}

}  // namespace

Result<std::unique_ptr<Server>> Server::Start(const std::string& address,
                                              std::map<std::string, Handler> routes, ServerOptions options) {
  auto hp = SplitAddress(address);
  if (!hp.ok()) return hp.error();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string& host = hp->first;
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), hp->second.c_str(), &hints, &res);
  if (rc != 0) return Error{v1::ERROR_CODE_INTERNAL, "cannot resolve " + address + ": " + gai_strerror(rc)};
  std::unique_ptr<Server> s(new Server());
  std::string why = "no address";
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && ::listen(fd, 128) == 0) {
      s->listen_fd_ = fd;
      break;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(res);
  if (s->listen_fd_ < 0) return Error{v1::ERROR_CODE_INTERNAL, "cannot listen on " + address + ": " + why};
  sockaddr_storage sa{};
  socklen_t len = sizeof sa;
  getsockname(s->listen_fd_, reinterpret_cast<sockaddr*>(&sa), &len);
  s->port_ = ntohs(sa.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&sa)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&sa)->sin_port);
  s->epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  s->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (s->epoll_fd_ < 0 || s->wake_fd_ < 0) {
    return Error{v1::ERROR_CODE_INTERNAL, std::string("epoll/eventfd: ") + std::strerror(errno)};
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = s->listen_fd_;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->listen_fd_, &ev);
  ev.data.fd = s->wake_fd_;
  epoll_ctl(s->epoll_fd_, EPOLL_CTL_ADD, s->wake_fd_, &ev);
  s->routes_ = std::move(routes);
  s->options_ = options;
  s->thread_ = std::thread([raw = s.get()] { raw->Run(); });
  return s;
}

Server::~Server() {
  if (thread_.joinable()) {
    uint64_t one = 1;
    if (::write(wake_fd_, &one, sizeof one) < 0) {
      // The eventfd cannot be full: the thread has exited or will see the counter.
    }
    thread_.join();
  }
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_}) {
    if (fd >= 0) ::close(fd);
  }
}

// The event loop of one Server: its connections and what happens to them. Lives on the
// server thread only.
class Server::Loop {
 public:
  explicit Loop(Server& server) : s_(server) {}
  ~Loop() {
    for (auto& [fd, c] : conns_) ::close(fd);
  }

  // Runs until the server's eventfd is written.
  void Run() {
    epoll_event events[64];
    for (;;) {
      const int n = epoll_wait(s_.epoll_fd_, events, 64, 200);
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == s_.wake_fd_) return;
        if (fd == s_.listen_fd_) {
          AcceptAll();
          continue;
        }
        auto it = conns_.find(fd);
        if (it == conns_.end()) continue;
        if (!it->second.writing) {
          OnReadable(it->second);
        } else if (events[i].events & (EPOLLERR | EPOLLHUP)) {
          Close(fd);
        } else {
          OnWritable(it->second);
        }
      }
      CloseExpired();
    }
  }

 private:
  void Close(int fd) {
    epoll_ctl(s_.epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    conns_.erase(fd);
  }

  void Respond(Connection& c, const Response& r, bool head) {
    c.out = Serialize(r, head);
    c.written = 0;
    c.writing = true;
    c.deadline_ms = NowMs() + s_.options_.write_timeout.count();
    epoll_event ev{};
    ev.events = EPOLLOUT;
    ev.data.fd = c.fd;
    epoll_ctl(s_.epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev);
  }

  // Answers a complete request head; waits for more while it is incomplete.
  void Handle(Connection& c) {
    size_t end = c.in.find("\r\n\r\n");
    if (end == std::string::npos) end = c.in.find("\n\n");
    if (end == std::string::npos) {
      if (c.in.size() > s_.options_.max_request_bytes) {
        Respond(c, {431, "text/plain; charset=utf-8", "request too large\n"}, false);
      }
      return;
    }
    std::string_view head(c.in);
    std::string_view line = head.substr(0, head.find_first_of("\r\n"));
    const size_t sp1 = line.find(' ');
    const size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
    if (sp1 == std::string_view::npos || sp2 == std::string_view::npos ||
        line.substr(sp2 + 1, 5) != "HTTP/") {
      Respond(c, {400, "text/plain; charset=utf-8", "bad request\n"}, false);
      return;
    }
    const std::string_view method = line.substr(0, sp1);
    std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
    target = target.substr(0, target.find('?'));
    const bool is_head = method == "HEAD";
    if (method != "GET" && !is_head) {
      Respond(c, {405, "text/plain; charset=utf-8", "only GET and HEAD\n"}, false);
      return;
    }
    auto route = s_.routes_.find(std::string(target));
    if (route == s_.routes_.end()) {
      Respond(c, {404, "text/plain; charset=utf-8", "not found\n"}, is_head);
      return;
    }
    Respond(c, route->second(), is_head);
  }

  void AcceptAll() {
    for (;;) {
      int fd = accept4(s_.listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;  // EAGAIN, or a transient error (EMFILE): retried on the next wake-up
      if (conns_.size() >= s_.options_.max_connections) CloseOldest();
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Connection c;
      c.fd = fd;
      c.opened_ms = NowMs();
      c.deadline_ms = c.opened_ms + s_.options_.request_timeout.count();
      conns_.emplace(fd, std::move(c));
      epoll_event ev{};
      ev.events = EPOLLIN | EPOLLRDHUP;
      ev.data.fd = fd;
      epoll_ctl(s_.epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
    }
  }

  void CloseOldest() {
    int oldest = -1;
    int64_t oldest_ms = INT64_MAX;
    for (const auto& [fd, c] : conns_) {
      if (c.opened_ms < oldest_ms) {
        oldest_ms = c.opened_ms;
        oldest = fd;
      }
    }
    if (oldest >= 0) Close(oldest);
  }

  void OnReadable(Connection& c) {
    char buf[4096];
    bool closed = false;  // the peer closed its side (it may still read the response) or failed
    for (;;) {
      ssize_t n = ::recv(c.fd, buf, sizeof buf, 0);
      if (n > 0) {
        c.in.append(buf, static_cast<size_t>(n));
        if (c.in.size() > s_.options_.max_request_bytes + sizeof buf) break;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) closed = true;
      break;
    }
    Handle(c);
    if (closed && !c.writing) Close(c.fd);
  }

  void OnWritable(Connection& c) {
    while (c.written < c.out.size()) {
      ssize_t n = ::send(c.fd, c.out.data() + c.written, c.out.size() - c.written, MSG_NOSIGNAL);
      if (n > 0) {
        c.written += static_cast<size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    ::shutdown(c.fd, SHUT_WR);
    Close(c.fd);
  }

  // A request that has not arrived, or a response not taken, in time.
  void CloseExpired() {
    const int64_t now = NowMs();
    std::vector<int> expired;
    for (const auto& [fd, c] : conns_) {
      if (now >= c.deadline_ms) expired.push_back(fd);
    }
    for (int fd : expired) Close(fd);
  }

  Server& s_;
  std::unordered_map<int, Connection> conns_;
};

void Server::Run() {
  Loop(*this).Run();
}

}  // namespace copydesk::http
