#include "cli/signals.h"

#include <csignal>

namespace copydesk::cli {
namespace {
std::atomic<bool> g_stop{false};
extern "C" void OnStopSignal(int) {
  g_stop.store(true);
}
}  // namespace

std::atomic<bool>& InstallStopSignals() {
  struct sigaction sa {};
  sa.sa_handler = OnStopSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  return g_stop;
}

}  // namespace copydesk::cli
