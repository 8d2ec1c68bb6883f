#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/messages.hpp"
#include "actors/sink/result_store.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

/// The SQLite schema of vigil (service_metrics, anomalies, incidents,
/// checkpoints, checkpoint_offsets) and its single writer's operations. Every
/// write of a result batch is one transaction; statements are prepared once.
class metrics_store final : public result_store {
public:
  metrics_store(metrics_store&&) noexcept = default;

  metrics_store& operator=(metrics_store&&) noexcept = default;

  /// Opens (creating if needed) the database at `path` as the writer,
  /// creates missing tables and adds columns that databases of older
  /// versions lack. A locked database gives a retryable error.
  static db_result<metrics_store>
  open(const std::string& path, int busy_timeout_ms = 1000,
       size_t keep_checkpoints = default_keep_checkpoints);

  /// Writes `batch` in ONE transaction (BEGIN IMMEDIATE); see
  /// `result_store::commit`. SQLITE_BUSY/LOCKED errors are retryable.
  db_status commit(const result_batch& batch, const std::string& topic,
                   int64_t now_ms, const std::string& dlq_topic = {}) override;

  db_result<std::optional<stored_checkpoint>>
  load_latest_checkpoint(const std::string& topic) override;

  /// The DDL of every migration in order (schemas/migrations/*.sql).
  static std::string schema();

  /// The schema version this build migrates databases to.
  static int64_t latest_version();

  db_result<int64_t> version() override;

  db_status use_kind(const kind_schema& kind) override;

  /// The writer connection.
  sqlite_db& db() noexcept {
    return db_;
  }

private:
  metrics_store() = default;

  db_status write_kind_rows(const result_batch& batch, int64_t now_ms);

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
  /// The upsert of the kind's table, with the number of its key columns
  /// (0: request rows go to service_metrics).
  statement upsert_kind_;
  size_t kind_keys_ = 0;
  size_t kind_values_ = 0;
};

} // namespace vigil
