#include "common/health.h"

#include <cstdio>

namespace copydesk::health {
namespace {

std::string Seconds(int64_t ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms) / 1000.0);
  return buf;
}

}  // namespace

void ReadinessFlag::Set(bool ready, std::string why) {
  std::lock_guard<std::mutex> lock(mu_);
  ready_ = ready;
  why_not_ = std::move(why);
}

std::optional<std::string> ReadinessFlag::WhyNot() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (ready_) return std::nullopt;
  return why_not_.empty() ? std::string("not ready") : why_not_;
}

std::shared_ptr<Heartbeat> Registry::AddHeartbeat(std::string name, std::chrono::milliseconds max_age) {
  auto hb = std::make_shared<Heartbeat>(std::move(name), max_age, clock_);
  std::lock_guard<std::mutex> lock(mu_);
  heartbeats_.push_back(hb);
  return hb;
}

std::shared_ptr<ReadinessFlag> Registry::AddReadiness(std::string name, std::string why_not) {
  auto flag = std::make_shared<ReadinessFlag>(std::move(name), std::move(why_not));
  std::lock_guard<std::mutex> lock(mu_);
  flags_.push_back(flag);
  return flag;
}

void Registry::AddReadinessCheck(std::string name, std::function<std::optional<std::string>()> check) {
  std::lock_guard<std::mutex> lock(mu_);
  checks_.emplace_back(std::move(name), std::move(check));
}

Report Registry::Liveness() const {
  Report r;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& weak : heartbeats_) {
    auto hb = weak.lock();
    if (!hb) continue;
    const int64_t age = hb->AgeMillis();
    if (age > hb->max_age_ms()) {
      r.ok = false;
      r.text += "heartbeat '" + hb->name() + "' stale: last beat " + Seconds(age) + " ago (limit " +
                Seconds(hb->max_age_ms()) + ")\n";
    }
  }
  if (r.ok) r.text = "ok\n";
  return r;
}

Report Registry::Readiness() const {
  Report live = Liveness();
  Report r;
  if (!live.ok) {
    r.ok = false;
    r.text = "not live: " + live.text;
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& weak : flags_) {
    auto flag = weak.lock();
    if (!flag) continue;
    if (auto why = flag->WhyNot()) {
      r.ok = false;
      r.text += flag->name() + ": " + *why + "\n";
    }
  }
  for (const auto& [name, check] : checks_) {
    if (auto why = check()) {
      r.ok = false;
      r.text += name + ": " + *why + "\n";
    }
  }
  if (r.ok) r.text = "ok\n";
  return r;
}

}  // namespace copydesk::health
