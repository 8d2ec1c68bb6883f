#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

namespace vigil {

/// Finds partitions that have records waiting and make no progress.
///
/// A partition is *waiting* while it has lag and nobody excuses it (the
/// operator's hold, a drained partition). Progress is anything that moves
/// it: a record delivered to its task or a batch acknowledged, so a
/// partition paused by backpressure whose task keeps acknowledging is not
/// stalled, while one whose acknowledgements stopped is. A waiting
/// partition without progress for `bound` is stalled; the episode ends at
/// its next progress, when its lag is gone, when it is excused, or when it
/// is forgotten (revoked). Time is passed in, never read.
class stall_detector {
public:
  using clock = std::chrono::steady_clock;

  /// One partition's reading at one moment.
  struct observation {
    int32_t partition = 0;
    /// Changes whenever the partition makes progress (e.g. its next offset
    /// plus its acknowledged batches).
    uint64_t progress = 0;
    /// Records between its position and the end of the log (-1: unknown,
    /// taken as none).
    int64_t lag = -1;
    /// Not expected to move (held by the operator, finished).
    bool excused = false;
  };

  /// A stall began or ended.
  struct episode {
    int32_t partition = 0;
    /// True when it began, false when it ended.
    bool stalled = false;
    /// Time without progress so far (began) or in all (ended).
    clock::duration duration{};
    /// Lag when the event was seen.
    int64_t lag = 0;
  };

  explicit stall_detector(clock::duration bound);

  /// Records the readings of `now`; returns the stalls that began or ended.
  std::vector<episode> observe(clock::time_point now,
                               const std::vector<observation>& readings);

  /// Forgets a partition (revoked); ends its stall without an episode.
  void forget(int32_t partition);

  /// Forgets every partition.
  void clear();

  /// Partitions stalled now.
  size_t stalled() const noexcept;

  /// Whether the partition is stalled now.
  bool is_stalled(int32_t partition) const;

  /// How long the partition has waited without progress (zero if it is not
  /// waiting).
  clock::duration waiting_for(int32_t partition, clock::time_point now) const;

  /// The bound after which a waiting partition counts as stalled.
  clock::duration bound() const noexcept {
    return bound_;
  }

private:
  struct track {
    uint64_t progress = 0;
    bool waiting = false;
    clock::time_point since{};
    bool stalled = false;
  };

  clock::duration bound_;
  std::map<int32_t, track> tracks_;
};

} // namespace vigil
