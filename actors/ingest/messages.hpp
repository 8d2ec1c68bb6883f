#pragma once

// Messages of the ingest stage (kafka_source, partition_task, dlq_producer).
// Every type id is announced in actors/messages.hpp.
//
// Contract:
// - kafka_source -> partition_task: `record_batch`, then `partition_barrier`
//   behind the last batch before a checkpoint, and `partition_end`; the task
//   answers each batch with `(atom::ack, partition, epoch, batches)` to
//   return its credit (batches > 1 when an ingest node combined them).
// - merger -> partition_task: `watermark_update` after the combined watermark
//   moved, so that tasks classify late events.
// - partition_task -> dlq_producer: `dead_letter_batch`; at a checkpoint the
//   database writer asks `atom::flush` and gets `dead_letter_positions`.
// - db_writer -> kafka_source: `checkpoint_durable` once a checkpoint is
//   committed, so that the source commits its offsets to Kafka.
// Messages of one incarnation of the source carry its `epoch`: after a
// rollback the stages downstream drop what an earlier incarnation sent.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

namespace vigil {

/// A batch of raw Kafka records of one partition, in offset order. Payloads
/// are packed into one buffer to keep a batch one allocation.
struct record_batch {
  /// Kafka partition the records come from.
  int32_t partition = 0;
  /// Incarnation of the source that read the records (see rollback).
  uint64_t epoch = 0;
  /// Offset of each record, strictly increasing.
  std::vector<int64_t> offsets;
  /// End position of each record's payload in `bytes` (begin is the previous
  /// end, or 0).
  std::vector<uint32_t> ends;
  /// The concatenated payloads.
  std::string bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  return f(caf::meta::type_name("record_batch"), x.partition, x.epoch,
           x.offsets, x.ends, x.bytes);
}

/// The source reached the end of a partition's log (or, in drain mode, the end
/// offset seen at start).
struct partition_end {
  /// The partition.
  int32_t partition = 0;
  /// The next offset to read.
  int64_t next_offset = 0;
  /// True in drain mode: the partition delivers nothing more.
  bool finished = false;
  /// Incarnation of the source that sent it.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_end& x) {
  return f(caf::meta::type_name("partition_end"), x.partition, x.next_offset,
           x.finished, x.epoch);
}

/// A checkpoint barrier for one partition, sent by the source behind the last
/// batch before the barrier.
struct partition_barrier {
  /// The checkpoint this barrier belongs to.
  uint64_t checkpoint = 0;
  /// The partition.
  int32_t partition = 0;
  /// The next offset to read after the barrier: recovery starts here.
  int64_t next_offset = 0;
  /// Incarnation of the source that sent it.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_barrier& x) {
  return f(caf::meta::type_name("partition_barrier"), x.checkpoint, x.partition,
           x.next_offset, x.epoch);
}

/// The merger's combined watermark, broadcast to tasks so that they classify
/// events that are too late.
struct watermark_update {
  /// Combined watermark, epoch milliseconds.
  int64_t watermark = INT64_MIN;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watermark_update& x) {
  return f(caf::meta::type_name("watermark_update"), x.watermark);
}

/// One record rejected by a partition task, for the dead-letter topic.
struct dead_letter {
  /// Source partition.
  int32_t partition = 0;
  /// Source offset.
  int64_t offset = 0;
  /// Stable reason name (see invalid_reason), sent as a header.
  std::string reason;
  /// The original payload (truncated to the producer's limit).
  std::string payload;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dead_letter& x) {
  return f(caf::meta::type_name("dead_letter"), x.partition, x.offset, x.reason,
           x.payload);
}

/// A batch of dead letters.
struct dead_letter_batch {
  /// The rejected records.
  std::vector<dead_letter> letters;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dead_letter_batch& x) {
  return f(caf::meta::type_name("dead_letter_batch"), x.letters);
}

/// The next offset of one partition, as stored with a checkpoint.
struct partition_offset {
  int32_t partition = 0;
  int64_t next_offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_offset& x) {
  return f(caf::meta::type_name("partition_offset"), x.partition,
           x.next_offset);
}

/// The dead-letter producer's reply to a checkpoint's flush: every dead
/// letter sent to it before is acknowledged by the broker, and these are the
/// positions of the dead-letter topic to store with the checkpoint.
struct dead_letter_positions {
  /// Offset by partition of the dead-letter topic.
  std::vector<partition_offset> positions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        dead_letter_positions& x) {
  return f(caf::meta::type_name("dead_letter_positions"), x.positions);
}

/// The database writer made a checkpoint durable.
struct checkpoint_durable {
  /// The checkpoint.
  uint64_t checkpoint = 0;
  /// The offsets it stored, to commit to Kafka.
  std::vector<partition_offset> offsets;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_durable& x) {
  return f(caf::meta::type_name("checkpoint_durable"), x.checkpoint, x.offsets);
}

} // namespace vigil
