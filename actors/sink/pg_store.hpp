#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/sink/result_store.hpp"
#include "runtime/pg.hpp"

namespace vigil {

/// How `pg_store` writes window rows.
enum class pg_write_mode {
  /// COPY into a temporary staging table, then one INSERT .. SELECT .. ON
  /// CONFLICT DO UPDATE (the default: measured faster, docs/performance.md).
  copy,
  /// Multi-row INSERT .. VALUES .. ON CONFLICT DO UPDATE statements.
  values,
};

/// vigil's schema on PostgreSQL (schemas/migrations/postgres/*.sql: times are
/// TIMESTAMPTZ, states BYTEA) and its single writer's operations. Every
/// commit is one transaction; a lost connection is retryable and the next
/// commit connects again.
class pg_store final : public result_store {
public:
  /// Connects to `url` as the writer and migrates the database to
  /// `latest_version()` (refusing a newer one). Errors name the part of the
  /// URL to fix.
  static db_result<pg_store> open(const std::string& url,
                                  size_t keep_checkpoints
                                  = default_keep_checkpoints,
                                  pg_write_mode mode = pg_write_mode::copy);

  db_status commit(const result_batch& batch, const std::string& topic,
                   int64_t now_ms, const std::string& dlq_topic) override;

  db_result<std::optional<stored_checkpoint>>
  load_latest_checkpoint(const std::string& topic) override;

  db_result<int64_t> version() override;

  db_status use_kind(const kind_schema& kind) override;

  /// The DDL of every migration in order (schemas/migrations/postgres/).
  static std::string schema();

  /// The schema version this build migrates databases to.
  static int64_t latest_version();

  /// The writer connection.
  pg_connection& connection() noexcept {
    return conn_;
  }

private:
  pg_store() = default;

  /// Connects again if the connection was lost.
  db_status ensure_connected();

  db_status migrate();

  db_status write(const result_batch& batch, const std::string& topic,
                  int64_t now_ms, const std::string& dlq_topic);

  db_status write_rows_copy(const result_batch& batch, int64_t now_ms);

  db_status write_rows_values(const result_batch& batch, int64_t now_ms);

  db_status write_kind_rows(const result_batch& batch, int64_t now_ms);

  db_status write_anomalies(const result_batch& batch, int64_t now_ms);

  db_status write_incidents(const result_batch& batch);

  std::string url_;
  pg_connection conn_;
  /// The kind's table statements (empty: request rows to service_metrics).
  std::vector<std::string> kind_ddl_;
  std::string kind_upsert_;
  size_t kind_keys_ = 0;
  size_t kind_values_ = 0;
  size_t keep_checkpoints_ = default_keep_checkpoints;
  pg_write_mode mode_ = pg_write_mode::copy;
  /// The staging table of `pg_write_mode::copy` exists on `conn_`.
  bool staging_ready_ = false;
};

} // namespace vigil
