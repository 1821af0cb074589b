#include "ingest/checkpoint.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

TEST(Checkpoint, KeepsTheBytesLocalStoresAlreadyHold) {
  // Stores written before keep working: the key and the value's layout are part of the state.
  EXPECT_EQ(CheckpointKey(), std::string("\xff\xff") + "copydesk/committed_next");
  EXPECT_EQ(EncodeCheckpoint({"abc-123", 42, 97}), "s4:abc-123/42/97");
}

TEST(Checkpoint, DecodesWhatItEncodesAndRefusesOtherLayouts) {
  auto c = DecodeCheckpoint(EncodeCheckpoint({"cluster/with/slashes", 7, 9}));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->cluster, "cluster/with/slashes");
  EXPECT_EQ(c->committed_next, 7);
  EXPECT_EQ(c->changelog_next, 9);
  EXPECT_FALSE(DecodeCheckpoint("s3:abc/1/2")) << "a store in an older layout must be restored";
  EXPECT_FALSE(DecodeCheckpoint("s4:abc/1"));
  EXPECT_FALSE(DecodeCheckpoint("s4:abc/x/2"));
  EXPECT_FALSE(DecodeCheckpoint("s4:abc/1/2junk"));
  EXPECT_FALSE(DecodeCheckpoint(""));
}

TEST(Checkpoint, TheLocalStateIsCurrentOnlyWhenTheChangelogHoldsNothingItLacks) {
  const Checkpoint c{"k", 100, 50};
  EXPECT_EQ(CheckCheckpoint(c, "k", 100, 50), CheckpointVerdict::kCurrent);
  // Past the group's committed offset: the last offset commits failed; reprocessing replays.
  EXPECT_EQ(CheckCheckpoint(c, "k", 90, 50), CheckpointVerdict::kCurrent);
  EXPECT_EQ(CheckCheckpoint(c, "k", 101, 50), CheckpointVerdict::kRestore) << "behind the group";
  EXPECT_EQ(CheckCheckpoint(c, "other", 100, 50), CheckpointVerdict::kRestore) << "another cluster";
  EXPECT_EQ(CheckCheckpoint(c, "k", 100, 49), CheckpointVerdict::kRestore) << "a truncated changelog";
  EXPECT_EQ(CheckCheckpoint(c, "k", 100, 52), CheckpointVerdict::kRestore) << "another worker wrote since";
  EXPECT_EQ(CheckCheckpoint(c, "k", 100, 51), CheckpointVerdict::kCheckLastOffset);
}

}  // namespace
}  // namespace copydesk::ingest
