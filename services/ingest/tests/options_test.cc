#include "ingest/options.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

namespace copydesk::ingest {
namespace {

namespace fs = std::filesystem;

TEST(WorkerOptions, DefaultsWorkForSeveralWorkersOnOneHost) {
  WorkerOptions o;
  EXPECT_TRUE(fs::path(o.state_dir).is_absolute()) << o.state_dir;
  EXPECT_EQ(fs::path(o.state_dir).filename(), "ingest");
  o.state_dir = "relative/state";
  o.Resolve();
  EXPECT_TRUE(fs::path(o.state_dir).is_absolute());
  EXPECT_EQ(o.instance_id, WorkerOptions::DefaultInstanceId());
  EXPECT_TRUE(o.instance_id.ends_with("-" + std::to_string(getpid())));
  WorkerOptions memory;
  memory.state_dir.clear();
  memory.Resolve();
  EXPECT_TRUE(memory.state_dir.empty()) << "empty stays memory";
}

TEST(WorkerOptions, OnlyTheDirectoriesOfStoppedDefaultInstancesOfThisHostAreRemoved) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("copydesk-options-" + std::to_string(getpid()));
  fs::remove_all(dir);
  const std::string own = WorkerOptions::DefaultInstanceId();
  const std::string host = own.substr(0, own.rfind('-') + 1);
  const pid_t child = fork();
  if (child == 0) _exit(0);
  ASSERT_GT(child, 0);
  waitpid(child, nullptr, 0);  // a process id that is not running any more
  for (const std::string& name : {own, host + std::to_string(getppid()), host + std::to_string(child),
                                  host + "stable-name", std::string("otherhost-") + std::to_string(child)}) {
    fs::create_directories(dir / name / "news.raw.v1");
  }
  WorkerOptions o;
  o.state_dir = dir.string();
  o.instance_id = own;
  o.RemoveStoppedDefaultInstances();
  EXPECT_FALSE(fs::exists(dir / (host + std::to_string(child))));
  EXPECT_TRUE(fs::exists(dir / own));
  EXPECT_TRUE(fs::exists(dir / (host + std::to_string(getppid())))) << "a running process";
  EXPECT_TRUE(fs::exists(dir / (host + "stable-name"))) << "a configured instance id";
  EXPECT_TRUE(fs::exists(dir / ("otherhost-" + std::to_string(child)))) << "another host's";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace copydesk::ingest
