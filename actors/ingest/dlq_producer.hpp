#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/messages.hpp"

namespace vigil {

class metric_factory;

// The Kafka headers of every dead letter (schemas/dead_letter.schema.json).

/// The reason the record was rejected (see invalid_reason).
constexpr const char* dead_letter_reason_header = "vigil.reason";

/// The record's partition of the events topic, decimal.
constexpr const char* dead_letter_partition_header = "vigil.source.partition";

/// The record's offset in that partition, decimal.
constexpr const char* dead_letter_offset_header = "vigil.source.offset";

/// Settings of the dead-letter producer.
struct dlq_producer_config {
  /// Bootstrap servers.
  std::string brokers;
  /// The dead-letter topic.
  std::string topic;
  /// Source offsets of the checkpoint the source resumes from: the records
  /// it replays start there.
  std::vector<partition_offset> replay_from;
  /// Positions of the dead-letter topic stored with that checkpoint; a
  /// partition without one is read from its beginning.
  std::vector<partition_offset> positions;
  /// Counts each acknowledged dead letter in
  /// `vigil_dead_letters_total{reason}` (if not null).
  std::shared_ptr<metric_factory> metrics;
};

/// Spawns the dead-letter producer: writes each rejected record to the
/// topic with its reason, source partition and offset as headers, each
/// (source partition, offset) once across restarts. At start it reads the
/// topic from the stored positions to its end and does not produce again
/// the letters of replayed records it finds there. `flush` waits until
/// every dead letter is acknowledged and replies with the count; `flush`
/// with a checkpoint id also replies the `dead_letter_positions` to store
/// with that checkpoint; `checkpoint_durable` lets it forget letters below
/// a durable checkpoint. Delivery reports are served at least every 100 ms
/// while dead letters are in flight. Runs on its own thread (flushes block).
caf::actor spawn_dlq_producer_actor(caf::actor_system& sys,
                                    dlq_producer_config settings);

} // namespace vigil
