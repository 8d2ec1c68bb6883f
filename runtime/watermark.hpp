#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>

namespace vigil {

/// Tracks event-time watermarks of a set of partitions and combines them.
///
/// A partition's watermark is the largest event time it has seen minus the
/// out-of-orderness bound. The combined watermark is the minimum over live
/// partitions. A partition is not live when it is finished (it will deliver
/// nothing more, e.g. drain mode reached its end offset) or idle (it reached
/// the end of its log and stayed there longer than the idle timeout, on the
/// injected clock). A partition that has seen no event yet and is neither
/// finished nor idle holds the combined watermark back (it has none yet).
class watermark_tracker {
public:
  using clock_time = std::chrono::steady_clock::time_point;

  /// `bound_ms`: out-of-orderness bound; `idle_timeout`: how long a partition
  /// may sit at the end of its log before it stops holding others back.
  watermark_tracker(int64_t bound_ms, std::chrono::milliseconds idle_timeout);

  /// Registers a partition (no-op if known).
  void add_partition(int32_t partition);

  /// Forgets a partition (revoked); it no longer holds the watermark back.
  void remove_partition(int32_t partition);

  /// Records that `partition` delivered an event with time `t` at `now`;
  /// a delivering partition is no longer idle.
  void observe(int32_t partition, int64_t t, clock_time now);

  /// Records that `partition` reached the end of its log at `now`.
  void at_end(int32_t partition, clock_time now);

  /// Marks `partition` finished: it never holds the watermark back again.
  void finish(int32_t partition);

  /// The watermark of one partition, if it has seen an event.
  std::optional<int64_t> partition_watermark(int32_t partition) const;

  /// The combined watermark at `now`: the minimum over live partitions. When
  /// no partition is live, returns the maximum watermark seen (or nullopt if
  /// none was ever seen). Never goes backwards.
  std::optional<int64_t> combined(clock_time now);

  /// True if every known partition is finished.
  bool all_finished() const;

  size_t partition_count() const noexcept {
    return partitions_.size();
  }

private:
  struct partition_state {
    std::optional<int64_t> max_time;
    std::optional<clock_time> at_end_since;
    bool finished = false;
  };

  int64_t bound_ms_;
  std::chrono::milliseconds idle_timeout_;
  std::map<int32_t, partition_state> partitions_;
  std::optional<int64_t> last_combined_;
};

} // namespace vigil
