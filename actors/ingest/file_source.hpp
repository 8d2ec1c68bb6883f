#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <caf/fwd.hpp>

#include "actors/ingest/kafka_source.hpp"

namespace vigil {

class metric_factory;

/// Settings of the file source (`vigil run --source file:PATH`).
struct file_source_config {
  /// The file of JSON lines, gzip-compressed if its name ends in ".gz".
  std::string path;
  /// Virtual partitions: the k-th non-empty line (k = 0, 1, ...) is record
  /// k / partitions of partition k mod partitions.
  int32_t partitions = 4;
  /// Most records in one batch sent to a partition task.
  size_t max_batch = 2000;
  /// Unacknowledged batches per partition before reading pauses.
  uint32_t credit = 16;
  /// Interval between checkpoints.
  std::chrono::milliseconds checkpoint_interval{1000};
  /// Bytes read from the file at once.
  size_t chunk_size = size_t{4} << 20;
  /// The durable checkpoint the source resumes from (from the database):
  /// records below its offsets are skipped.
  source_resume resume;
  /// Metrics (lag, in-flight batches, checkpoint duration); may be null.
  std::shared_ptr<metric_factory> metrics;
  /// Published state for other threads; may be null.
  std::shared_ptr<source_status> status;
};

/// The key under which checkpoints store the offsets of the file at `path`
/// (in place of a topic): "file:" and its absolute, canonical path.
std::string file_source_key(const std::string& path);

/// Spawns the file source: a drain of a file instead of a topic, with the
/// Kafka source's protocol (actors/ingest/messages.hpp). It rolls the merger
/// back to `settings.resume`, creates one partition task per virtual
/// partition (linked to it), reads the file in large chunks, deals its lines
/// to the partitions in batches under credit, injects checkpoint barriers
/// every checkpoint interval, ends every partition at the end of the file
/// and tells `listener` `drained` once the merger's final checkpoint is
/// durable. A graceful stop (`atom::shutdown`) makes what was read durable
/// first. Runs on its own thread.
caf::actor spawn_file_source_actor(caf::actor_system& sys,
                                   file_source_config settings,
                                   caf::actor merger, caf::actor dead_letters,
                                   task_factory make_task, caf::actor listener);

} // namespace vigil
