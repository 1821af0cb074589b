// The worker's first fatal error: set by whichever part meets one (a fenced producer, a failed
// local store, a restore that gave up), read by the loop, which then stops and exits (status 3).
#pragma once

#include "common/result.h"

namespace copydesk::ingest {

class FatalError {
 public:
  // Keeps the first error: it is the cause, later ones are consequences.
  void Set(const Error& e) {
    if (status_.ok()) status_ = e;
  }
  [[nodiscard]] bool ok() const { return status_.ok(); }
  [[nodiscard]] const Status& status() const { return status_; }

 private:
  Status status_ = OkStatus();
};

}  // namespace copydesk::ingest
