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
  /// True while the operator holds consumption (console `pause`).
  bool held = false;
  /// Drain mode: read to its end.
  bool finished = false;
  /// What the consumer was last told: paused (not fetching) or not.
  bool consumer_paused = false;
  /// The credit: unacknowledged batches before backpressure pauses it.
  uint32_t credit = 0;
  /// The epoch its batches carry (changes at every rebalance).
  uint64_t epoch = 0;
  /// False until the consumer returned anything for it since its
  /// assignment (the first fetch after the seek is pending).
  bool fetched = false;
  /// True while it has lag and has made no progress for the stall bound.
  bool stalled = false;
  /// How long it has had lag without progress, ms (0: none waiting).
  int64_t waiting_ms = 0;
};

/// What the Kafka source publishes for other threads (the node's HTTP
/// handlers and metrics poll). Updated once per poll round, never per event.
struct source_status {
  /// Partitions currently assigned to the source.
  std::atomic<int32_t> assigned{0};
  /// Partitions with lag and no progress for the stall bound.
  std::atomic<int32_t> stalled{0};
  /// Wall clock (epoch ms) of the last durable checkpoint; 0 while none.
  std::atomic<int64_t> last_durable_ms{0};
  /// Backpressure episodes: times a partition was paused because its
  /// unacknowledged batches reached the credit (never reset).
  std::atomic<uint64_t> credit_pauses{0};
  /// The most batches that were sent to partition tasks and not yet
  /// acknowledged at once, over all partitions and source restarts: what
  /// the credit bounds (partitions x (credit + 1), see partition_flow).
  std::atomic<uint64_t> peak_in_flight{0};
  /// Set by the console's `pause`, cleared by `resume`: the source stops
  /// fetching (keeping its partitions) until cleared. Outlives source
  /// restarts.
  std::atomic<bool> hold{false};
  /// When `hold` was last set, epoch ms.
  std::atomic<int64_t> hold_since_ms{0};
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

/// A durable checkpoint as the source resumes from it.
struct source_resume {
  /// Its id (0: none, read from the start position).
  uint64_t checkpoint = 0;
  /// The merger state it stored: the source rolls the merger back to it, so
  /// that the records replayed from `offsets` are counted exactly once.
  std::string merger_state;
  /// Next offset by partition (partitions absent start at `start`).
  std::map<int32_t, int64_t> offsets;
};

/// Settings of the Kafka source.
struct kafka_source_config {
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
  /// A partition with lag and no progress (no record delivered, no batch
  /// acknowledged) for this long is reported stalled; 0 turns it off.
  std::chrono::milliseconds stall_timeout{30000};
  /// Start position of partitions without a checkpoint.
  start_position start = start_position::earliest;
  /// Extra librdkafka properties.
  std::map<std::string, std::string> kafka;
  /// The durable checkpoint the source resumes from (from the database).
  source_resume resume;
  /// Reads the latest durable checkpoint again, for a consumer-group
  /// rebalance: the partitions assigned after it resume from there. Returns
  /// false with `error` set if the database cannot be read; required in run
  /// mode (a source without it stops at its first rebalance).
  std::function<bool(source_resume& out, std::string& error)> reload;
  /// Metrics updated per poll round (lag, in-flight batches, paused
  /// partitions) and per checkpoint (duration); may be null.
  std::shared_ptr<metric_factory> metrics;
  /// Published state for other threads; may be null.
  std::shared_ptr<source_status> status;
  /// Cluster mode (role ingest): the store's address, HOST:PORT. The
  /// source then follows the store's coordinator (actors/cluster): it
  /// reports each assignment, starts its partitions only when told, at the
  /// offsets and generation the store gives, injects barriers when the
  /// store asks, and holds every partition while the store is unreachable.
  /// Empty: a single node.
  std::string store;
  /// Cluster mode: this node's name and role as the store lists them.
  std::string node_name;
  std::string role = "ingest";
  /// Cluster mode: connects to the store's published gateway (plain BASP
  /// or mutual TLS, chosen by the node).
  std::function<caf::expected<caf::actor>(
      caf::actor_system&, const std::string& host, uint16_t port)>
      connect_store;
};

/// Creates the task actor of one partition, sending to `merger` and
/// `dead_letters`.
using task_factory
    = std::function<caf::actor(int32_t partition, const caf::actor& merger,
                               const caf::actor& dead_letters)>;

/// Spawns the Kafka source: a consumer-group member with manual offset
/// commits. It creates one partition task per assigned partition (linked to
/// it), sends them record batches in offset order, injects checkpoint
/// barriers, pauses partitions that run out of credit, commits offsets to
/// Kafka once a checkpoint is durable and, in drain mode, tells `listener`
/// `drained` once the final checkpoint is durable. Runs on its own thread.
/// Before reading anything it rolls the merger back to the checkpoint it
/// resumes from (`settings.resume`). A rebalance of the consumer group
/// (partitions revoked, then assigned) abandons the checkpoint in flight and
/// everything read since the last durable one: the source reloads that
/// checkpoint, rolls the merger back to it and resumes every assigned
/// partition at its stored offset, under a new epoch.
///
/// In cluster mode (`settings.store` set) `merger` and `dead_letters` are
/// unused: the store's coordinator names them with each generation.
caf::actor spawn_kafka_source_actor(caf::actor_system& sys,
                                    kafka_source_config settings,
                                    caf::actor merger, caf::actor dead_letters,
                                    task_factory make_task,
                                    caf::actor listener);

} // namespace vigil
