#include "runtime/partition_flow.hpp"

#include <algorithm>

namespace vigil {

const char* to_string(flow_state state) noexcept {
  switch (state) {
  case flow_state::reading:
    return "reading";
  case flow_state::backpressure:
    return "paused";
  case flow_state::held:
    return "held";
  case flow_state::finished:
    return "finished";
  }
  return "reading";
}

partition_flow::partition_flow(uint32_t credit)
    : credit_(std::max<uint32_t>(credit, 1)) {
  // nop
}

void partition_flow::assign(int32_t partition) {
  revoke(partition);
  partitions_[partition] = entry{};
}

void partition_flow::revoke(int32_t partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end())
    return;
  total_in_flight_ -= it->second.in_flight;
  partitions_.erase(it);
}

void partition_flow::hold(bool on) {
  held_ = on;
}

bool partition_flow::sent(int32_t partition) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end())
    return false;
  auto& e = it->second;
  ++e.in_flight;
  peak_in_flight_ = std::max(peak_in_flight_, ++total_in_flight_);
  if (e.in_flight >= credit_ && !e.backpressure) {
    e.backpressure = true;
    return true;
  }
  return false;
}

void partition_flow::acked(int32_t partition, uint32_t batches) {
  auto it = partitions_.find(partition);
  if (it == partitions_.end())
    return;
  auto& e = it->second;
  auto returned = std::min(e.in_flight, batches);
  e.in_flight -= returned;
  total_in_flight_ -= returned;
  if (e.backpressure && e.in_flight <= credit_ / 2)
    e.backpressure = false;
}

void partition_flow::finish(int32_t partition) {
  if (auto it = partitions_.find(partition); it != partitions_.end())
    it->second.finished = true;
}

uint32_t partition_flow::in_flight(int32_t partition) const {
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? 0 : it->second.in_flight;
}

flow_state partition_flow::state_of(const entry& e) const noexcept {
  if (e.finished)
    return flow_state::finished;
  if (held_)
    return flow_state::held;
  if (e.backpressure)
    return flow_state::backpressure;
  return flow_state::reading;
}

flow_state partition_flow::state(int32_t partition) const {
  auto it = partitions_.find(partition);
  return it == partitions_.end() ? flow_state::reading : state_of(it->second);
}

bool partition_flow::consumer_paused(int32_t partition) const {
  auto it = partitions_.find(partition);
  return it != partitions_.end() && it->second.told_known
         && it->second.told_paused;
}

std::vector<partition_flow::change> partition_flow::reconcile() {
  std::vector<change> out;
  for (auto& [p, e] : partitions_) {
    bool pause = state_of(e) != flow_state::reading;
    if (e.told_known && e.told_paused == pause)
      continue;
    e.told_known = true;
    e.told_paused = pause;
    out.push_back(change{p, pause});
  }
  return out;
}

size_t partition_flow::count(flow_state state) const {
  return static_cast<size_t>(std::count_if(
      partitions_.begin(), partitions_.end(),
      [&](const auto& kv) { return state_of(kv.second) == state; }));
}

} // namespace vigil
