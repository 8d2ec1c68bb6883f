#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "actors/ingest/kind_event.hpp"
#include "actors/ingest/request_event.hpp"
#include "actors/messages.hpp"
#include "runtime/window.hpp"

namespace vigil {

/// Settings of a partition task's event processing.
struct partition_processor_config {
  /// Tumbling window size.
  int64_t window_ms = 10000;
  /// How long after its end a window still accepts late events.
  int64_t lateness_ms = 5000;
  /// Parser limits.
  parse_limits limits;
  /// Most distinct services this partition forwards; more are rejected.
  size_t max_services = 10000;
  /// Fault injection for tests: the Nth batch of the process makes its task
  /// throw, once (0 = off).
  uint64_t fault_throw_at = 0;
  /// With fault_throw_at: every task throws on its own Nth batch (a fault
  /// that persists across restarts).
  bool fault_always = false;
  /// Fault injection for tests: extra time each batch takes.
  std::chrono::milliseconds fault_delay{0};
  /// Record batches whose partials the task combines into one message to
  /// the merger (partial_coalescer; 1 = one message per batch). Ingest nodes
  /// of a cluster combine, so that the store's work per event shrinks.
  uint32_t coalesce_batches = 1;
  /// The event kind of the records (null: request events); `max_services`
  /// then caps distinct keys.
  std::shared_ptr<const kind_schema> kind;
};

/// The result of processing one record batch.
struct processed_batch {
  /// Window contributions and counters, for the merger.
  partial_batch partials;
  /// Rejected records, for the dead-letter topic.
  std::vector<dead_letter> dead_letters;
};

/// Turns the raw records of one partition into window partials, in offset
/// order: parses and validates each record, assigns it to its window, and
/// classifies late events against the last known combined watermark.
class partition_processor {
public:
  partition_processor_config settings;

  partition_processor(int32_t partition, partition_processor_config settings);

  /// Processes one batch. `watermark` is the latest combined watermark known
  /// (INT64_MIN if none): an event whose window ended more than the allowed
  /// lateness before it is too late and becomes a dead letter.
  processed_batch process(const record_batch& batch, int64_t watermark);

  /// Offset after the last processed record (-1 before the first).
  int64_t next_offset() const noexcept {
    return next_offset_;
  }

  /// Largest event time seen (INT64_MIN before the first valid event).
  int64_t max_event_time() const noexcept {
    return max_event_time_;
  }

  /// Offset of the last record seen; offsets must grow strictly.
  int64_t last_offset() const noexcept {
    return last_offset_;
  }

  /// Number of out-of-order offsets seen (must stay 0; seed 003's bug).
  uint64_t reorderings() const noexcept {
    return reorderings_;
  }

private:
  /// Adds the parsed kind event to its window's aggregate.
  void add_kind_event(window_aggregate& agg, bool late);

  int32_t partition_;
  tumbling_windows windows_;
  int64_t next_offset_ = -1;
  int64_t last_offset_ = -1;
  int64_t max_event_time_ = INT64_MIN;
  uint64_t reorderings_ = 0;
  std::unordered_set<std::string> services_;
  request_event event_;
  kind_event kind_event_;
  /// Per measure of the kind: index of its weight measure (or npos) and
  /// whether it feeds the sketch.
  std::vector<size_t> weights_;
  std::vector<bool> sketched_;
};

} // namespace vigil
