#include "actors/dead_letter_ledger.hpp"

#include <algorithm>
#include <utility>

namespace vigil {

dead_letter_ledger::dead_letter_ledger(
    const std::vector<partition_offset>& replay_from) {
  for (const auto& po : replay_from)
    floor_[po.partition] = po.next_offset;
}

bool dead_letter_ledger::below_floor(int32_t partition, int64_t offset) const {
  auto it = floor_.find(partition);
  return it != floor_.end() && offset < it->second;
}

void dead_letter_ledger::found(int32_t partition, int64_t offset) {
  if (below_floor(partition, offset))
    return;
  if (letters_[partition].insert(offset).second)
    ++size_;
}

bool dead_letter_ledger::admit(int32_t partition, int64_t offset) {
  if (below_floor(partition, offset))
    return false;
  if (!letters_[partition].insert(offset).second)
    return false;
  ++size_;
  moved_ = true;
  return true;
}

void dead_letter_ledger::durable(const std::vector<partition_offset>& offsets) {
  for (const auto& po : offsets) {
    auto& floor = floor_[po.partition];
    floor = std::max(floor, po.next_offset);
    auto it = letters_.find(po.partition);
    if (it == letters_.end())
      continue;
    auto& set = it->second;
    auto end = set.lower_bound(floor);
    size_ -= static_cast<size_t>(std::distance(set.begin(), end));
    set.erase(set.begin(), end);
  }
}

void dead_letter_ledger::start_positions(std::vector<partition_offset> end) {
  positions_ = std::move(end);
  moved_ = false;
}

std::vector<partition_offset>
dead_letter_ledger::checkpoint(std::vector<partition_offset> end) {
  auto stored = std::move(positions_);
  positions_ = std::move(end);
  moved_ = false;
  return stored;
}

} // namespace vigil
