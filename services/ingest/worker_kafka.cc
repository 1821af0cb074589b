// Worker::Create: the worker's Kafka adapters (kafka_io.h), wired to its parts. The one place the
// worker meets librdkafka's types.
#include "common/log.h"
#include "ingest/kafka_io.h"
#include "ingest/worker.h"

namespace copydesk::ingest {

Result<std::unique_ptr<Worker>> Worker::Create(const WorkerOptions& options, metrics::IngestMetrics& metrics,
                                               const Clock& clock) {
  std::unique_ptr<Worker> w(new Worker(options, metrics, clock));
  const WorkerOptions& o = w->options_;
  if (options.instance_id.empty()) o.RemoveStoppedDefaultInstances();
  auto sink = KafkaRecordSink::Create(o);
  if (!sink.ok()) return sink.error();
  kafka::Producer& producer = sink.value()->producer();
  w->sink_ = std::move(sink.value());
  w->cluster_ = std::make_unique<KafkaCluster>(o.kafka, producer);
  if (o.shared_index) {
    SharedIndexFeed::Options feed{
        .topic = o.topics.index,
        .memory_budget_bytes = static_cast<uint64_t>(o.shared_index_memory_mib) << 20,
        .store_path = o.state_dir.empty() ? "" : w->InstanceRoot() + "/shared-index"};
    auto opened = SharedIndexFeed::Open(std::move(feed), *w->cluster_, clock, w->gate_, w->identity_);
    if (!opened.ok()) return opened.error();
    w->feed_ = std::move(opened.value());
  }
  w->waits_for_progress_ = w->feed_ && w->gate_.enabled();
  if (w->waits_for_progress_) {
    auto n = w->cluster_->PartitionCount(o.topics.raw);
    if (!n.ok()) return n.error();
    w->gate_.Size(static_cast<size_t>(n.value()));
  }
  Worker* raw = w.get();
  auto source = KafkaRecordSource::Create(
      o, [raw](bool assigned, std::vector<int32_t>& partitions) { raw->OnRebalance(assigned, partitions); },
      [raw](std::string_view json) { raw->probe_.OnStatistics(json); });
  if (!source.ok()) return source.error();
  kafka::Consumer& consumer = source.value()->consumer();
  w->source_ = std::move(source.value());
  if (o.transactional())
    w->transactions_ = std::make_unique<KafkaTransactions>(o.topics.raw, producer, consumer);
  w->offsets_ = std::make_unique<KafkaOffsetCommitter>(o.topics.raw, consumer);
  w->MakeParts();
  return w;
}

}  // namespace copydesk::ingest
