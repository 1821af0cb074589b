#include "common/kafka.h"

#include <cstring>
#include <thread>
#include <utility>

#include "common/log.h"

namespace copydesk::kafka {

void HandleDeleter::operator()(rd_kafka_t* rk) const {
  rd_kafka_destroy(rk);
}

Record ToRecord(const rd_kafka_message_t& m) {
  Record r;
  r.topic = m.rkt ? rd_kafka_topic_name(m.rkt) : "";
  r.partition = m.partition;
  r.offset = m.offset;
  rd_kafka_timestamp_type_t tstype;
  r.timestamp_ms = rd_kafka_message_timestamp(&m, &tstype);
  if (m.key) r.key.emplace(static_cast<const char*>(m.key), m.key_len);
  if (m.payload) r.value.emplace(static_cast<const char*>(m.payload), m.len);
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(&m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs) {
    const char* name;
    const void* val;
    size_t size;
    for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      r.headers.push_back({name, val ? std::string(static_cast<const char*>(val), size) : std::string()});
    }
  }
  return r;
}

Result<ConfHandle> MakeConf(const Properties& props) {
  ConfHandle conf(rd_kafka_conf_new());
  rd_kafka_conf_set_log_cb(conf.get(), &log::KafkaLogCallback);  // librdkafka's lines via copydesk's logger
  char errstr[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
      return Error{v1::ERROR_CODE_INTERNAL, "kafka property '" + k + "': " + errstr};
    }
  }
  return conf;
}

bool Cooperative(rd_kafka_t* rk) {
  return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}

TopicPartitionListHandle ToList(const std::vector<TopicPartitionOffset>& tpos) {
  TopicPartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(tpos.size())));
  for (const auto& t : tpos) {
    rd_kafka_topic_partition_list_add(list.get(), t.topic.c_str(), t.partition)->offset = t.offset;
  }
  return list;
}

std::vector<TopicPartitionOffset> FromList(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartitionOffset> out;
  if (!list) return out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back({list->elems[i].topic, list->elems[i].partition, list->elems[i].offset});
  }
  return out;
}

Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  const rd_kafka_metadata_t* md = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout_ms);
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("metadata: ") + rd_kafka_err2str(err)};
  int count = -1;
  for (int i = 0; i < md->topic_cnt; ++i) {
    if (topic == md->topics[i].topic && md->topics[i].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      count = md->topics[i].partition_cnt;
    }
  }
  rd_kafka_metadata_destroy(md);
  if (count < 0) return Error{v1::ERROR_CODE_INTERNAL, "topic '" + topic + "' does not exist on the broker"};
  return count;
}

std::optional<std::string> ClusterId(rd_kafka_t* rk, int timeout_ms) {
  char* id = rd_kafka_clusterid(rk, timeout_ms);
  if (id == nullptr) return std::nullopt;
  std::string out(id);
  rd_kafka_mem_free(rk, id);
  return out;
}

Result<std::pair<int64_t, int64_t>> Watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition,
                                               int timeout_ms) {
  int64_t lo = 0, hi = 0;
  rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &lo, &hi, timeout_ms);
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("watermarks: ") + rd_kafka_err2str(err)};
  return std::make_pair(lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Producer

Result<std::unique_ptr<Producer>> Producer::Create(const Properties& props) {
  auto conf = MakeConf(props);
  if (!conf.ok()) return conf.error();
  std::unique_ptr<Producer> p(new Producer());
  rd_kafka_conf_set_dr_msg_cb(conf->get(), &Producer::OnDelivery);
  rd_kafka_conf_set_opaque(conf->get(), p.get());
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf->get(), errstr, sizeof errstr);
  if (!rk) return Error{v1::ERROR_CODE_INTERNAL, std::string("producer: ") + errstr};
  (void)conf->release();  // owned by rk now
  p->rk_.reset(rk);
  return p;
}

Producer::~Producer() {
  if (rk_) rd_kafka_flush(rk_.get(), 5000);
}

void Producer::OnDelivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
  auto* self = static_cast<Producer*>(opaque);
  --self->outstanding_;
  if (const auto seq = reinterpret_cast<uintptr_t>(m->_private); seq >= self->first_unreported_) {
    const uint64_t i = seq - self->first_unreported_;
    if (i < self->reported_.size()) self->reported_[i] = true;
    while (!self->reported_.empty() && self->reported_.front()) {
      self->reported_.pop_front();
      ++self->first_unreported_;
    }
  }
  if (!m->err && m->rkt) {
    auto& slot = self->acked_[{rd_kafka_topic_name(m->rkt), m->partition}];
    if (m->offset > slot) slot = m->offset;
  }
  if (m->err && !self->first_error_) {
    self->first_error_ = Error{v1::ERROR_CODE_INTERNAL, std::string("delivery to ") +
                                                            (m->rkt ? rd_kafka_topic_name(m->rkt) : "?") +
                                                            " failed: " + rd_kafka_err2str(m->err)};
  }
}

Status Producer::Send(const Record& r) {
  rd_kafka_headers_t* hdrs = rd_kafka_headers_new(r.headers.size());
  for (const auto& h : r.headers) {
    rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  const void* key = r.key ? static_cast<const void*>(r.key->data()) : nullptr;
  const size_t key_len = r.key ? r.key->size() : 0;
  void* value = r.value ? static_cast<void*>(const_cast<char*>(r.value->data())) : nullptr;
  const size_t value_len = r.value ? r.value->size() : 0;
  for (;;) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(r.topic.c_str()), RD_KAFKA_V_PARTITION(r.partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_len),
        RD_KAFKA_V_VALUE(value, value_len), RD_KAFKA_V_TIMESTAMP(r.timestamp_ms), RD_KAFKA_V_HEADERS(hdrs),
        // The message's sequence number travels as its opaque (read back in the delivery report).
        RD_KAFKA_V_OPAQUE(
            reinterpret_cast<void*>(static_cast<uintptr_t>(next_seq_))),  // NOLINT(performance-no-int-to-ptr)
        RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      ++outstanding_;
      ++next_seq_;
      reported_.push_back(false);
      return OkStatus();
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 50);
      continue;
    }
    rd_kafka_headers_destroy(hdrs);
    return Error{v1::ERROR_CODE_INTERNAL, "produce to " + r.topic + ": " + rd_kafka_err2str(err)};
  }
}

Status Producer::Flush(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  if (outstanding_ > 0) {
    // rd_kafka_flush sends what is queued at once, without waiting for linger.ms (polling alone
    // waited out the linger on every flush), and serves the delivery reports.
    (void)rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()));
  }
  while (outstanding_ > 0 && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_poll(rk_.get(), 10);
  }
  rd_kafka_poll(rk_.get(), 0);
  if (first_error_) {
    Error e = *first_error_;
    first_error_.reset();
    return e;
  }
  if (outstanding_ > 0) {
    return Error{v1::ERROR_CODE_TIMEOUT, std::to_string(outstanding_) + " records not acknowledged in time"};
  }
  return OkStatus();
}

void Producer::Poll(std::chrono::milliseconds timeout) {
  rd_kafka_poll(rk_.get(), static_cast<int>(timeout.count()));
}

int64_t Producer::LastAckedOffset(const std::string& topic, int32_t partition) const {
  auto it = acked_.find({topic, partition});
  return it == acked_.end() ? -1 : it->second;
}

Status Producer::TxnResult(rd_kafka_error_t* raw, const char* what) {
  ErrorHandle err(raw);
  if (!err) {
    last_txn_error_ = TxnErrorKind::kNone;
    return OkStatus();
  }
  if (rd_kafka_error_txn_requires_abort(err.get()) && !rd_kafka_error_is_fatal(err.get())) {
    last_txn_error_ = TxnErrorKind::kAbortable;
  } else if (rd_kafka_error_is_retriable(err.get()) && !rd_kafka_error_is_fatal(err.get())) {
    last_txn_error_ = TxnErrorKind::kRetriable;
  } else {
    last_txn_error_ = TxnErrorKind::kFatal;  // fatal, fenced, or not recoverable
  }
  return Error{v1::ERROR_CODE_INTERNAL, std::string(what) + ": " + rd_kafka_error_string(err.get())};
}

Status Producer::InitTransactions(std::chrono::milliseconds timeout) {
  return TxnResult(rd_kafka_init_transactions(rk_.get(), static_cast<int>(timeout.count())),
                   "init_transactions");
}
Status Producer::BeginTransaction() {
  return TxnResult(rd_kafka_begin_transaction(rk_.get()), "begin_transaction");
}
Status Producer::WarmUp(const std::vector<std::string>& topics, std::chrono::milliseconds timeout) {
  for (const auto& t : topics) {
    rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_.get(), t.c_str(), nullptr);
    if (rkt == nullptr)
      return Error{v1::ERROR_CODE_INTERNAL,
                   "topic handle for " + t + ": " + rd_kafka_err2str(rd_kafka_last_error())};
    const rd_kafka_metadata_t* md = nullptr;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk_.get(), 0, rkt, &md, static_cast<int>(timeout.count()));
    if (md != nullptr) rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    if (err) return Error{v1::ERROR_CODE_INTERNAL, "metadata of " + t + ": " + rd_kafka_err2str(err)};
  }
  return OkStatus();
}

Status Producer::SendOffsetsToTransaction(const std::vector<TopicPartitionOffset>& offsets,
                                          const rd_kafka_consumer_group_metadata_t* group,
                                          std::chrono::milliseconds timeout) {
  if (offsets.empty()) return OkStatus();  // a transaction that consumed nothing (progress markers)
  auto list = ToList(offsets);
  return TxnResult(
      rd_kafka_send_offsets_to_transaction(rk_.get(), list.get(), group, static_cast<int>(timeout.count())),
      "send_offsets_to_transaction");
}
Status Producer::CommitTransaction(std::chrono::milliseconds timeout) {
  Status st = TxnResult(rd_kafka_commit_transaction(rk_.get(), static_cast<int>(timeout.count())),
                        "commit_transaction");
  // Delivery reports of the transaction's records have been served by commit.
  rd_kafka_poll(rk_.get(), 0);
  if (st.ok()) outstanding_ = 0;
  return st;
}
Status Producer::AbortTransaction(std::chrono::milliseconds timeout) {
  Status st = TxnResult(rd_kafka_abort_transaction(rk_.get(), static_cast<int>(timeout.count())),
                        "abort_transaction");
  rd_kafka_poll(rk_.get(), 0);
  outstanding_ = 0;
  first_error_.reset();
  // The aborted records will get no further reports that matter: count them as reported.
  reported_.clear();
  first_unreported_ = next_seq_;
  return st;
}

// ---------------------------------------------------------------------------------------------
// Consumer

Result<std::unique_ptr<Consumer>> Consumer::Create(const Properties& given, RebalanceCallback on_rebalance,
                                                   StatsCallback on_stats) {
  Properties props = given;
  const bool group_member = props.count("group.id") > 0;
  if (!group_member) {
    // librdkafka's assign() needs a group.id even when the group is never joined; such readers
    // keep their own offsets, so give them a private id and never commit.
    props["group.id"] = "copydesk-reader-" + std::to_string(reinterpret_cast<uintptr_t>(&props));
    props["enable.auto.commit"] = "false";
  }
  auto conf = MakeConf(props);
  if (!conf.ok()) return conf.error();
  std::unique_ptr<Consumer> c(new Consumer());
  c->on_rebalance_ = std::move(on_rebalance);
  c->on_stats_ = std::move(on_stats);
  rd_kafka_conf_set_opaque(conf->get(), c.get());
  if (group_member) rd_kafka_conf_set_rebalance_cb(conf->get(), &Consumer::OnRebalance);
  if (c->on_stats_) rd_kafka_conf_set_stats_cb(conf->get(), &Consumer::OnStats);
  char errstr[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf->get(), errstr, sizeof errstr);
  if (!rk) return Error{v1::ERROR_CODE_INTERNAL, std::string("consumer: ") + errstr};
  (void)conf->release();  // owned by rk now
  c->rk_.reset(rk);
  rd_kafka_poll_set_consumer(rk);
  return c;
}

Consumer::~Consumer() {
  Close();
  if (close_incomplete_ && rk_) rd_kafka_destroy_flags(rk_.release(), RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
}

bool Consumer::Close(std::chrono::milliseconds timeout) {
  if (closed_ || !rk_) return !close_incomplete_;
  closed_ = true;
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_.get());
  ErrorHandle err(rd_kafka_consumer_close_queue(rk_.get(), q));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  // Serve the close (and any revoke callback it triggers) until done or out of time.
  while (!err && !rd_kafka_consumer_closed(rk_.get()) && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 100);
    if (!ev) continue;
    if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE) {
      OnRebalance(rk_.get(), rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), this);
    }
    rd_kafka_event_destroy(ev);
  }
  close_incomplete_ = !err && !rd_kafka_consumer_closed(rk_.get());
  rd_kafka_queue_destroy(q);
  return !close_incomplete_;
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                           void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  const bool cooperative = Cooperative(rk);
  const bool assigned = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
  auto list = FromList(parts);
  if (self->on_rebalance_) self->on_rebalance_(assigned, list);
  // What the hook left: with its start offsets, without the partitions it holds back.
  auto changed = ToList(list);
  if (assigned) {
    if (cooperative) {
      ErrorHandle e(rd_kafka_incremental_assign(rk, changed.get()));
    } else {
      rd_kafka_assign(rk, changed.get());
    }
  } else {
    if (cooperative) {
      ErrorHandle e(rd_kafka_incremental_unassign(rk, changed.get()));
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
}

int Consumer::OnStats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* self = static_cast<Consumer*>(opaque);
  if (self->on_stats_) self->on_stats_(std::string_view(json, len));
  return 0;
}

Status Consumer::Subscribe(const std::vector<std::string>& topics) {
  TopicPartitionListHandle list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& t : topics)
    rd_kafka_topic_partition_list_add(list.get(), t.c_str(), RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk_.get(), list.get());
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("subscribe: ") + rd_kafka_err2str(err)};
  return OkStatus();
}

Status Consumer::Assign(const std::vector<TopicPartitionOffset>& partitions) {
  auto list = ToList(partitions);
  rd_kafka_resp_err_t err = rd_kafka_assign(rk_.get(), list.get());
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("assign: ") + rd_kafka_err2str(err)};
  return OkStatus();
}

Result<std::optional<Record>> Consumer::Poll(std::chrono::milliseconds timeout) {
  MessageHandle m(rd_kafka_consumer_poll(rk_.get(), static_cast<int>(timeout.count())));
  if (!m) return std::optional<Record>();
  if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    if (m->rkt)
      end_of_partition_ = TopicPartitionOffset{rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    return std::optional<Record>();
  }
  if (m->err) {
    if (m->err == RD_KAFKA_RESP_ERR__AUTO_OFFSET_RESET && m->rkt) {
      out_of_range_ = TopicPartitionOffset{rd_kafka_topic_name(m->rkt), m->partition, m->offset};
    }
    return Error{v1::ERROR_CODE_INTERNAL, std::string("consume: ") + rd_kafka_message_errstr(m.get())};
  }
  return std::optional<Record>(ToRecord(*m));
}

bool Consumer::fatal() const {
  return rd_kafka_fatal_error(rk_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::optional<TopicPartitionOffset> Consumer::TakeOutOfRange() {
  return std::exchange(out_of_range_, std::nullopt);
}

std::optional<TopicPartitionOffset> Consumer::TakeEndOfPartition() {
  return std::exchange(end_of_partition_, std::nullopt);
}

Status Consumer::Commit(const std::vector<TopicPartitionOffset>& offsets, bool async) {
  if (offsets.empty()) return OkStatus();
  auto list = ToList(offsets);
  rd_kafka_resp_err_t err = rd_kafka_commit(rk_.get(), list.get(), async ? 1 : 0);
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("commit: ") + rd_kafka_err2str(err)};
  return OkStatus();
}

Result<std::vector<TopicPartitionOffset>> Consumer::Committed(
    const std::vector<TopicPartitionOffset>& partitions, std::chrono::milliseconds timeout) {
  auto list = ToList(partitions);
  rd_kafka_resp_err_t err = rd_kafka_committed(rk_.get(), list.get(), static_cast<int>(timeout.count()));
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("committed: ") + rd_kafka_err2str(err)};
  return FromList(list.get());
}

Status Consumer::Seek(const TopicPartitionOffset& tpo, std::chrono::milliseconds timeout) {
  auto list = ToList({tpo});
  ErrorHandle err(rd_kafka_seek_partitions(rk_.get(), list.get(), static_cast<int>(timeout.count())));
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("seek: ") + rd_kafka_error_string(err.get())};
  if (list->elems[0].err) {
    return Error{v1::ERROR_CODE_INTERNAL, std::string("seek: ") + rd_kafka_err2str(list->elems[0].err)};
  }
  return OkStatus();
}

Status Consumer::Restart(const TopicPartitionOffset& tpo) {
  if (!Cooperative(rk_.get())) {
    return Error{v1::ERROR_CODE_INTERNAL, "restart: needs the cooperative rebalance protocol"};
  }
  auto list = ToList({tpo});
  ErrorHandle err(rd_kafka_incremental_unassign(rk_.get(), list.get()));
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("restart: ") + rd_kafka_error_string(err.get())};
  return AddPartitions({tpo});
}

Status Consumer::AddPartitions(const std::vector<TopicPartitionOffset>& partitions) {
  auto list = ToList(partitions);
  ErrorHandle err(rd_kafka_incremental_assign(rk_.get(), list.get()));
  if (err) return Error{v1::ERROR_CODE_INTERNAL, std::string("assign: ") + rd_kafka_error_string(err.get())};
  return OkStatus();
}

Status Consumer::Pause(const std::vector<TopicPartitionOffset>& partitions) {
  auto list = ToList(partitions);
  rd_kafka_pause_partitions(rk_.get(), list.get());
  return OkStatus();
}

Status Consumer::Resume(const std::vector<TopicPartitionOffset>& partitions) {
  auto list = ToList(partitions);
  rd_kafka_resume_partitions(rk_.get(), list.get());
  return OkStatus();
}

std::optional<int64_t> Consumer::Lag(const std::string& topic, int32_t partition, int64_t start) const {
  int64_t lo = -1, hi = -1;
  if (rd_kafka_get_watermark_offsets(rk_.get(), topic.c_str(), partition, &lo, &hi) != 0 || hi < 0)
    return std::nullopt;
  auto list = ToList({{topic, partition, RD_KAFKA_OFFSET_INVALID}});
  if (rd_kafka_position(rk_.get(), list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  const int64_t pos = list->elems[0].offset >= 0 ? list->elems[0].offset : start;
  return std::max<int64_t>(0, hi - pos);
}

std::vector<TopicPartitionOffset> Consumer::Assignment() const {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (rd_kafka_assignment(rk_.get(), &raw)) return {};
  TopicPartitionListHandle list(raw);
  return FromList(list.get());
}

GroupMetadataHandle Consumer::GroupMetadata() const {
  return GroupMetadataHandle(rd_kafka_consumer_group_metadata(rk_.get()));
}

bool Consumer::AssignmentLost() const {
  return rd_kafka_assignment_lost(rk_.get()) != 0;
}

}  // namespace copydesk::kafka
