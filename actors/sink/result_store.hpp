#pragma once

// The database the single writer commits to and a node resumes from: SQLite
// (`metrics_store`) or PostgreSQL (`pg_store`), chosen by `--db`. Kept free
// of CAF headers: the messages it takes are only declared here.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/db_error.hpp"

namespace vigil {

struct kind_schema;
struct partition_offset;
struct result_batch;

/// Part of the error of opening a database whose schema is newer than this
/// build knows (see `names_newer_schema`).
constexpr std::string_view newer_schema_text = "newer than this vigil knows";

/// True if `message` is the error of opening a database whose schema is newer
/// than this build knows.
inline bool names_newer_schema(std::string_view message) {
  return message.find(newer_schema_text) != std::string_view::npos;
}

/// The error of a database of schema version `found`, newer than `latest`.
db_error newer_schema_error(int64_t found, int64_t latest);

/// The latest durable checkpoint, as loaded on (re)start.
struct stored_checkpoint {
  /// Checkpoint id.
  uint64_t id = 0;
  /// When it was committed, epoch milliseconds.
  int64_t created_at = 0;
  /// Next offset per partition of the topic, from the latest checkpoint that
  /// covered each partition.
  std::vector<partition_offset> offsets;
  /// Serialized merger state.
  std::string merger_state;
  /// Serialized detector state.
  std::string detector_state;
  /// Serialized narrator state (empty in checkpoints of older versions).
  std::string narrator_state;
  /// Largest incident id stored (0 if none): a narrator without a usable
  /// state numbers new incidents after it.
  int64_t last_incident_id = 0;
};

/// vigil's schema (service_metrics, anomalies, incidents, checkpoints,
/// checkpoint_offsets, schema_version) and its single writer's operations.
class result_store {
public:
  /// Checkpoints kept by default; older ones are deleted on commit.
  static constexpr size_t default_keep_checkpoints = 3;

  virtual ~result_store() = default;

  /// Writes `batch` in ONE transaction: upserts its rows, anomalies and
  /// incidents and, if it closes a checkpoint, stores the checkpoint with its
  /// states, upserts the offsets of `topic` and, given a `dlq_topic`, the
  /// batch's dead-letter positions as offsets of `dlq_topic`. On any error
  /// nothing is written; errors that may pass (a lock, a lost connection)
  /// are retryable. Rows with `updated_at` 0 get `now_ms`; incidents with
  /// `ended_at` 0 are stored with a NULL `ended_at` (open).
  virtual db_status commit(const result_batch& batch, const std::string& topic,
                           int64_t now_ms, const std::string& dlq_topic)
      = 0;

  /// Loads the newest checkpoint with the offsets stored for `topic` and the
  /// largest incident id, or nullopt if there is no checkpoint.
  virtual db_result<std::optional<stored_checkpoint>>
  load_latest_checkpoint(const std::string& topic) = 0;

  /// The schema version of the open database (0: empty, 1: vigil's tables
  /// from before the version was recorded).
  virtual db_result<int64_t> version() = 0;

  /// Makes the store write window rows to the table of `kind` (an event
  /// kind other than request), created from its declaration if missing;
  /// called once before the first commit. Anomalies, incidents and
  /// checkpoints stay in vigil's own tables, in the same transaction.
  virtual db_status use_kind(const kind_schema& kind) = 0;
};

/// Opens the database `db` as its writer, a SQLite file path or a PostgreSQL
/// URL, and migrates it to the latest schema (refusing a newer one).
/// `busy_timeout_ms` is how long SQLite waits for a lock.
db_result<std::unique_ptr<result_store>>
open_result_store(const std::string& db, int busy_timeout_ms = 1000,
                  size_t keep_checkpoints
                  = result_store::default_keep_checkpoints);

} // namespace vigil
