#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include "actors/aggregate/messages.hpp"

namespace vigil {

/// Combines the partial batches of consecutive record batches of one
/// partition into one, so that a store receives one message (and one sketch
/// per service and window) per several batches instead of one per batch.
///
/// The combined batch is what the merger would hold after receiving the
/// batches one by one: window partials of the same key and window merged
/// (counts and sums add, sketches merge exactly), counters added, the
/// newest offset and the largest event time kept, and `batches` the number
/// of record batches it covers (the merger acknowledges each of them, so the
/// source's credit accounting is unchanged). Only batches of one epoch
/// combine: the caller flushes before adding a batch of another epoch.
///
/// The caller flushes when add() says the batch is full, before forwarding a
/// barrier or a partition end (so that the checkpoint or the end covers
/// everything before it), and before a batch of another epoch.
class partial_coalescer {
public:
  /// `max_batches`: flush after this many record batches (1: every batch
  /// on its own, as without coalescing). Keep it at most half the credit, so
  /// that the batches held here never use up the source's credit.
  explicit partial_coalescer(uint32_t max_batches);

  /// True if nothing is held.
  bool empty() const noexcept {
    return held_ == 0;
  }

  /// Epoch of the held batches (meaningful only if !empty()).
  uint64_t epoch() const noexcept {
    return pending_.epoch;
  }

  /// Adds one record batch's partials (of the held epoch, or any if
  /// empty). Returns true if the held batch is full and must be flushed.
  bool add(partial_batch&& batch);

  /// Hands out the combined batch and starts over empty.
  partial_batch take();

private:
  uint32_t max_batches_;
  uint32_t held_ = 0;
  partial_batch pending_;
  /// (key, window start) -> index into pending_.partials.
  std::map<std::pair<std::string, int64_t>, size_t> index_;
};

} // namespace vigil
