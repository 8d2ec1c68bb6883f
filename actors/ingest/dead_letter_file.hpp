#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/ingest/messages.hpp"

namespace vigil {

class metric_factory;

/// Settings of the dead-letter file.
struct dead_letter_file_config {
  /// The file, JSON lines (by default the input's path + ".dead.jsonl").
  std::string path;
  /// Virtual partitions of the file source (for each letter's record index).
  int32_t partitions = 1;
  /// Source offsets of the checkpoint the source resumes from.
  std::vector<partition_offset> replay_from;
  /// Counts each written dead letter in `vigil_dead_letters_total{reason}`
  /// (if not null).
  std::shared_ptr<metric_factory> metrics;
};

/// One line of the dead-letter file: {"partition":P,"offset":O,"record":K,
/// "reason":"...","payload":"..."} where K = O * partitions + P is the
/// record's index among the input's non-empty lines (0-based).
std::string dead_letter_line(const dead_letter& letter, int32_t partitions);

/// Reads the partition and offset of a line written by `dead_letter_line`;
/// false if the line is not one (e.g. cut short by a crash).
bool parse_dead_letter_line(const std::string& line, int32_t& partition,
                            int64_t& offset);

/// Spawns the dead letters of the file source without a broker: the
/// dead-letter producer's protocol (`dead_letter_batch`, `atom::flush`,
/// `(atom::flush, checkpoint)` answered with empty positions, and
/// `checkpoint_durable`), each (partition, offset) once across restarts. At
/// start it keeps only the letters in the file whose records lie below the
/// checkpoint's offsets (the source reads the others again and they come
/// back); a flush writes the file through to disk (fdatasync) before the
/// checkpoint commits. Runs on its own thread.
caf::actor spawn_dead_letter_file_actor(caf::actor_system& sys,
                                        dead_letter_file_config settings);

} // namespace vigil
