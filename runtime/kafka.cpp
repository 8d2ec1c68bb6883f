#include "runtime/kafka.hpp"
#include "runtime/log.hpp"

#include <cstdio>
#include <map>
#include <thread>

#include "runtime/fault_episode.hpp"

namespace vigil::kafka {

namespace {

int to_ms(std::chrono::milliseconds timeout) {
  return static_cast<int>(timeout.count());
}

std::string err_text(rd_kafka_resp_err_t err) {
  return rd_kafka_err2str(err);
}

void on_delivery(rd_kafka_t* rk, const rd_kafka_message_t* msg, void* opaque) {
  auto* stats = static_cast<delivery_stats*>(opaque);
  if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    stats->delivered.fetch_add(1);
    stats->episodes->success(rk);
    if (stats->on_delivered)
      stats->on_delivered(*msg);
    return;
  }
  stats->failed.fetch_add(1);
  report_error(rk, msg->err, "delivery failed: " + err_text(msg->err));
  std::lock_guard<std::mutex> guard{stats->mtx};
  stats->last_error = err_text(msg->err);
}

// -- log routing --------------------------------------------------------------

/// The bootstrap servers `rk` was created with ("" if unknown).
std::string bootstrap_of(const rd_kafka_t* rk) {
  char buf[512];
  size_t size = sizeof(buf);
  if (rd_kafka_conf_get(rd_kafka_conf(const_cast<rd_kafka_t*>(rk)),
                        "bootstrap.servers", buf, &size)
      != RD_KAFKA_CONF_OK)
    return {};
  return buf;
}

/// Errors that mean "the broker cannot be reached right now".
bool is_connectivity(rd_kafka_resp_err_t err) {
  switch (err) {
  case RD_KAFKA_RESP_ERR__TRANSPORT:
  case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
  case RD_KAFKA_RESP_ERR__RESOLVE:
  case RD_KAFKA_RESP_ERR__TIMED_OUT:
  case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
  case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
  case RD_KAFKA_RESP_ERR__WAIT_COORD:
  case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
  case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    return true;
  default:
    return false;
  }
}

void on_log(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  // syslog levels: 0-2 critical and worse, 3 error, 4 warning, 5 notice,
  // 6 info (e.g. an idle connection closed), 7 debug.
  if (level >= 6)
    return;
  auto bootstrap = bootstrap_of(rk);
  auto log = episode_log(bootstrap);
  std::string facility = fac;
  if (level <= 2) {
    log->alert(buf);
  } else if (level == 3 && (facility == "FAIL" || facility == "ERROR")) {
    // Logged by the broker thread as it happens (error events are queued).
    log->fault("broker " + bootstrap + " unreachable (" + fault_detail(buf)
               + ")");
  } else {
    log->notice(facility, buf);
  }
}

void on_error(rd_kafka_t* rk, int err, const char* reason, void*) {
  report_error(rk, static_cast<rd_kafka_resp_err_t>(err), reason);
}

std::string unreachable_text(const std::string& bootstrap,
                             std::chrono::milliseconds timeout,
                             rd_kafka_resp_err_t err) {
  return "cannot reach the Kafka broker at " + bootstrap + " within "
         + std::to_string(timeout.count()) + " ms (" + err_text(err)
         + "); check the broker address (--brokers) and that the broker is "
           "running, e.g. `vigil broker` or `kcat -b "
         + bootstrap + " -L`";
}

} // namespace

// -- logging ------------------------------------------------------------------

std::shared_ptr<fault_episode_log> episode_log(const std::string& bootstrap) {
  static std::mutex mtx;
  static std::map<std::string, std::shared_ptr<fault_episode_log>> logs;
  std::lock_guard<std::mutex> guard{mtx};
  auto& log = logs[bootstrap];
  if (!log)
    log = std::make_shared<fault_episode_log>(
        "kafka",
        [](const std::string& line) { vigil::log(log_level::info, {}, line); });
  return log;
}

void route_logs(rd_kafka_conf_t* conf) {
  rd_kafka_conf_set_log_cb(conf, on_log);
  rd_kafka_conf_set_error_cb(conf, on_error);
}

void report_error(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                  const std::string& reason) {
  auto log = episode_log(bootstrap_of(rk));
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char buf[512];
    auto cause = rd_kafka_fatal_error(rk, buf, sizeof(buf));
    log->alert("fatal error: " + std::string{buf} + " ("
               + rd_kafka_err2name(cause) + "); the client stops");
  } else if (is_connectivity(err)) {
    log->queued_fault(rk);
  } else {
    log->notice(rd_kafka_err2name(err),
                reason + " (" + rd_kafka_err2name(err) + ")");
  }
}

std::string fault_detail(std::string_view text) {
  // Leading names: "127.0.0.1:9092/1: ", "GroupCoordinator: ",
  // "rdkafka#producer-1: ".
  for (;;) {
    auto colon = text.find(": ");
    if (colon == std::string_view::npos)
      break;
    auto name = text.substr(0, colon);
    if (name.find(' ') != std::string_view::npos
        || (name.find_first_of(":/#") == std::string_view::npos
            && name != "GroupCoordinator"))
      break;
    text.remove_prefix(colon + 2);
  }
  // Trailing state: " (after 0ms in state CONNECT, 1 identical error(s)
  // suppressed)".
  if (auto after = text.rfind(" (after "); after != std::string_view::npos)
    text = text.substr(0, after);
  return std::string{text};
}

// -- owning pointers ----------------------------------------------------------

void handle_deleter::operator()(rd_kafka_t* ptr) const noexcept {
  rd_kafka_destroy(ptr);
}

void conf_deleter::operator()(rd_kafka_conf_t* ptr) const noexcept {
  rd_kafka_conf_destroy(ptr);
}

void partition_list_deleter::operator()(
    rd_kafka_topic_partition_list_t* ptr) const noexcept {
  rd_kafka_topic_partition_list_destroy(ptr);
}

void message_deleter::operator()(rd_kafka_message_t* ptr) const noexcept {
  rd_kafka_message_destroy(ptr);
}

void headers_deleter::operator()(rd_kafka_headers_t* ptr) const noexcept {
  rd_kafka_headers_destroy(ptr);
}

// -- configuration ------------------------------------------------------------

config_builder::config_builder() : conf_(rd_kafka_conf_new()) {
  // nop
}

status config_builder::set(const std::string& key, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf_.get(), key.c_str(), value.c_str(), errstr,
                        sizeof(errstr))
      != RD_KAFKA_CONF_OK)
    return make_error_text("invalid Kafka setting " + key + "=" + value + ": "
                           + errstr);
  return {};
}

status config_builder::set_all(const config_map& entries) {
  for (const auto& [key, value] : entries)
    if (auto st = set(key, value); !st)
      return st;
  return {};
}

expected<handle_ptr> make_client(rd_kafka_type_t type,
                                 const std::string& bootstrap,
                                 const config_map& extra) {
  config_builder builder;
  if (auto st = builder.set("bootstrap.servers", bootstrap); !st)
    return make_error_text(st.error());
  if (auto st = builder.set_all(extra); !st)
    return make_error_text(st.error());
  auto conf = builder.release();
  route_logs(conf.get());
  char errstr[512];
  auto* rk = rd_kafka_new(type, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr)
    return make_error_text("cannot create a Kafka client for " + bootstrap
                           + ": " + errstr);
  conf.release(); // rd_kafka_new took ownership
  return handle_ptr{rk};
}

// -- metadata -----------------------------------------------------------------

status check_reachable(rd_kafka_t* rk, const std::string& bootstrap,
                       std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* md = nullptr;
  auto err = rd_kafka_metadata(rk, 0, nullptr, &md, to_ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error_text(unreachable_text(bootstrap, timeout, err));
  auto brokers = md->broker_cnt;
  rd_kafka_metadata_destroy(md);
  if (brokers == 0)
    return make_error_text("the Kafka cluster at " + bootstrap
                           + " reports no brokers");
  // A synchronous answer: the broker is reachable now.
  episode_log(bootstrap)->recovered();
  return {};
}

expected<int32_t> partition_count(rd_kafka_t* rk, const std::string& bootstrap,
                                  const std::string& topic,
                                  std::chrono::milliseconds timeout) {
  using clock = std::chrono::steady_clock;
  auto deadline = clock::now() + timeout;
  auto* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  if (rkt == nullptr)
    return make_error_text("invalid topic name '" + topic
                           + "': " + err_text(rd_kafka_last_error()));
  // A freshly auto-created topic may report an error or no partitions for a
  // moment: retry until the deadline.
  auto last_err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - clock::now());
    if (left.count() <= 0)
      break;
    const rd_kafka_metadata_t* md = nullptr;
    auto err = rd_kafka_metadata(rk, 0, rkt, &md, to_ms(left));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_topic_destroy(rkt);
      return make_error_text(unreachable_text(bootstrap, timeout, err));
    }
    int32_t count = 0;
    last_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
    if (md->topic_cnt == 1) {
      last_err = md->topics[0].err;
      count = md->topics[0].partition_cnt;
    }
    rd_kafka_metadata_destroy(md);
    if (last_err == RD_KAFKA_RESP_ERR_NO_ERROR && count > 0) {
      rd_kafka_topic_destroy(rkt);
      return count;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  rd_kafka_topic_destroy(rkt);
  return make_error_text("topic '" + topic + "' is not available on "
                         + bootstrap + " (" + err_text(last_err)
                         + "); create it first, e.g. `vigil broker --topic "
                         + topic + " --partitions 4` or kafka-topics.sh "
                         + "--create --topic " + topic);
}

expected<int32_t> fetch_metadata(const std::string& bootstrap,
                                 const std::string& topic,
                                 std::chrono::milliseconds timeout) {
  auto rk = make_client(RD_KAFKA_PRODUCER, bootstrap);
  if (!rk)
    return make_error_text(rk.error());
  return partition_count(rk->get(), bootstrap, topic, timeout);
}

expected<watermarks> query_watermarks(rd_kafka_t* rk, const std::string& topic,
                                      int32_t partition,
                                      std::chrono::milliseconds timeout) {
  watermarks result;
  auto err = rd_kafka_query_watermark_offsets(
      rk, topic.c_str(), partition, &result.low, &result.high, to_ms(timeout));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return make_error_text("cannot query watermarks of " + topic + "["
                           + std::to_string(partition) + "]: " + err_text(err));
  return result;
}

status create_topic(rd_kafka_t* rk, const std::string& topic,
                    int32_t partitions, int16_t replication_factor,
                    std::chrono::milliseconds timeout) {
  char errstr[512];
  auto* new_topic = rd_kafka_NewTopic_new(
      topic.c_str(), partitions, replication_factor, errstr, sizeof(errstr));
  if (new_topic == nullptr)
    return make_error_text("cannot create topic '" + topic + "': " + errstr);
  auto* options = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, to_ms(timeout), errstr,
                                            sizeof(errstr));
  auto* queue = rd_kafka_queue_new(rk);
  rd_kafka_CreateTopics(rk, &new_topic, 1, options, queue);
  auto* event = rd_kafka_queue_poll(queue, to_ms(timeout) + 1000);
  status result;
  // librdkafka's mock cluster names no controller, so there the request times
  // out "waiting for controller": say so instead of only "timed out".
  const std::string hint
      = "; if the broker is vigil's embedded broker (librdkafka's mock "
        "cluster, which lacks the CreateTopics API), create topics with "
        "`vigil broker --topic`";
  if (event == nullptr) {
    result = make_error_text("timed out creating topic '" + topic + "'" + hint);
  } else if (auto err = rd_kafka_event_error(event);
             err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    result
        = make_error_text("cannot create topic '" + topic
                          + "': " + rd_kafka_event_error_string(event)
                          + (err == RD_KAFKA_RESP_ERR__TIMED_OUT ? hint : ""));
  } else {
    const auto* res = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const auto* topics = rd_kafka_CreateTopics_result_topics(res, &count);
    for (size_t i = 0; i < count; ++i) {
      auto err = rd_kafka_topic_result_error(topics[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR
          && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        const char* msg = rd_kafka_topic_result_error_string(topics[i]);
        result = make_error_text("cannot create topic '" + topic + "': "
                                 + (msg != nullptr ? msg : err_text(err)));
      }
    }
  }
  if (event != nullptr)
    rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  rd_kafka_NewTopic_destroy(new_topic);
  return result;
}

// -- producer -----------------------------------------------------------------

producer::producer(std::string bootstrap, std::unique_ptr<delivery_stats> stats,
                   handle_ptr rk)
    : bootstrap_(std::move(bootstrap)), stats_(std::move(stats)),
      rk_(std::move(rk)) {
  // nop
}

producer::~producer() {
  if (rk_ && rd_kafka_outq_len(rk_.get()) > 0)
    rd_kafka_purge(rk_.get(),
                   RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
}

expected<producer> producer::make(std::string bootstrap, config_map extra,
                                  delivery_hook on_delivered) {
  auto stats = std::make_unique<delivery_stats>();
  stats->episodes = episode_log(bootstrap);
  stats->on_delivered = std::move(on_delivered);
  config_builder builder;
  if (auto st = builder.set("bootstrap.servers", bootstrap); !st)
    return make_error_text(st.error());
  if (auto st = builder.set_all(extra); !st)
    return make_error_text(st.error());
  auto conf = builder.release();
  route_logs(conf.get());
  rd_kafka_conf_set_dr_msg_cb(conf.get(), on_delivery);
  rd_kafka_conf_set_opaque(conf.get(), stats.get());
  char errstr[512];
  auto* rk
      = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), errstr, sizeof(errstr));
  if (rk == nullptr)
    return make_error_text("cannot create a Kafka producer for " + bootstrap
                           + ": " + errstr);
  conf.release(); // rd_kafka_new took ownership
  return producer{std::move(bootstrap), std::move(stats), handle_ptr{rk}};
}

status producer::produce(const std::string& topic, int32_t partition,
                         std::string_view key, std::string_view payload,
                         const header_list& headers,
                         std::chrono::milliseconds queue_full_timeout) {
  std::vector<rd_kafka_vu_t> vus;
  vus.reserve(5 + headers.size());
  auto add = [&vus](rd_kafka_vtype_t type) -> rd_kafka_vu_t& {
    auto& vu = vus.emplace_back();
    vu.vtype = type;
    return vu;
  };
  add(RD_KAFKA_VTYPE_TOPIC).u.cstr = topic.c_str();
  add(RD_KAFKA_VTYPE_PARTITION).u.i32 = partition;
  add(RD_KAFKA_VTYPE_MSGFLAGS).u.i = RD_KAFKA_MSG_F_COPY;
  auto& value = add(RD_KAFKA_VTYPE_VALUE).u.mem;
  value.ptr = const_cast<char*>(payload.data());
  value.size = payload.size();
  if (!key.empty()) {
    auto& k = add(RD_KAFKA_VTYPE_KEY).u.mem;
    k.ptr = const_cast<char*>(key.data());
    k.size = key.size();
  }
  for (const auto& [name, val] : headers) {
    auto& h = add(RD_KAFKA_VTYPE_HEADER).u.header;
    h.name = name.c_str();
    h.val = val.data();
    h.size = static_cast<ssize_t>(val.size());
  }
  auto deadline = std::chrono::steady_clock::now() + queue_full_timeout;
  for (;;) {
    auto* error = rd_kafka_produceva(rk_.get(), vus.data(), vus.size());
    if (error == nullptr)
      return {};
    auto code = rd_kafka_error_code(error);
    std::string text = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    if (code != RD_KAFKA_RESP_ERR__QUEUE_FULL)
      return make_error_text("cannot produce to " + topic + " on " + bootstrap_
                             + ": " + text);
    if (std::chrono::steady_clock::now() >= deadline)
      return make_error_text("the producer queue for " + bootstrap_
                             + " stayed full for "
                             + std::to_string(queue_full_timeout.count())
                             + " ms; is the broker accepting messages?");
    rd_kafka_poll(rk_.get(), 100);
  }
}

int producer::poll(std::chrono::milliseconds timeout) {
  return rd_kafka_poll(rk_.get(), to_ms(timeout));
}

status producer::flush(std::chrono::milliseconds timeout) {
  rd_kafka_flush(rk_.get(), to_ms(timeout));
  if (auto n = rd_kafka_outq_len(rk_.get()); n > 0)
    return make_error_text(std::to_string(n) + " messages still undelivered to "
                           + bootstrap_ + " after "
                           + std::to_string(timeout.count()) + " ms");
  return {};
}

status producer::wait_connected(std::chrono::milliseconds timeout) {
  return check_reachable(rk_.get(), bootstrap_, timeout);
}

expected<int32_t> producer::partition_count(const std::string& topic,
                                            std::chrono::milliseconds timeout) {
  return kafka::partition_count(rk_.get(), bootstrap_, topic, timeout);
}

std::string producer::last_error() const {
  std::lock_guard<std::mutex> guard{stats_->mtx};
  return stats_->last_error;
}

int producer::in_flight() const noexcept {
  return rd_kafka_outq_len(rk_.get());
}

} // namespace vigil::kafka
