// gRPC's own log lines (gpr_log) through copydesk's logger, as module "grpc".
#include <grpc/support/log.h>

#include "cli/commands.h"
#include "common/log.h"

namespace copydesk::cli {
namespace {

void OnGrpcLog(gpr_log_func_args* args) {
  auto logger = Logger("grpc");
  spdlog::level::level_enum level = spdlog::level::info;
  if (args->severity == GPR_LOG_SEVERITY_ERROR) {
    level = spdlog::level::err;
  } else if (args->severity == GPR_LOG_SEVERITY_DEBUG) {
    level = spdlog::level::debug;
  }
  if (!logger->should_log(level)) return;
  logger->log(level, "{} file={} line={}", args->message != nullptr ? args->message : "",
              args->file != nullptr ? args->file : "", args->line);
}

}  // namespace

void InstallGrpcLogging() {
  gpr_set_log_function(OnGrpcLog);
  // gRPC formats only what passes its own verbosity: follow copydesk's level.
  auto level = Logger("grpc")->level();
  gpr_set_log_verbosity(level <= spdlog::level::debug  ? GPR_LOG_SEVERITY_DEBUG
                        : level <= spdlog::level::info ? GPR_LOG_SEVERITY_INFO
                                                       : GPR_LOG_SEVERITY_ERROR);
}

}  // namespace copydesk::cli
