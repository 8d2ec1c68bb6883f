#include "runtime/stall_detector.hpp"

#include <algorithm>

namespace vigil {

stall_detector::stall_detector(clock::duration bound) : bound_(bound) {
  // nop
}

std::vector<stall_detector::episode>
stall_detector::observe(clock::time_point now,
                        const std::vector<observation>& readings) {
  std::vector<episode> out;
  for (const auto& r : readings) {
    auto [it, fresh] = tracks_.try_emplace(r.partition);
    auto& t = it->second;
    bool waiting = r.lag > 0 && !r.excused;
    bool moved = !fresh && r.progress != t.progress;
    t.progress = r.progress;
    if (t.stalled && (moved || !waiting)) {
      out.push_back(episode{r.partition, false, now - t.since,
                            std::max<int64_t>(r.lag, 0)});
      t.stalled = false;
    }
    if (!waiting) {
      t.waiting = false;
      continue;
    }
    if (!t.waiting || moved) {
      t.waiting = true;
      t.since = now;
      continue;
    }
    if (!t.stalled && now - t.since >= bound_) {
      t.stalled = true;
      out.push_back(episode{r.partition, true, now - t.since, r.lag});
    }
  }
  return out;
}

void stall_detector::forget(int32_t partition) {
  tracks_.erase(partition);
}

void stall_detector::clear() {
  tracks_.clear();
}

size_t stall_detector::stalled() const noexcept {
  return static_cast<size_t>(
      std::count_if(tracks_.begin(), tracks_.end(),
                    [](const auto& kv) { return kv.second.stalled; }));
}

bool stall_detector::is_stalled(int32_t partition) const {
  auto it = tracks_.find(partition);
  return it != tracks_.end() && it->second.stalled;
}

stall_detector::clock::duration
stall_detector::waiting_for(int32_t partition, clock::time_point now) const {
  auto it = tracks_.find(partition);
  if (it == tracks_.end() || !it->second.waiting)
    return clock::duration::zero();
  return now - it->second.since;
}

} // namespace vigil
