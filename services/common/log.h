// One logger per module, structured: values in fields ("key=value"), never in the message text.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace copydesk {

// The named logger of a module ("ingest", "lookup", ...), created on first use. Logs go to
// stderr; the level comes from COPYDESK_LOG_LEVEL (trace, debug, info, warn, error; default info).
std::shared_ptr<spdlog::logger> Logger(const std::string& module);

}  // namespace copydesk
