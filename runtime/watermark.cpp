#include "runtime/watermark.hpp"

#include <algorithm>
#include <limits>

namespace vigil {

namespace {

/// Returns `t - bound`, saturating at the limits of int64_t.
int64_t saturating_sub(int64_t t, int64_t bound) {
  constexpr auto lowest = std::numeric_limits<int64_t>::min();
  constexpr auto highest = std::numeric_limits<int64_t>::max();
  if (bound > 0 && t < lowest + bound)
    return lowest;
  if (bound < 0 && t > highest + bound)
    return highest;
  return t - bound;
}

} // namespace

watermark_tracker::watermark_tracker(int64_t bound_ms,
                                     std::chrono::milliseconds idle_timeout)
    : bound_ms_(bound_ms), idle_timeout_(idle_timeout) {
  // nop
}

void watermark_tracker::add_partition(int32_t partition) {
  partitions_.try_emplace(partition);
}

void watermark_tracker::remove_partition(int32_t partition) {
  partitions_.erase(partition);
}

// observe, at_end and finish register an unknown partition implicitly: a
// report from a partition is proof that it is assigned.

void watermark_tracker::observe(int32_t partition, int64_t t, clock_time) {
  auto& state = partitions_[partition];
  if (!state.max_time || t > *state.max_time)
    state.max_time = t;
  state.at_end_since.reset();
}

void watermark_tracker::at_end(int32_t partition, clock_time now) {
  auto& state = partitions_[partition];
  // Repeated end-of-log reports keep the time it first got there.
  if (!state.at_end_since)
    state.at_end_since = now;
}

void watermark_tracker::finish(int32_t partition) {
  partitions_[partition].finished = true;
}

std::optional<int64_t>
watermark_tracker::partition_watermark(int32_t partition) const {
  auto i = partitions_.find(partition);
  if (i == partitions_.end() || !i->second.max_time)
    return std::nullopt;
  return saturating_sub(*i->second.max_time, bound_ms_);
}

std::optional<int64_t> watermark_tracker::combined(clock_time now) {
  std::optional<int64_t> live_min;
  std::optional<int64_t> seen_max;
  bool held_back = false;
  for (const auto& [partition, state] : partitions_) {
    std::optional<int64_t> mark;
    if (state.max_time)
      mark = saturating_sub(*state.max_time, bound_ms_);
    if (mark)
      seen_max = seen_max ? std::max(*seen_max, *mark) : *mark;
    auto idle = state.at_end_since && now - *state.at_end_since > idle_timeout_;
    if (state.finished || idle)
      continue;
    if (!mark)
      held_back = true;
    else
      live_min = live_min ? std::min(*live_min, *mark) : *mark;
  }
  std::optional<int64_t> candidate;
  if (held_back)
    candidate = std::nullopt;
  else if (live_min)
    candidate = live_min;
  else
    candidate = seen_max; // no live partition
  if (candidate && (!last_combined_ || *candidate > *last_combined_))
    last_combined_ = candidate;
  return last_combined_;
}

bool watermark_tracker::all_finished() const {
  return std::all_of(partitions_.begin(), partitions_.end(),
                     [](const auto& kv) { return kv.second.finished; });
}

} // namespace vigil
