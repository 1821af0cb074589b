// A client of the embedded broker's control interface (`copydesk broker --control`): one
// command line out, one reply line back.
#pragma once

#include <string>

#include "common/result.h"

namespace copydesk::cli {

// Sends `line` to the control interface at `address` (HOST:PORT) and returns the reply
// ("ok ..." or "error: ...").
Result<std::string> SendBrokerControl(const std::string& address, const std::string& line);

// The control address of the local embedded broker whose bootstrap is `bootstrap` (from its
// address file), or an error when there is none.
Result<std::string> LocalBrokerControl(const std::string& bootstrap);

}  // namespace copydesk::cli
