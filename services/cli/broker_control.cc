#include "cli/broker_control.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

#include "common/config.h"

namespace copydesk::cli {

Result<std::string> SendBrokerControl(const std::string& address, const std::string& line) {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos)
    return Error{v1::ERROR_CODE_INTERNAL, "control address '" + address + "' is not HOST:PORT"};
  const std::string host = address.substr(0, colon);
  const int port = std::atoi(address.c_str() + colon + 1);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  if (port <= 0 || inet_pton(AF_INET, host.c_str(), &sa.sin_addr) != 1) {
    return Error{v1::ERROR_CODE_INTERNAL, "control address '" + address + "' is not IPv4:PORT"};
  }
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (fd >= 0) ::close(fd);
    return Error{v1::ERROR_CODE_INTERNAL, "cannot connect to the broker control interface at " + address};
  }
  const std::string out = line + "\n";
  if (::write(fd, out.data(), out.size()) != static_cast<ssize_t>(out.size())) {
    ::close(fd);
    return Error{v1::ERROR_CODE_INTERNAL, "cannot send to " + address};
  }
  ::shutdown(fd, SHUT_WR);
  std::string reply;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) reply.append(buf, static_cast<size_t>(n));
  ::close(fd);
  return reply;
}

Result<std::string> LocalBrokerControl(const std::string& bootstrap) {
  auto b = ReadAddressFile(DefaultAddressFile(), "bootstrap");
  if (!b.ok()) return b.error();
  if (b.value() != bootstrap) {
    return Error{v1::ERROR_CODE_INTERNAL,
                 "the local embedded broker (" + b.value() + ") is not " + bootstrap};
  }
  return ReadAddressFile(DefaultAddressFile(), "control");
}

}  // namespace copydesk::cli
