#pragma once

// Messages of the aggregate stage (the merger). Every type id is announced
// in actors/messages.hpp.
//
// Contract:
// - partition_task -> merger: `partial_batch` per record batch (window
//   contributions and counter deltas), and the partition's
//   `partition_barrier` and `partition_end` forwarded in order behind them.
// - kafka_source -> merger: `checkpoint_begin` names the partitions whose
//   barriers the merger aligns on; `(atom::rollback, epoch, state)` restores
//   a durable checkpoint's merger state.
// - merger -> detector: `result_batch` with the `window_row`s emitted.
// - `(atom::stats)` -> `pipeline_stats`, for drain summaries, the console and
//   metrics.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>
#include <climits>

#include "runtime/window.hpp"

namespace vigil {

/// The contribution of some events of one partition to one window of one key.
struct window_partial {
  /// The key, e.g. the service name.
  std::string key;
  /// Window start, epoch milliseconds.
  int64_t window_start = 0;
  /// The aggregate of the contributing events.
  window_aggregate aggregate;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_partial& x) {
  return f(caf::meta::type_name("window_partial"), x.key, x.window_start,
           x.aggregate);
}

/// Counters a partition task reports with each batch (deltas).
struct task_counters {
  /// Valid events consumed.
  uint64_t events = 0;
  /// Events with a repaired timestamp.
  uint64_t repaired = 0;
  /// Late events that still updated their window.
  uint64_t late_accepted = 0;
  /// Invalid events by reason (index: invalid_reason value).
  std::vector<uint64_t> invalid;
  /// Records whose offset did not exceed the previous one (must stay 0).
  uint64_t reorderings = 0;

  /// Adds the counts of `other` (the counters of consecutive batches).
  void merge(const task_counters& other) {
    events += other.events;
    repaired += other.repaired;
    late_accepted += other.late_accepted;
    reorderings += other.reorderings;
    if (invalid.size() < other.invalid.size())
      invalid.resize(other.invalid.size(), 0);
    for (size_t i = 0; i < other.invalid.size(); ++i)
      invalid[i] += other.invalid[i];
  }
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_counters& x) {
  return f(caf::meta::type_name("task_counters"), x.events, x.repaired,
           x.late_accepted, x.invalid, x.reorderings);
}

/// Everything one record batch contributed, sent by a task to the merger.
struct partial_batch {
  /// Source partition.
  int32_t partition = 0;
  /// Incarnation of the source whose batch this was: after a rollback the
  /// merger ignores contributions of earlier incarnations.
  uint64_t epoch = 0;
  /// Offset after the last record of the batch.
  int64_t next_offset = 0;
  /// Largest event time seen in the partition so far (INT64_MIN if none).
  int64_t max_event_time = INT64_MIN;
  /// Window contributions.
  std::vector<window_partial> partials;
  /// Counter deltas.
  task_counters counters;
  /// Record batches this covers (more than 1 when an ingest node combined
  /// consecutive batches, see partial_coalescer); the merger acknowledges
  /// each of them.
  uint32_t batches = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partial_batch& x) {
  return f(caf::meta::type_name("partial_batch"), x.partition, x.epoch,
           x.next_offset, x.max_event_time, x.partials, x.counters, x.batches);
}

/// The source started checkpoint `checkpoint`: the merger aligns on the
/// barriers of exactly these partitions.
struct checkpoint_begin {
  /// The checkpoint id, increasing.
  uint64_t checkpoint = 0;
  /// Partitions whose barriers the merger must wait for.
  std::vector<int32_t> partitions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_begin& x) {
  return f(caf::meta::type_name("checkpoint_begin"), x.checkpoint,
           x.partitions);
}

/// One row of `service_metrics`.
struct window_row {
  std::string service;
  int64_t window_start = 0;
  int64_t window_end = 0;
  int64_t request_count = 0;
  int64_t error_count = 0;
  double error_rate = 0;
  double avg_latency_ms = 0;
  double p50_latency_ms = 0;
  double p95_latency_ms = 0;
  double p99_latency_ms = 0;
  double max_latency_ms = 0;
  int64_t late_count = 0;
  int64_t updated_at = 0;
  /// False for an early emission that late events may still update.
  bool final = false;
  /// True for a window emitted before the watermark passed its end (the
  /// flush at the end of a drain or at shutdown): its counts cover only
  /// part of its time, so detectors do not judge it.
  bool partial = false;
  /// For event kinds other than request: the kind's value columns
  /// (kind_schema::value_columns), and `service` holds the key values joined
  /// by '|'; the request columns above then only use request_count (events)
  /// and late_count.
  std::vector<double> values;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_row& x) {
  return f(caf::meta::type_name("window_row"), x.service, x.window_start,
           x.window_end, x.request_count, x.error_count, x.error_rate,
           x.avg_latency_ms, x.p50_latency_ms, x.p95_latency_ms,
           x.p99_latency_ms, x.max_latency_ms, x.late_count, x.updated_at,
           x.final, x.partial, x.values);
}

/// Totals of a node's pipeline, for drain summaries, the console and metrics.
struct pipeline_stats {
  /// Valid events consumed.
  uint64_t events = 0;
  /// Invalid events by reason (index: invalid_reason value).
  std::vector<uint64_t> invalid;
  /// Events with a repaired timestamp.
  uint64_t repaired = 0;
  /// Late events that updated their window.
  uint64_t late_accepted = 0;
  /// Windows emitted (first emission).
  uint64_t windows = 0;
  /// Partials lost because their window was already evicted.
  uint64_t late_partials_dropped = 0;
  /// Events refused by the distinct-key cap in the merger.
  uint64_t key_overflow = 0;
  /// Combined watermark.
  int64_t watermark = INT64_MIN;
  /// Windows held in memory.
  uint64_t open_windows = 0;
  /// Last checkpoint made durable.
  uint64_t last_checkpoint = 0;
  /// Records seen out of offset order by a partition task (must stay 0).
  uint64_t reorderings = 0;
  /// Distinct keys (services) with window state in the merger.
  uint64_t tracked_keys = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pipeline_stats& x) {
  return f(caf::meta::type_name("pipeline_stats"), x.events, x.invalid,
           x.repaired, x.late_accepted, x.windows, x.late_partials_dropped,
           x.key_overflow, x.watermark, x.open_windows, x.last_checkpoint,
           x.reorderings, x.tracked_keys);
}

} // namespace vigil
