#include "common/topics.h"

#include <gtest/gtest.h>

namespace copydesk::topics {
namespace {

const TopicSpec& Find(const std::vector<TopicSpec>& plan, Role role) {
  for (const auto& s : plan) {
    if (s.role == role) return s;
  }
  throw std::runtime_error("role not in plan");
}

Observed Good(const TopicSpec& s, int partitions) {
  Observed o;
  o.exists = true;
  o.partitions = partitions;
  o.configs = std::map<std::string, std::string>{
      {"cleanup.policy", s.cleanup_policy},
      {"max.message.bytes", std::to_string(std::max<int64_t>(s.min_max_message_bytes, 1048588))}};
  return o;
}

TEST(TopicPlan, EveryTopicWithItsSettings) {
  TopicsConfig names;
  PlanOptions o;
  o.raw_partitions = 6;
  o.replication_factor = 1;
  o.max_value_bytes = 10 << 20;
  auto plan = Plan(names, o);
  ASSERT_EQ(plan.size(), 8u);
  std::vector<std::string> got;
  for (const auto& s : plan) got.push_back(s.name);
  EXPECT_EQ(got,
            (std::vector<std::string>{"news.raw.v1", "news.articles.v1", "news.article-events.v1",
                                      "news.ingest-outcomes.v1", "news.raw.dlq.v1", "news.dedup-changelog.v1",
                                      "news.dedup-index.v1", "news.articles-held.v1"}));
  for (const auto& s : plan) {
    EXPECT_EQ(s.partitions, 6) << s.name;
    EXPECT_EQ(s.replication_factor, 1) << s.name;
    EXPECT_EQ(s.create_configs.at("cleanup.policy"), s.cleanup_policy) << s.name;
  }
  EXPECT_EQ(Find(plan, Role::kArticles).cleanup_policy, "compact");
  EXPECT_EQ(Find(plan, Role::kChangelog).cleanup_policy, "compact");
  EXPECT_EQ(Find(plan, Role::kIndex).cleanup_policy, "compact");
  EXPECT_EQ(Find(plan, Role::kEvents).cleanup_policy, "delete");
  EXPECT_EQ(Find(plan, Role::kChangelog).partition_rule, PartitionRule::kSameAsRaw);
  // Sizes: the DLQ holds the largest raw record plus headers; outputs are about twice the input.
  const int64_t v = o.max_value_bytes;
  EXPECT_GT(Find(plan, Role::kRaw).min_max_message_bytes, v);
  EXPECT_GT(Find(plan, Role::kDlq).min_max_message_bytes, Find(plan, Role::kRaw).min_max_message_bytes);
  EXPECT_GE(Find(plan, Role::kArticles).min_max_message_bytes, 2 * v);
  EXPECT_GE(Find(plan, Role::kEvents).min_max_message_bytes, 2 * v);
  EXPECT_EQ(Find(plan, Role::kEvents).create_configs.at("retention.ms"), "-1");
  // Held embargoed stories: compacted by story, and the changelog holds them until release too.
  EXPECT_EQ(Find(plan, Role::kHeld).cleanup_policy, "compact");
  EXPECT_GE(Find(plan, Role::kHeld).min_max_message_bytes, 2 * v);
  EXPECT_GE(Find(plan, Role::kChangelog).min_max_message_bytes, 2 * v);
}

TEST(TopicPlan, NamesFromConfigAndOptionalNinjs) {
  TopicsConfig names;
  names.raw = "acme.raw";
  names.ninjs_enabled = true;
  auto plan = Plan(names, {});
  ASSERT_EQ(plan.size(), 9u);
  EXPECT_EQ(plan.front().name, "acme.raw");
  EXPECT_EQ(plan.back().name, "news.articles-ninjs.v1");
  EXPECT_EQ(plan.back().cleanup_policy, "compact");
  EXPECT_EQ(Select(plan, LookupRoles()).size(), 2u);
  EXPECT_EQ(Select(plan, IngestRoles(true, false)).size(), 8u);
  EXPECT_EQ(Select(plan, IngestRoles(false, false)).size(), 7u);
}

TEST(TopicCompare, AsPlannedIsClean) {
  auto plan = Plan({}, {});
  for (const auto& s : plan) EXPECT_TRUE(Compare(s, Good(s, 12), 12, 0, "b:9092").empty()) << s.name;
}

TEST(TopicCompare, MissingTopicNamesTheFix) {
  auto plan = Plan({}, {});
  auto f = Compare(Find(plan, Role::kIndex), Observed{}, 12, 0, "kafka:9092");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, Finding::Kind::kError);
  EXPECT_EQ(f[0].topic, "news.dedup-index.v1");
  EXPECT_EQ(f[0].problem, "does not exist");
  EXPECT_NE(f[0].fix.find("copydesk topics apply"), std::string::npos);
  EXPECT_NE(f[0].fix.find("--create --topic news.dedup-index.v1 --partitions 12"), std::string::npos)
      << f[0].fix;
  EXPECT_NE(f[0].fix.find("--config cleanup.policy=compact"), std::string::npos) << f[0].fix;
  EXPECT_NE(Describe(f).find("topic news.dedup-index.v1: does not exist; fix: "), std::string::npos);
}

TEST(TopicCompare, ChangelogMustMatchRawPartitions) {
  auto plan = Plan({}, {});
  const auto& cl = Find(plan, Role::kChangelog);
  auto f = Compare(cl, Good(cl, 6), 12, 0, "b");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_NE(f[0].problem.find("has 6 partitions, the raw topic 12"), std::string::npos);
  EXPECT_NE(f[0].fix.find("--alter --topic news.dedup-changelog.v1 --partitions 12"), std::string::npos);
  EXPECT_TRUE(Compare(Find(plan, Role::kIndex), Good(Find(plan, Role::kIndex), 3), 12, 0, "b").empty())
      << "the index may have any count";
  const auto& raw = Find(plan, Role::kRaw);
  EXPECT_TRUE(Compare(raw, Good(raw, 3), 3, 0, "b").empty()) << "raw: any count unless one is asked for";
  EXPECT_EQ(Compare(raw, Good(raw, 3), 3, 6, "b").size(), 1u);
}

TEST(TopicCompare, PolicyAndSize) {
  auto plan = Plan({}, {});
  const auto& art = Find(plan, Role::kArticles);
  Observed o = Good(art, 12);
  (*o.configs)["cleanup.policy"] = "delete";
  (*o.configs)["max.message.bytes"] = "1048588";
  auto f = Compare(art, o, 12, 0, "b");
  ASSERT_EQ(f.size(), 2u);
  EXPECT_NE(f[0].problem.find("cleanup.policy is delete, must be compact"), std::string::npos);
  EXPECT_NE(f[1].problem.find("max.message.bytes is 1048588"), std::string::npos);
  EXPECT_NE(f[1].fix.find("max.message.bytes=" + std::to_string(art.min_max_message_bytes)),
            std::string::npos);
  (*o.configs)["cleanup.policy"] = "compact,delete";
  (*o.configs)["max.message.bytes"] = std::to_string(art.min_max_message_bytes);
  f = Compare(art, o, 12, 0, "b");
  ASSERT_EQ(f.size(), 1u) << "compact,delete also deletes by retention";
}

TEST(TopicCompare, UnreadableConfigIsUnverifiedNotAnError) {
  auto plan = Plan({}, {});
  Observed o;
  o.exists = true;
  o.partitions = 12;
  o.configs_unreadable = "no controller";
  auto f = Compare(Find(plan, Role::kDlq), o, 12, 0, "b");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].kind, Finding::Kind::kUnverified);
  EXPECT_NE(f[0].problem.find("no controller"), std::string::npos);
}

TEST(TopicRender, EveryFormatNamesEveryTopic) {
  auto plan = Plan({}, {});
  for (const std::string& text :
       {RenderTable(plan), RenderMarkdown(plan), RenderStrimzi(plan, "kafka"), RenderKafkaTopics(plan)}) {
    for (const auto& s : plan) EXPECT_NE(text.find(s.name), std::string::npos) << s.name << " in\n" << text;
  }
  const std::string strimzi = RenderStrimzi(plan, "my-cluster");
  EXPECT_NE(strimzi.find("kind: KafkaTopic"), std::string::npos);
  EXPECT_NE(strimzi.find("strimzi.io/cluster: my-cluster"), std::string::npos);
  EXPECT_NE(strimzi.find("cleanup.policy: \"compact\""), std::string::npos);
  const std::string cmds = RenderKafkaTopics(plan);
  EXPECT_NE(
      cmds.find("--create --if-not-exists --topic news.dedup-index.v1 --partitions 12 --replication-factor 3 "
                "--config cleanup.policy=compact"),
      std::string::npos)
      << cmds;
}

}  // namespace
}  // namespace copydesk::topics
