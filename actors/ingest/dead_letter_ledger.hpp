#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <vector>

#include "actors/messages.hpp"

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
/// It also keeps the topic positions each checkpoint stores, which precede
/// every dead letter on the topic of a record at or after the checkpoint's
/// offsets. The end offsets taken at each flush (and at start) precede every
/// letter produced later; a checkpoint stores the oldest of them that
/// precedes a letter it still remembers (no durable checkpoint covers it
/// yet), lowered to the position of every such letter found at start: an
/// earlier, killed incarnation, or a source restarted inside the process,
/// may have dead-lettered records beyond this checkpoint's offsets.
class dead_letter_ledger {
public:
  /// A ledger for a source that replays from `replay_from` (next offset by
  /// source partition; a partition absent replays from its beginning).
  explicit dead_letter_ledger(const std::vector<partition_offset>& replay_from
                              = {});

  /// A dead letter of (partition, offset) found on the topic at
  /// (`topic_partition`, `topic_offset`); remembered if its record is
  /// replayed.
  void found(int32_t partition, int64_t offset, int32_t topic_partition,
             int64_t topic_offset);

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

  /// The end offsets taken last (at start or at the last flush).
  const std::vector<partition_offset>& positions() const noexcept {
    return positions_;
  }

private:
  bool below_floor(int32_t partition, int64_t offset) const;

  /// Least offset a source may still replay, by partition.
  std::map<int32_t, int64_t> floor_;
  /// Offsets with a dead letter on the topic, by partition, each with the
  /// generation of end offsets taken before it was produced (0: found).
  std::map<int32_t, std::map<int64_t, uint64_t>> letters_;
  /// Where the letters found at start are: topic (partition, offset) by
  /// source partition and offset.
  std::map<int32_t, std::map<int64_t, partition_offset>> found_;
  size_t size_ = 0;
  /// The end offsets taken last, generation `generation_`.
  std::vector<partition_offset> positions_;
  uint64_t generation_ = 1;
  /// Earlier generations still preceding a remembered letter.
  std::map<uint64_t, std::vector<partition_offset>> generations_;
  bool moved_ = false;
};

} // namespace vigil
