#include "actors/ingest/partial_coalescer.hpp"

#include <algorithm>

namespace vigil {

partial_coalescer::partial_coalescer(uint32_t max_batches)
    : max_batches_(std::max<uint32_t>(1, max_batches)) {
  // nop
}

bool partial_coalescer::add(partial_batch&& batch) {
  auto covers = std::max<uint32_t>(1, batch.batches);
  if (held_ == 0) {
    pending_ = std::move(batch);
    held_ = covers;
    index_.clear();
    for (size_t i = 0; i < pending_.partials.size(); ++i)
      index_.emplace(std::make_pair(pending_.partials[i].key,
                                    pending_.partials[i].window_start),
                     i);
    return held_ >= max_batches_;
  }
  pending_.next_offset = std::max(pending_.next_offset, batch.next_offset);
  pending_.max_event_time
      = std::max(pending_.max_event_time, batch.max_event_time);
  for (auto& partial : batch.partials) {
    auto key = std::make_pair(partial.key, partial.window_start);
    auto it = index_.find(key);
    if (it == index_.end()) {
      index_.emplace(std::move(key), pending_.partials.size());
      pending_.partials.push_back(std::move(partial));
    } else {
      pending_.partials[it->second].aggregate.merge(partial.aggregate);
    }
  }
  pending_.counters.merge(batch.counters);
  held_ += covers;
  return held_ >= max_batches_;
}

partial_batch partial_coalescer::take() {
  partial_batch out = std::move(pending_);
  out.batches = held_;
  pending_ = partial_batch{};
  held_ = 0;
  index_.clear();
  return out;
}

} // namespace vigil
