#include "ingest/probe.h"

#include <gtest/gtest.h>

namespace copydesk::ingest {
namespace {

TEST(WorkerProbe, DecisionsDeadLettersAndCommitsReachTheMetricsAndCounters) {
  prometheus::Registry registry;
  metrics::IngestMetrics metrics(registry);
  WorkerProbe probe(metrics);
  Record in;
  in.timestamp_ms = 1'700'000'000'000;
  ProcessResult res;
  res.format = "text";
  res.provider = "Reuters";
  res.outcome.set_decision(v1::DECISION_NEW);
  probe.Decided(res, in);
  res.outcome.set_decision(v1::DECISION_DUPLICATE);
  probe.Decided(res, in);
  ProcessResult dead;
  dead.format = "unknown";
  dead.dead_letter = Error{v1::ERROR_CODE_EMPTY_VALUE, "empty"};
  probe.Decided(dead, in);
  EXPECT_EQ(probe.counters().created.load(), 1);
  EXPECT_EQ(probe.counters().duplicates.load(), 1);
  EXPECT_EQ(probe.counters().dead_letters.load(), 1);
  EXPECT_EQ(metrics.decisions.Get("new").Value(), 1.0);
  EXPECT_EQ(metrics.dead_letters.Get("EMPTY_VALUE").Value(), 1.0);
  EXPECT_EQ(metrics.consumed.Get("text").Value(), 2.0);
  EXPECT_EQ(metrics.provider_last_article.Get("Reuters").Value(), 1'700'000'000.0);

  probe.InFlight(7);
  probe.Committed({{"news.articles.v1", 3}}, 0.01);
  EXPECT_EQ(metrics.published.Get("news.articles.v1").Value(), 3.0);
  EXPECT_EQ(metrics.in_flight.Value(), 0.0);
  EXPECT_EQ(probe.counters().committed_batches.load(), 1);
  probe.Aborted();
  EXPECT_EQ(metrics.txn_aborts.Value(), 1.0);
  EXPECT_EQ(probe.counters().aborted_batches.load(), 1);
  probe.Partitions(3, 1, 2);
  EXPECT_EQ(metrics.assigned_partitions.Value(), 3.0);
  EXPECT_EQ(metrics.restoring_partitions.Value(), 1.0);
  EXPECT_EQ(metrics.waiting_partitions.Value(), 2.0);
}

}  // namespace
}  // namespace copydesk::ingest
