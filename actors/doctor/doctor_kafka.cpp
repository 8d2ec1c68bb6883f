// Kafka gathering of `vigil doctor`: one consumer handle of the node's group
// asks for metadata, watermarks and committed offsets, and reads the newest
// messages of each partition by assignment. It never commits, never joins the
// group and never creates topics.

#include "actors/doctor/doctor.hpp"

#include <algorithm>
#include <map>
#include <mutex>

#include "runtime/kafka.hpp"

namespace vigil::doctor {

namespace {

using clock_type = std::chrono::steady_clock;

/// What the client reported through its log and error callbacks.
struct client_log {
  std::mutex mtx;
  std::string last_error;
};

void on_log(const rd_kafka_t* rk, int level, const char*, const char* buf) {
  if (level > 4) // keep errors and warnings only
    return;
  auto* log = static_cast<client_log*>(rd_kafka_opaque(rk));
  std::lock_guard<std::mutex> guard{log->mtx};
  log->last_error = buf;
}

void on_error(rd_kafka_t*, int, const char* reason, void* opaque) {
  auto* log = static_cast<client_log*>(opaque);
  std::lock_guard<std::mutex> guard{log->mtx};
  log->last_error = reason;
}

std::string last_error(client_log& log) {
  std::lock_guard<std::mutex> guard{log.mtx};
  return log.last_error;
}

int to_ms(std::chrono::milliseconds d) {
  return static_cast<int>(std::max<int64_t>(d.count(), 1));
}

std::chrono::milliseconds since(clock_type::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now()
                                                               - start);
}

void read_offsets(rd_kafka_t* rk, const doctor_options& opts,
                  topic_probe& topic) {
  const auto& name = topic.name;
  for (auto& p : topic.partitions) {
    auto wm = kafka::query_watermarks(rk, name, p.partition, opts.timeout);
    if (!wm) {
      topic.error += (topic.error.empty() ? "" : "; ") + wm.error();
      continue;
    }
    p.low = wm->low;
    p.high = wm->high;
  }
  kafka::partition_list_ptr list{rd_kafka_topic_partition_list_new(
      static_cast<int>(topic.partitions.size()))};
  for (const auto& p : topic.partitions)
    rd_kafka_topic_partition_list_add(list.get(), name.c_str(), p.partition);
  auto err = rd_kafka_committed(rk, list.get(), to_ms(opts.timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    topic.error += (topic.error.empty() ? "" : "; ")
                   + std::string{"cannot read the committed offsets of group "}
                   + opts.node.group + ": " + rd_kafka_err2str(err);
    return;
  }
  for (int i = 0; i < list->cnt; ++i) {
    const auto& tp = list->elems[i];
    for (auto& p : topic.partitions)
      if (p.partition == tp.partition && tp.err == RD_KAFKA_RESP_ERR_NO_ERROR)
        p.committed = tp.offset >= 0 ? tp.offset : -1;
  }
}

void sample(rd_kafka_t* rk, const doctor_options& opts, kafka_facts& facts) {
  const auto& name = facts.topic.name;
  auto n = static_cast<int64_t>(opts.sample);
  std::map<int32_t, int64_t> end; // partition -> high watermark
  kafka::partition_list_ptr list{rd_kafka_topic_partition_list_new(
      static_cast<int>(facts.topic.partitions.size()))};
  for (const auto& p : facts.topic.partitions) {
    if (p.low < 0 || p.high <= p.low)
      continue;
    rd_kafka_topic_partition_list_add(list.get(), name.c_str(), p.partition)
        ->offset
        = std::max(p.low, p.high - n);
    end[p.partition] = p.high;
  }
  facts.partitions_sampled = end.size();
  if (end.empty() || n <= 0)
    return;
  if (rd_kafka_assign(rk, list.get()) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return;
  auto deadline = clock_type::now() + opts.timeout;
  while (!end.empty() && clock_type::now() < deadline) {
    kafka::message_ptr msg{rd_kafka_consumer_poll(rk, 100)};
    if (!msg)
      continue;
    auto it = end.find(msg->partition);
    if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      if (it != end.end())
        end.erase(it);
      continue;
    }
    if (msg->err != RD_KAFKA_RESP_ERR_NO_ERROR || it == end.end())
      continue;
    sampled_message s;
    s.partition = msg->partition;
    s.offset = msg->offset;
    if (msg->payload != nullptr)
      s.payload.assign(static_cast<const char*>(msg->payload), msg->len);
    rd_kafka_timestamp_type_t type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
    auto ts = rd_kafka_message_timestamp(msg.get(), &type);
    s.broker_time_ms = type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? -1 : ts;
    facts.samples.push_back(std::move(s));
    if (msg->offset + 1 >= it->second)
      end.erase(it);
  }
  rd_kafka_assign(rk, nullptr);
}

} // namespace

kafka_facts gather_kafka(const doctor_options& opts) {
  const auto& cfg = opts.node;
  kafka_facts facts;
  facts.broker.bootstrap = cfg.brokers;
  facts.broker.timeout = opts.timeout;
  facts.topic.name = cfg.topic;
  if (cfg.brokers.empty()) {
    facts.broker.error = "no brokers configured (--brokers, VIGIL_BROKERS)";
    return facts;
  }
  client_log log;
  kafka::config_builder builder;
  auto st = builder.set_all({{"bootstrap.servers", cfg.brokers},
                             {"group.id", cfg.group},
                             {"client.id", "vigil-doctor"},
                             {"enable.auto.commit", "false"},
                             {"enable.partition.eof", "true"},
                             {"allow.auto.create.topics", "false"},
                             {"auto.offset.reset", "earliest"}});
  if (!st) {
    facts.broker.error = st.error();
    return facts;
  }
  auto conf = builder.release();
  rd_kafka_conf_set_opaque(conf.get(), &log);
  rd_kafka_conf_set_log_cb(conf.get(), on_log);
  rd_kafka_conf_set_error_cb(conf.get(), on_error);
  char errstr[512];
  auto* raw
      = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), errstr, sizeof(errstr));
  if (raw == nullptr) {
    facts.broker.error = errstr;
    return facts;
  }
  static_cast<void>(conf.release()); // rd_kafka_new took ownership
  kafka::handle_ptr rk{raw};
  rd_kafka_poll_set_consumer(raw);
  auto start = clock_type::now();
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(raw, 1, nullptr, &md, to_ms(opts.timeout));
  facts.broker.elapsed = since(start);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    facts.broker.error = rd_kafka_err2str(err);
    if (auto last = last_error(log); !last.empty())
      facts.broker.error += " (client: " + last + ")";
  } else {
    facts.broker.brokers = static_cast<size_t>(md->broker_cnt);
    for (int i = 0; i < md->topic_cnt; ++i) {
      const auto& t = md->topics[i];
      facts.broker.topics.emplace_back(t.topic);
      if (cfg.topic != t.topic || t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
        continue;
      facts.topic.exists = true;
      for (int j = 0; j < t.partition_cnt; ++j) {
        partition_state p;
        p.partition = t.partitions[j].id;
        facts.topic.partitions.push_back(p);
      }
    }
    rd_kafka_metadata_destroy(md);
    std::sort(
        facts.topic.partitions.begin(), facts.topic.partitions.end(),
        [](const auto& a, const auto& b) { return a.partition < b.partition; });
  }
  if (facts.topic.exists) {
    read_offsets(raw, opts, facts.topic);
    sample(raw, opts, facts);
  }
  rd_kafka_consumer_close(raw);
  return facts;
}

} // namespace vigil::doctor
