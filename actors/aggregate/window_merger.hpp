#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actors/messages.hpp"
#include "runtime/watermark.hpp"
#include "runtime/window.hpp"

namespace vigil {

struct kind_schema;

/// Settings of the window merger.
struct window_merger_config {
  /// Tumbling window size.
  int64_t window_ms = 10000;
  /// Out-of-orderness bound of partition watermarks.
  int64_t bound_ms = 2000;
  /// How long after its end a window still accepts late events.
  int64_t lateness_ms = 5000;
  /// A partition at the end of its log this long stops holding back.
  std::chrono::milliseconds idle_timeout{10000};
  /// Most distinct keys (services) with open windows; more are counted.
  size_t max_keys = 10000;
  /// The event kind of the windows (null: request windows, rows of
  /// service_metrics); other kinds fill `window_row::values`.
  std::shared_ptr<const kind_schema> kind;
};

/// Counters of the merger (totals since start or restore).
struct merger_counters {
  uint64_t events = 0;
  uint64_t repaired = 0;
  uint64_t late_accepted = 0;
  uint64_t windows_emitted = 0;
  uint64_t windows_finalized = 0;
  /// Partials that arrived after their window was evicted (lost, counted).
  uint64_t late_partials_dropped = 0;
  /// Partials refused because the key cap was reached.
  uint64_t key_overflow = 0;
  /// Records seen out of offset order by partition tasks.
  uint64_t reorderings = 0;
  std::vector<uint64_t> invalid;

  uint64_t invalid_total() const noexcept;
};

/// Merges per-partition window partials into per-key windows and decides,
/// from the combined watermark, when a window is emitted, updated and final.
///
/// A window [s, e) is emitted once the watermark passes e, re-emitted when
/// late partials change it, and final (then evicted after a retention period
/// that absorbs in-flight partials) once the watermark passes e + lateness.
class window_merger {
public:
  using clock_time = std::chrono::steady_clock::time_point;

  explicit window_merger(window_merger_config settings);

  // -- partitions -------------------------------------------------------------

  void add_partition(int32_t partition);

  void remove_partition(int32_t partition);

  /// The partition reached the end of its log (`finished`: for good).
  void at_end(int32_t partition, bool finished, clock_time now);

  bool all_finished() const;

  // -- input ------------------------------------------------------------------

  /// Merges the partials of one task batch.
  void apply(const partial_batch& batch, clock_time now);

  // -- output -----------------------------------------------------------------

  /// Emits the windows that closed or changed, in (window_start, key) order.
  std::vector<window_row> advance(clock_time now, int64_t wall_ms);

  /// Emits every window with pending changes as final and evicts them all
  /// (drain mode: no more input will come).
  std::vector<window_row> flush_all(int64_t wall_ms);

  /// The combined watermark (INT64_MIN while unknown).
  int64_t watermark() const noexcept {
    return watermark_;
  }

  const merger_counters& counters() const noexcept {
    return counters_;
  }

  /// Number of windows held (open or retained).
  size_t window_count() const noexcept {
    return windows_.size();
  }

  /// Number of distinct keys with windows held (what `max_keys` caps).
  size_t key_count() const noexcept {
    return key_refs_.size();
  }

  // -- checkpoints ------------------------------------------------------------

  /// Serializes windows, watermark and counters.
  std::string snapshot() const;

  /// Restores a snapshot; returns false (state unchanged) if it is invalid.
  bool restore(std::string_view data);

  /// Converts an aggregate to a `service_metrics` row.
  static window_row make_row(const std::string& key, int64_t start,
                             int64_t window_ms, const window_aggregate& agg,
                             int64_t wall_ms, bool final);

private:
  struct window_state {
    window_aggregate aggregate;
    bool emitted = false;
    bool dirty = false;
    bool final = false;
  };

  using window_key = std::pair<int64_t, std::string>; // (start, key)

  void emit(const window_key& key, window_state& state, bool final,
            int64_t wall_ms, std::vector<window_row>& out);

  window_merger_config settings_;
  watermark_tracker tracker_;
  int64_t watermark_ = INT64_MIN;
  std::map<window_key, window_state> windows_;
  std::map<std::string, size_t> key_refs_;
  merger_counters counters_;
};

} // namespace vigil
