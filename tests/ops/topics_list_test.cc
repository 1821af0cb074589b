// The embedded broker's default topics (what `copydesk dev` and the in-process tests start
// with) are the topic list's, so that every topic copydesk uses exists on it.
#include <gtest/gtest.h>

#include <set>

#include "broker/broker.h"
#include "common/topics.h"

namespace copydesk {
namespace {

TEST(TopicList, EmbeddedBrokerCreatesEveryListedTopic) {
  std::set<std::string> broker;
  for (const auto& t : broker::DefaultTopics()) broker.insert(t.name);
  std::set<std::string> listed;
  for (const auto& s : topics::Plan(TopicsConfig{}, {})) listed.insert(s.name);
  EXPECT_EQ(broker, listed);
}

}  // namespace
}  // namespace copydesk
