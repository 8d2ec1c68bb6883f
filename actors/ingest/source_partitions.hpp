#pragma once

// What every source (kafka_source, file_source) shares: its partitions and
// their credit, and its side of the protocol with the partition tasks and the
// merger (actors/ingest/messages.hpp): record batches under credit, the
// barriers of a checkpoint, the end of a drained partition and the test for
// the drain's final checkpoint.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <unordered_map>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/ingest/kafka_source.hpp"
#include "actors/ingest/messages.hpp"
#include "actors/ingest/request_event.hpp"
#include "runtime/partition_flow.hpp"

namespace vigil {

class metric_factory;

/// A new epoch for a source incarnation or resumption: unique in the
/// process, so the merger can tell their input apart.
uint64_t next_source_epoch();

/// A partition a source delivers to its task. Whether it is paused is
/// `partition_flow`'s business alone.
struct source_partition {
  caf::actor task;
  /// Next offset to deliver (after the last record sent to the task).
  int64_t next_offset = 0;
  /// Drain mode: the end offset (seen at assignment; for a file, known at
  /// its end).
  int64_t end_offset = 0;
  /// Batches acknowledged since the assignment (progress for stall
  /// detection, together with `next_offset`).
  uint64_t acked = 0;
  /// Set once the source read anything (a record or the end of the log)
  /// for the partition since its assignment.
  bool fetched = false;
  /// Pending records for the task.
  record_batch pending;
};

/// Appends one record to `batch`. Spare capacity after the last record lets
/// the parser read it in place (reserve grows geometrically, so this stays
/// amortized).
inline void append_record(record_batch& batch, int64_t offset, const char* data,
                          size_t size) {
  batch.offsets.push_back(offset);
  auto& bytes = batch.bytes;
  auto old = bytes.size();
  if (bytes.capacity() < old + size + parse_padding)
    bytes.reserve(std::max(bytes.capacity() * 2, old + size + parse_padding));
  bytes.append(data, size);
  batch.ends.push_back(static_cast<uint32_t>(bytes.size()));
}

/// A source's partitions, their flow and the messages it sends for them.
/// Methods that may exhaust a partition's credit or finish it return true
/// when the caller must apply `flow` (pause or resume its input).
class source_partitions {
public:
  /// Assigned partitions.
  std::unordered_map<int32_t, source_partition> partitions;
  /// Who wants which partition paused (backpressure, the operator's hold,
  /// the end of a drain).
  partition_flow flow{1};
  /// Stamped on every batch, barrier and end sent: the merger drops input
  /// of other epochs (an earlier incarnation, or before a rebalance).
  uint64_t epoch = 0;
  /// Published state (credit pauses, peak in flight); may be null.
  std::shared_ptr<source_status> status;

  /// Sends the partition's pending records to its task; true if this
  /// exhausted its credit.
  bool send_pending(caf::event_based_actor* self, int32_t partition,
                    source_partition& info);

  /// Sends every partition's pending records and then its barrier of
  /// `checkpoint`; before them, `merger` (unless null) gets the
  /// `checkpoint_begin`. True if a partition exhausted its credit.
  bool inject_barriers(caf::event_based_actor* self, const caf::actor& merger,
                       uint64_t checkpoint);

  /// Drain mode: if the partition reached its end offset, marks it finished
  /// and sends its task the final `partition_end`; true if it did.
  bool finish_if_done(caf::event_based_actor* self, int32_t partition,
                      source_partition& info);

  /// Whether the partition reached its drain end.
  bool finished(int32_t partition) const {
    return flow.state(partition) == flow_state::finished;
  }

  /// Whether every partition reached its drain end (false if none).
  bool all_finished() const;

  /// Drain mode: whether the durable checkpoint `msg` stores every
  /// partition at or after its end offset (it is the final one).
  bool covers_ends(const checkpoint_durable& msg) const;

  /// The source stops: its partitions leave the metrics and the published
  /// state.
  void unpublish(const std::shared_ptr<metric_factory>& metrics);

  /// The published position of a partition (without lag and stalls).
  partition_position describe(int32_t partition, const source_partition& info,
                              uint32_t credit) const;
};

} // namespace vigil
