#pragma once

// Small RAII wrappers over the librdkafka C API: owning pointers, a
// configuration builder, a producer with delivery accounting, and metadata,
// watermark and topic-creation helpers. Errors are returned as text that names
// the broker address and says how to fix the problem.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "runtime/expected.hpp"

namespace vigil {
class fault_episode_log;
} // namespace vigil

namespace vigil::kafka {

// -- owning pointers ----------------------------------------------------------

/// Destroys an rd_kafka_t (after the caller flushed or closed it).
struct handle_deleter {
  void operator()(rd_kafka_t* ptr) const noexcept;
};

/// Destroys an rd_kafka_conf_t that was not handed to rd_kafka_new.
struct conf_deleter {
  void operator()(rd_kafka_conf_t* ptr) const noexcept;
};

/// Destroys a topic partition list.
struct partition_list_deleter {
  void operator()(rd_kafka_topic_partition_list_t* ptr) const noexcept;
};

/// Destroys a message returned by a consumer poll.
struct message_deleter {
  void operator()(rd_kafka_message_t* ptr) const noexcept;
};

/// Destroys a headers list that was not handed to a produce call.
struct headers_deleter {
  void operator()(rd_kafka_headers_t* ptr) const noexcept;
};

/// Owning rd_kafka_t.
using handle_ptr = std::unique_ptr<rd_kafka_t, handle_deleter>;

/// Owning rd_kafka_conf_t.
using conf_ptr = std::unique_ptr<rd_kafka_conf_t, conf_deleter>;

/// Owning rd_kafka_topic_partition_list_t.
using partition_list_ptr
    = std::unique_ptr<rd_kafka_topic_partition_list_t, partition_list_deleter>;

/// Owning rd_kafka_message_t.
using message_ptr = std::unique_ptr<rd_kafka_message_t, message_deleter>;

/// Owning rd_kafka_headers_t.
using headers_ptr = std::unique_ptr<rd_kafka_headers_t, headers_deleter>;

/// Configuration entries as key/value pairs, applied in order.
using config_map = std::vector<std::pair<std::string, std::string>>;

/// Message headers as name/value pairs.
using header_list = std::vector<std::pair<std::string, std::string>>;

// -- configuration ------------------------------------------------------------

/// Builds an rd_kafka_conf_t, reporting the first rejected entry as text.
class config_builder {
public:
  config_builder();

  /// Sets one property; on failure returns librdkafka's reason.
  status set(const std::string& key, const std::string& value);

  /// Sets every entry in order; stops at the first failure.
  status set_all(const config_map& entries);

  /// Releases the configuration (for rd_kafka_new).
  conf_ptr release() noexcept {
    return std::move(conf_);
  }

private:
  conf_ptr conf_;
};

/// Creates a client of `type` from `bootstrap` plus `extra` entries, with its
/// log lines and error events routed through `episode_log(bootstrap)`.
expected<handle_ptr> make_client(rd_kafka_type_t type,
                                 const std::string& bootstrap,
                                 const config_map& extra = {});

// -- logging ------------------------------------------------------------------

/// The failure-episode log shared by every client of `bootstrap` in this
/// process: one "kafka: ..." line on standard error when the broker becomes
/// unreachable and one when a client has a result again.
std::shared_ptr<fault_episode_log> episode_log(const std::string& bootstrap);

/// Installs a log callback and an error callback on `conf` that route
/// librdkafka's own messages through the episode log of the client's
/// bootstrap servers: errors (level 3) and connection error events are
/// faults, warnings and notices (levels 4 and 5) are logged at most once a
/// minute per facility outside an outage, informational lines are dropped,
/// and critical lines and fatal errors are always logged. Replaces an error
/// callback set before.
void route_logs(rd_kafka_conf_t* conf);

/// Reports an error the client `rk` handed to the application (a consumer
/// message with an error, a failed delivery) like an error event.
void report_error(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                  const std::string& reason);

/// The cause in a librdkafka log or error text, without the broker name in
/// front and the connection state behind ("Connect to ipv4#127.0.0.1:9092
/// failed: Connection refused").
std::string fault_detail(std::string_view text);

// -- metadata -----------------------------------------------------------------

/// Low and high watermark offsets of a partition.
struct watermarks {
  /// First offset still in the log.
  int64_t low = 0;
  /// Offset of the next message to be written.
  int64_t high = 0;
};

/// Checks that some broker of `rk` answers a metadata request in time; an
/// answer ends the failure episode of `bootstrap`.
status check_reachable(rd_kafka_t* rk, const std::string& bootstrap,
                       std::chrono::milliseconds timeout);

/// Returns the number of partitions of `topic` as seen by `rk`; fails if the
/// topic does not exist (and the broker did not create it) within `timeout`.
expected<int32_t> partition_count(rd_kafka_t* rk, const std::string& bootstrap,
                                  const std::string& topic,
                                  std::chrono::milliseconds timeout);

/// Connects to `bootstrap` and returns the partition count of `topic`.
expected<int32_t> fetch_metadata(const std::string& bootstrap,
                                 const std::string& topic,
                                 std::chrono::milliseconds timeout);

/// Asks the partition leader for the low and high watermarks.
expected<watermarks>
query_watermarks(rd_kafka_t* rk, const std::string& topic, int32_t partition,
                 std::chrono::milliseconds timeout = std::chrono::seconds{5});

/// Creates `topic` with `partitions` through the Admin API; succeeds if the
/// topic already exists.
status create_topic(rd_kafka_t* rk, const std::string& topic,
                    int32_t partitions, int16_t replication_factor = 1,
                    std::chrono::milliseconds timeout
                    = std::chrono::seconds{10});

// -- producer -----------------------------------------------------------------

/// Called for each message the broker acknowledged, on the thread that polls
/// the producer.
using delivery_hook = std::function<void(const rd_kafka_message_t& msg)>;

/// Delivery counters of a producer, updated by its delivery-report callback.
struct delivery_stats {
  /// Messages acknowledged by the broker.
  std::atomic<uint64_t> delivered{0};
  /// Messages that failed permanently.
  std::atomic<uint64_t> failed{0};
  /// Guards last_error.
  mutable std::mutex mtx;
  /// Text of the most recent delivery failure.
  std::string last_error;
  /// Receives successful deliveries as recovery signals.
  std::shared_ptr<fault_episode_log> episodes;
  /// Called per acknowledged message; may be empty.
  delivery_hook on_delivered;
};

/// A producer that counts delivery reports and retries on a full queue.
class producer {
public:
  /// Creates a producer for `bootstrap` with `extra` config entries;
  /// `on_delivered` (if any) sees every acknowledged message.
  static expected<producer> make(std::string bootstrap, config_map extra = {},
                                 delivery_hook on_delivered = {});

  producer(producer&&) noexcept = default;
  producer& operator=(producer&&) noexcept = default;
  ~producer();

  /// Enqueues one message (copied). An empty `key` means no key. When the
  /// local queue is full, serves delivery reports and retries for up to
  /// `queue_full_timeout`.
  status produce(const std::string& topic, int32_t partition,
                 std::string_view key, std::string_view payload,
                 const header_list& headers = {},
                 std::chrono::milliseconds queue_full_timeout
                 = std::chrono::seconds{60});

  /// Serves delivery reports, waiting at most `timeout`.
  int poll(std::chrono::milliseconds timeout = std::chrono::milliseconds{0});

  /// Waits until all messages are delivered or failed; fails if some are
  /// still in flight after `timeout`.
  status flush(std::chrono::milliseconds timeout);

  /// Checks that the broker answers a metadata request within `timeout`.
  status wait_connected(std::chrono::milliseconds timeout);

  /// Returns the partition count of `topic`.
  expected<int32_t> partition_count(const std::string& topic,
                                    std::chrono::milliseconds timeout);

  /// Messages acknowledged so far.
  uint64_t delivered() const noexcept {
    return stats_->delivered.load();
  }

  /// Messages failed so far.
  uint64_t failed() const noexcept {
    return stats_->failed.load();
  }

  /// Text of the most recent delivery failure (empty if none).
  std::string last_error() const;

  /// Messages enqueued but not yet acknowledged or failed.
  int in_flight() const noexcept;

  /// The bootstrap address this producer was created for.
  const std::string& bootstrap() const noexcept {
    return bootstrap_;
  }

  /// The raw handle.
  rd_kafka_t* handle() const noexcept {
    return rk_.get();
  }

private:
  producer(std::string bootstrap, std::unique_ptr<delivery_stats> stats,
           handle_ptr rk);

  std::string bootstrap_;
  std::unique_ptr<delivery_stats> stats_;
  handle_ptr rk_;
};

} // namespace vigil::kafka
