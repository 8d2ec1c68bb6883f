#include "actors/ingest/dead_letter_ledger.hpp"

#include <algorithm>
#include <utility>

namespace vigil {

namespace {

/// Lowers `lowest` to `position` in its partition.
void lower_to(std::map<int32_t, int64_t>& lowest,
              const partition_offset& position) {
  auto [it, added] = lowest.emplace(position.partition, position.next_offset);
  if (!added)
    it->second = std::min(it->second, position.next_offset);
}

/// Lowers `lowest` to `positions`, partition by partition.
void lower_to(std::map<int32_t, int64_t>& lowest,
              const std::vector<partition_offset>& positions) {
  for (const auto& po : positions)
    lower_to(lowest, po);
}

} // namespace

dead_letter_ledger::dead_letter_ledger(
    const std::vector<partition_offset>& replay_from) {
  for (const auto& po : replay_from)
    floor_[po.partition] = po.next_offset;
}

bool dead_letter_ledger::below_floor(int32_t partition, int64_t offset) const {
  auto it = floor_.find(partition);
  return it != floor_.end() && offset < it->second;
}

void dead_letter_ledger::found(int32_t partition, int64_t offset,
                               int32_t topic_partition, int64_t topic_offset) {
  if (below_floor(partition, offset))
    return;
  if (letters_[partition].emplace(offset, 0).second)
    ++size_;
  found_[partition][offset] = partition_offset{topic_partition, topic_offset};
}

bool dead_letter_ledger::admit(int32_t partition, int64_t offset) {
  if (below_floor(partition, offset))
    return false;
  if (!letters_[partition].emplace(offset, generation_).second)
    return false;
  ++size_;
  moved_ = true;
  return true;
}

void dead_letter_ledger::durable(const std::vector<partition_offset>& offsets) {
  for (const auto& po : offsets) {
    auto& floor = floor_[po.partition];
    floor = std::max(floor, po.next_offset);
    if (auto it = found_.find(po.partition); it != found_.end())
      it->second.erase(it->second.begin(), it->second.lower_bound(floor));
    auto it = letters_.find(po.partition);
    if (it == letters_.end())
      continue;
    auto& letters = it->second;
    auto end = letters.lower_bound(floor);
    size_ -= static_cast<size_t>(std::distance(letters.begin(), end));
    letters.erase(letters.begin(), end);
  }
}

void dead_letter_ledger::start_positions(std::vector<partition_offset> end) {
  positions_ = std::move(end);
  moved_ = false;
}

std::vector<partition_offset>
dead_letter_ledger::checkpoint(std::vector<partition_offset> end) {
  std::map<int32_t, int64_t> lowest;
  lower_to(lowest, positions_);
  // The oldest generation still preceding a remembered letter: end offsets
  // only grow, so it is the lowest of them.
  auto oldest = generation_;
  for (const auto& [partition, letters] : letters_)
    for (const auto& [offset, generation] : letters)
      if (generation != 0)
        oldest = std::min(oldest, generation);
  generations_.erase(generations_.begin(), generations_.lower_bound(oldest));
  if (auto it = generations_.find(oldest); it != generations_.end())
    lower_to(lowest, it->second);
  // Letters found at start may be of records after this checkpoint.
  for (const auto& [partition, letters] : found_)
    for (const auto& [offset, at] : letters)
      lower_to(lowest, at);
  std::vector<partition_offset> stored;
  for (const auto& [partition, offset] : lowest)
    stored.push_back(partition_offset{partition, offset});
  generations_[generation_] = std::move(positions_);
  ++generation_;
  positions_ = std::move(end);
  moved_ = false;
  return stored;
}

} // namespace vigil
