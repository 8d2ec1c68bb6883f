#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/messages.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

/// Part of the error of opening a database whose schema is newer than this
/// build knows (see `names_newer_schema`).
constexpr std::string_view newer_schema_text = "newer than this vigil knows";

/// True if `message` is the error of opening a database whose schema is newer
/// than this build knows.
inline bool names_newer_schema(std::string_view message) {
  return message.find(newer_schema_text) != std::string_view::npos;
}

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

/// The SQLite schema of vigil (service_metrics, anomalies, incidents,
/// checkpoints, checkpoint_offsets) and its single writer's operations. Every
/// write of a result batch is one transaction; statements are prepared once.
class metrics_store {
public:
  /// Checkpoints kept by default; older ones are deleted on commit.
  static constexpr size_t default_keep_checkpoints = 3;

  metrics_store(metrics_store&&) noexcept = default;

  metrics_store& operator=(metrics_store&&) noexcept = default;

  /// Opens (creating if needed) the database at `path` as the writer,
  /// creates missing tables and adds columns that databases of older
  /// versions lack. A locked database gives a retryable error.
  static db_result<metrics_store>
  open(const std::string& path, int busy_timeout_ms = 1000,
       size_t keep_checkpoints = default_keep_checkpoints);

  /// Writes `batch` in ONE transaction (BEGIN IMMEDIATE): upserts its rows,
  /// anomalies and incidents and, if it closes a checkpoint, stores the
  /// checkpoint with its states, upserts the offsets of `topic` and, given a
  /// `dlq_topic`, the batch's dead-letter positions as offsets of
  /// `dlq_topic`. On any error the transaction is rolled back;
  /// SQLITE_BUSY/LOCKED errors are retryable. Rows with `updated_at` 0 get
  /// `now_ms`; incidents with `ended_at` 0 are stored with a NULL `ended_at`
  /// (open).
  db_status commit(const result_batch& batch, const std::string& topic,
                   int64_t now_ms, const std::string& dlq_topic = {});

  /// Loads the newest checkpoint with the offsets stored for `topic` and the
  /// largest incident id, or nullopt if there is no checkpoint.
  db_result<std::optional<stored_checkpoint>>
  load_latest_checkpoint(const std::string& topic);

  /// The DDL of every migration in order (schemas/migrations/*.sql).
  static std::string schema();

  /// The schema version this build migrates databases to.
  static int64_t latest_version();

  /// The schema version of the open database (0: empty, 1: vigil's tables
  /// from before the version was recorded).
  db_result<int64_t> version();

  /// The writer connection.
  sqlite_db& db() noexcept {
    return db_;
  }

private:
  metrics_store() = default;

  db_status write(const result_batch& batch, const std::string& topic,
                  int64_t now_ms, const std::string& dlq_topic);

  db_status upsert_offsets(const std::vector<partition_offset>& offsets,
                           const std::string& topic, int64_t checkpoint);

  /// Brings the database to `latest_version()` (refusing a newer one).
  db_status migrate();

  /// Applies the migrations after the current version; inside a write
  /// transaction.
  db_status apply_migrations();

  /// Adds columns that databases from before version 1 lack.
  db_status add_columns();

  // Declared first: destroyed after the statements that use it.
  sqlite_db db_;
  size_t keep_checkpoints_ = default_keep_checkpoints;
  statement upsert_row_;
  statement upsert_anomaly_;
  statement upsert_incident_;
  statement upsert_checkpoint_;
  statement upsert_offset_;
  statement prune_checkpoints_;
  statement select_latest_;
  statement select_offsets_;
  statement select_last_incident_;
};

} // namespace vigil
