#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <caf/fwd.hpp>

namespace vigil {

class metric_factory;

/// Read position of one assigned partition, as published by the source.
struct partition_position {
  /// Next offset the source delivers to the partition's task.
  int64_t next_offset = 0;
  /// High watermark of the partition (-1 while unknown).
  int64_t end_offset = -1;
  /// True while the partition is paused for backpressure.
  bool paused = false;
  /// Batches sent to the task and not yet acknowledged.
  uint32_t in_flight = 0;
};

/// What the Kafka source publishes for other threads (the node's HTTP
/// handlers and metrics poll). Updated once per poll round, never per event.
struct source_status {
  /// Partitions currently assigned to the source.
  std::atomic<int32_t> assigned{0};
  /// Wall clock (epoch ms) of the last durable checkpoint; 0 while none.
  std::atomic<int64_t> last_durable_ms{0};
  /// Backpressure episodes: times a partition was paused because its
  /// unacknowledged batches reached the credit (never reset).
  std::atomic<uint64_t> credit_pauses{0};
  /// Guards `lag`.
  mutable std::mutex mtx;
  /// Consumer lag by assigned partition: high watermark minus next offset
  /// (partitions whose high watermark is not known yet are absent).
  std::map<int32_t, int64_t> lag;
  /// Read position by assigned partition (guarded by `mtx`).
  std::map<int32_t, partition_position> positions;
};

/// Where a partition without a stored checkpoint starts reading.
enum class start_position { earliest, latest };

/// Settings of the Kafka source.
struct source_settings {
  /// Bootstrap servers, e.g. "127.0.0.1:9092".
  std::string brokers;
  /// The topic to consume.
  std::string topic = "raw_events";
  /// The consumer group.
  std::string group = "vigil";
  /// Drain mode: stop at the end offsets seen at assignment.
  bool drain = false;
  /// Most records in one batch sent to a partition task.
  size_t max_batch = 2000;
  /// Unacknowledged batches per partition before the partition is paused.
  uint32_t credit = 16;
  /// Interval between checkpoints.
  std::chrono::milliseconds checkpoint_interval{1000};
  /// Start position of partitions without a checkpoint.
  start_position start = start_position::earliest;
  /// Extra librdkafka properties.
  std::map<std::string, std::string> kafka;
  /// Checkpointed next offsets by partition (from the database).
  std::map<int32_t, int64_t> start_offsets;
  /// Last checkpoint id stored in the database.
  uint64_t last_checkpoint = 0;
  /// The merger state of that checkpoint: on (re)start the source rolls the
  /// merger back to it, so that the records it replays from the stored
  /// offsets are counted exactly once.
  std::string merger_state;
  /// Metrics updated per poll round (lag, in-flight batches, paused
  /// partitions) and per checkpoint (duration); may be null.
  std::shared_ptr<metric_factory> metrics;
  /// Published state for other threads; may be null.
  std::shared_ptr<source_status> status;
};

/// Creates the task actor of one partition.
using task_factory = std::function<caf::actor(int32_t partition)>;

/// Spawns the Kafka source: a consumer-group member with manual offset
/// commits. It creates one partition task per assigned partition (linked to
/// it), sends them record batches in offset order, injects checkpoint
/// barriers, pauses partitions that run out of credit, commits offsets to
/// Kafka once a checkpoint is durable and, in drain mode, tells `listener`
/// `drained` once the final checkpoint is durable. Runs on its own thread.
/// Before reading anything it rolls the merger back to the checkpoint it
/// resumes from (`settings.merger_state`).
caf::actor spawn_kafka_source(caf::actor_system& sys, source_settings settings,
                              caf::actor merger, task_factory make_task,
                              caf::actor listener);

} // namespace vigil
