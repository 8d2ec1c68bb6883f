#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace vigil {

/// Why a partition is not fetched, in order of precedence.
enum class flow_state : uint8_t {
  /// Fetched.
  reading,
  /// Its unacknowledged batches reached the credit (backpressure).
  backpressure,
  /// The operator holds consumption (console `pause`).
  held,
  /// Drain mode: read to its end offset.
  finished,
};

/// Returns "reading", "paused", "held" or "finished" (the console's words).
const char* to_string(flow_state state) noexcept;

/// The single owner of every assigned partition's pause state.
///
/// Three parties want a partition paused: credit backpressure (too many
/// unacknowledged batches), the operator's hold and, in drain mode, the end
/// of the partition. Each sets its own reason here; whether the partition is
/// paused is derived from the reasons, never stored twice. `reconcile()`
/// returns the pause and resume calls that make the consumer match.
///
/// The consumer's own pause flag is not trusted across assignments: a
/// partition paused by the application stays paused inside the consumer
/// after it is revoked and assigned again (librdkafka keeps the flag on the
/// partition object), while everything the source knew about it was
/// dropped with the revocation. A partition that is assigned is therefore
/// reconciled explicitly, paused or resumed, whatever it was before.
class partition_flow {
public:
  /// One call to make on the consumer.
  struct change {
    int32_t partition;
    bool pause;
  };

  /// `credit`: unacknowledged batches per partition before backpressure
  /// pauses it; it is resumed once at most half of them are left.
  explicit partition_flow(uint32_t credit);

  /// A partition is assigned (again): no batch in flight, and the
  /// consumer's pause flag is unknown, so the next `reconcile()` sets it.
  void assign(int32_t partition);

  /// A partition is revoked; forgets it.
  void revoke(int32_t partition);

  /// Sets or clears the operator's hold of every partition.
  void hold(bool on);

  /// Whether the operator holds consumption.
  bool held() const noexcept {
    return held_;
  }

  /// A batch was sent to the partition's task; returns true if this began a
  /// backpressure episode (the credit is now exhausted).
  bool sent(int32_t partition);

  /// The merger acknowledged `batches` batches of the partition.
  void acked(int32_t partition, uint32_t batches = 1);

  /// Drain mode: the partition reached its end offset.
  void finish(int32_t partition);

  /// Whether the partition is assigned here.
  bool contains(int32_t partition) const {
    return partitions_.count(partition) != 0;
  }

  /// Unacknowledged batches of the partition.
  uint32_t in_flight(int32_t partition) const;

  /// Unacknowledged batches of all assigned partitions.
  uint64_t total_in_flight() const noexcept {
    return total_in_flight_;
  }

  /// The largest `total_in_flight()` seen since construction: what the
  /// credit bounds (assigned partitions x credit), whatever the tasks' speed.
  uint64_t peak_in_flight() const noexcept {
    return peak_in_flight_;
  }

  /// Why the partition is not fetched (`reading` if it is).
  flow_state state(int32_t partition) const;

  /// Whether the partition should be paused.
  bool wants_paused(int32_t partition) const {
    return state(partition) != flow_state::reading;
  }

  /// What the consumer was last told for the partition (false if never).
  bool consumer_paused(int32_t partition) const;

  /// The calls that make the consumer's pause flags match, in partition
  /// order; each is taken as done.
  std::vector<change> reconcile();

  /// Number of partitions in `state`.
  size_t count(flow_state state) const;

  /// Assigned partitions.
  size_t size() const noexcept {
    return partitions_.size();
  }

private:
  struct entry {
    uint32_t in_flight = 0;
    bool backpressure = false;
    bool finished = false;
    /// What the consumer was told; unknown right after an assignment.
    bool told_paused = false;
    bool told_known = false;
  };

  flow_state state_of(const entry& e) const noexcept;

  uint32_t credit_;
  bool held_ = false;
  uint64_t total_in_flight_ = 0;
  uint64_t peak_in_flight_ = 0;
  std::map<int32_t, entry> partitions_;
};

} // namespace vigil
