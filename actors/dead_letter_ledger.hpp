#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <vector>

#include "runtime/messages.hpp"

namespace vigil {

/// The dead-letter producer's bookkeeping for exactly-once dead letters.
///
/// A source restarting from a checkpoint re-validates the records after it,
/// and would dead-letter the invalid ones again. The ledger knows which
/// (source partition, source offset) already have a dead letter on the
/// topic: the ones found there at start (read from the positions stored with
/// the checkpoint) and the ones produced since. It forgets letters below a
/// durable checkpoint, which no source replays again.
///
/// It also keeps the topic positions each checkpoint stores: the end offsets
/// taken at the previous checkpoint's flush (or at start), which precede
/// every dead letter of a record read after the checkpoint's barrier.
class dead_letter_ledger {
public:
  /// A ledger for a source that replays from `replay_from` (next offset by
  /// source partition; a partition absent replays from its beginning).
  explicit dead_letter_ledger(const std::vector<partition_offset>& replay_from
                              = {});

  /// A dead letter found on the topic; remembered if its record is replayed.
  void found(int32_t partition, int64_t offset);

  /// Whether the dead letter of (partition, offset) must be produced: false
  /// if it is on the topic already or its record lies below a durable
  /// checkpoint. Remembers it.
  bool admit(int32_t partition, int64_t offset);

  /// A checkpoint with these source offsets is durable: letters below them
  /// are forgotten (no source replays them again).
  void durable(const std::vector<partition_offset>& offsets);

  /// Dead letters remembered.
  size_t size() const noexcept {
    return size_;
  }

  /// Sets the topic's end offsets at start.
  void start_positions(std::vector<partition_offset> end);

  /// Whether letters were admitted since the positions were last taken (if
  /// not, the last positions still hold and need no broker round trip).
  bool moved() const noexcept {
    return moved_;
  }

  /// A checkpoint's flush: returns the positions to store with it and keeps
  /// `end`, the topic's end offsets after the flush, for the next one.
  std::vector<partition_offset> checkpoint(std::vector<partition_offset> end);

  /// The positions the next checkpoint stores.
  const std::vector<partition_offset>& positions() const noexcept {
    return positions_;
  }

private:
  bool below_floor(int32_t partition, int64_t offset) const;

  /// Least offset a source may still replay, by partition.
  std::map<int32_t, int64_t> floor_;
  /// Offsets with a dead letter on the topic, by partition.
  std::map<int32_t, std::set<int64_t>> letters_;
  size_t size_ = 0;
  std::vector<partition_offset> positions_;
  bool moved_ = false;
};

} // namespace vigil
