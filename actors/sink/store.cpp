#include "actors/sink/store.hpp"

#include "sqlite_migrations.hpp"

#include <iterator>

#include "runtime/event_kind.hpp"
#include <utility>

namespace vigil {

namespace {

// The migrations are schemas/migrations/*.sql themselves, embedded at build
// time: sqlite_migrations[i] takes a database from version i to i + 1.
constexpr size_t latest_schema_version = std::size(sqlite_migrations);

constexpr std::string_view upsert_row_sql = R"sql(
INSERT INTO service_metrics (service, window_start, window_end, request_count,
  error_count, error_rate, avg_latency_ms, p50_latency_ms, p95_latency_ms,
  p99_latency_ms, max_latency_ms, late_count, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
ON CONFLICT (service, window_start) DO UPDATE SET
  window_end = excluded.window_end,
  request_count = excluded.request_count,
  error_count = excluded.error_count,
  error_rate = excluded.error_rate,
  avg_latency_ms = excluded.avg_latency_ms,
  p50_latency_ms = excluded.p50_latency_ms,
  p95_latency_ms = excluded.p95_latency_ms,
  p99_latency_ms = excluded.p99_latency_ms,
  max_latency_ms = excluded.max_latency_ms,
  late_count = excluded.late_count,
  updated_at = excluded.updated_at)sql";

// A replayed anomaly keeps the time it was first detected.
constexpr std::string_view upsert_anomaly_sql = R"sql(
INSERT INTO anomalies (service, window_start, metric, observed, expected,
  score, severity, detector, detected_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
ON CONFLICT (service, window_start, metric) DO UPDATE SET
  observed = excluded.observed,
  expected = excluded.expected,
  score = excluded.score,
  severity = excluded.severity,
  detector = excluded.detector)sql";

constexpr std::string_view upsert_incident_sql = R"sql(
INSERT INTO incidents (id, service, started_at, ended_at, severity,
  anomaly_count, summary)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
ON CONFLICT (id) DO UPDATE SET
  service = excluded.service,
  started_at = excluded.started_at,
  ended_at = excluded.ended_at,
  severity = excluded.severity,
  anomaly_count = excluded.anomaly_count,
  summary = excluded.summary)sql";

constexpr std::string_view upsert_checkpoint_sql = R"sql(
INSERT INTO checkpoints (id, created_at, merger_state, detector_state,
  narrator_state)
VALUES (?1, ?2, ?3, ?4, ?5)
ON CONFLICT (id) DO UPDATE SET
  created_at = excluded.created_at,
  merger_state = excluded.merger_state,
  detector_state = excluded.detector_state,
  narrator_state = excluded.narrator_state)sql";

constexpr std::string_view upsert_offset_sql = R"sql(
INSERT INTO checkpoint_offsets (topic, partition, next_offset, checkpoint)
VALUES (?1, ?2, ?3, ?4)
ON CONFLICT (topic, partition) DO UPDATE SET
  next_offset = excluded.next_offset,
  checkpoint = excluded.checkpoint)sql";

constexpr std::string_view prune_checkpoints_sql = R"sql(
DELETE FROM checkpoints WHERE id NOT IN
  (SELECT id FROM checkpoints ORDER BY id DESC LIMIT ?1))sql";

constexpr std::string_view select_latest_sql = R"sql(
SELECT id, created_at, merger_state, detector_state, narrator_state
FROM checkpoints ORDER BY id DESC LIMIT 1)sql";

constexpr std::string_view select_offsets_sql = R"sql(
SELECT partition, next_offset FROM checkpoint_offsets
WHERE topic = ?1 ORDER BY partition)sql";

constexpr std::string_view select_last_incident_sql
    = "SELECT coalesce(max(id), 0) FROM incidents";

/// Columns added after the first release: (table, column, type).
constexpr std::string_view added_columns[][3] = {
    {"checkpoints", "narrator_state", "BLOB"},
};

} // namespace

std::string metrics_store::schema() {
  std::string ddl;
  for (auto sql : sqlite_migrations)
    ddl += sql;
  return ddl;
}

int64_t metrics_store::latest_version() {
  return static_cast<int64_t>(latest_schema_version);
}

db_result<metrics_store> metrics_store::open(const std::string& path,
                                             int busy_timeout_ms,
                                             size_t keep_checkpoints) {
  auto db
      = sqlite_db::open(path, open_mode::read_write_create, busy_timeout_ms);
  if (!db)
    return db.error();
  metrics_store store;
  store.db_ = std::move(*db);
  store.keep_checkpoints_ = keep_checkpoints > 0 ? keep_checkpoints : 1;
  if (auto st = store.migrate(); !st)
    return st.error();
  std::pair<statement*, std::string_view> statements[] = {
      {&store.upsert_row_, upsert_row_sql},
      {&store.upsert_anomaly_, upsert_anomaly_sql},
      {&store.upsert_incident_, upsert_incident_sql},
      {&store.upsert_checkpoint_, upsert_checkpoint_sql},
      {&store.upsert_offset_, upsert_offset_sql},
      {&store.prune_checkpoints_, prune_checkpoints_sql},
      {&store.select_latest_, select_latest_sql},
      {&store.select_offsets_, select_offsets_sql},
      {&store.select_last_incident_, select_last_incident_sql},
  };
  for (auto& [target, sql] : statements) {
    auto prepared = store.db_.prepare(sql);
    if (!prepared)
      return prepared.error();
    *target = std::move(*prepared);
  }
  return store;
}

db_result<int64_t> metrics_store::version() {
  auto has_table = [this](const char* name) -> db_result<bool> {
    auto st = db_.prepare("SELECT count(*) FROM sqlite_master WHERE type = "
                          "'table' AND name = ?1");
    if (!st)
      return st.error();
    st->bind(1, std::string{name});
    if (st->step() != step_result::row)
      return st->error();
    return st->column_int64(0) > 0;
  };
  auto versioned = has_table("schema_version");
  if (!versioned)
    return versioned.error();
  if (!*versioned) {
    // Before version 2 the database did not record its version: version 1
    // if it holds vigil's tables, else a new database.
    auto initial = has_table("service_metrics");
    if (!initial)
      return initial.error();
    return *initial ? int64_t{1} : int64_t{0};
  }
  auto st = db_.prepare("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!st)
    return st.error();
  if (st->step() != step_result::row)
    return st->error();
  return st->column_int64(0);
}

db_status metrics_store::migrate() {
  auto current = version();
  if (!current)
    return current.error();
  if (*current > latest_version())
    return newer_schema_error(*current, latest_version());
  if (*current < latest_version()) {
    if (auto st = db_.begin_immediate(); !st)
      return st;
    // Another process may have migrated it meanwhile: read it again under
    // the write lock.
    auto st = apply_migrations();
    if (!st) {
      (void)db_.rollback();
      return st;
    }
    if (auto done = db_.commit(); !done)
      return done;
  }
  return add_columns();
}

db_status metrics_store::apply_migrations() {
  auto current = version();
  if (!current)
    return current.error();
  for (auto v = *current; v < latest_version(); ++v) {
    auto sql = std::string{sqlite_migrations[v]};
    if (auto st = db_.exec(sql); !st)
      return st;
    if (v + 1 >= 2) {
      auto stamp = "DELETE FROM schema_version; INSERT INTO schema_version "
                   "(version) VALUES ("
                   + std::to_string(v + 1) + ")";
      if (auto st = db_.exec(stamp); !st)
        return st;
    }
  }
  return {};
}

db_status metrics_store::add_columns() {
  for (const auto& [table, column, type] : added_columns) {
    auto info = db_.prepare("SELECT count(*) FROM pragma_table_info('"
                            + std::string{table} + "') WHERE name = '"
                            + std::string{column} + "'");
    if (!info)
      return info.error();
    if (info->step() != step_result::row)
      return info->error();
    auto present = info->column_int64(0) > 0;
    info->reset();
    if (present)
      continue;
    auto sql = "ALTER TABLE " + std::string{table} + " ADD COLUMN "
               + std::string{column} + " " + std::string{type};
    if (auto st = db_.exec(sql); !st)
      return st;
  }
  return {};
}

db_status metrics_store::commit(const result_batch& batch,
                                const std::string& topic, int64_t now_ms,
                                const std::string& dlq_topic) {
  if (auto st = db_.begin_immediate(); !st)
    return st;
  auto st = write(batch, topic, now_ms, dlq_topic);
  if (st)
    st = db_.commit();
  if (!st) {
    // A failed COMMIT (e.g. busy) leaves the transaction open.
    static_cast<void>(db_.rollback());
  }
  return st;
}

db_status metrics_store::use_kind(const kind_schema& kind) {
  for (const auto& sql : kind_table_ddl(kind, sql_dialect::sqlite))
    if (auto st = db_.exec(sql); !st)
      return st;
  auto prepared = db_.prepare(kind_upsert_sql(kind, sql_dialect::sqlite));
  if (!prepared)
    return prepared.error();
  upsert_kind_ = std::move(*prepared);
  kind_keys_ = kind.keys.size();
  kind_values_ = kind.value_columns().size();
  return {};
}

db_status metrics_store::write_kind_rows(const result_batch& batch,
                                         int64_t now_ms) {
  for (const auto& row : batch.rows) {
    auto keys = split_key(row.service, kind_keys_);
    int idx = 1;
    for (const auto& key : keys)
      upsert_kind_.bind(idx++, std::string_view{key});
    for (int64_t v :
         {row.window_start, row.window_end, row.request_count, row.late_count})
      upsert_kind_.bind(idx++, v);
    for (size_t i = 0; i < kind_values_; ++i)
      upsert_kind_.bind(idx++, i < row.values.size() ? row.values[i] : 0.0);
    upsert_kind_.bind(idx, row.updated_at != 0 ? row.updated_at : now_ms);
    if (auto st = upsert_kind_.run(); !st)
      return st;
  }
  return {};
}

db_status metrics_store::write(const result_batch& batch,
                               const std::string& topic, int64_t now_ms,
                               const std::string& dlq_topic) {
  if (kind_keys_ > 0) {
    if (auto st = write_kind_rows(batch, now_ms); !st)
      return st;
  }
  for (const auto& row : batch.rows) {
    if (kind_keys_ > 0)
      break;
    upsert_row_.bind(1, std::string_view{row.service})
        .bind(2, row.window_start)
        .bind(3, row.window_end)
        .bind(4, row.request_count)
        .bind(5, row.error_count)
        .bind(6, row.error_rate)
        .bind(7, row.avg_latency_ms)
        .bind(8, row.p50_latency_ms)
        .bind(9, row.p95_latency_ms)
        .bind(10, row.p99_latency_ms)
        .bind(11, row.max_latency_ms)
        .bind(12, row.late_count)
        .bind(13, row.updated_at != 0 ? row.updated_at : now_ms);
    if (auto st = upsert_row_.run(); !st)
      return st;
  }
  for (const auto& anomaly : batch.anomalies) {
    upsert_anomaly_.bind(1, std::string_view{anomaly.service})
        .bind(2, anomaly.window_start)
        .bind(3, std::string_view{anomaly.metric})
        .bind(4, anomaly.observed)
        .bind(5, anomaly.expected)
        .bind(6, anomaly.score)
        .bind(7, std::string_view{anomaly.severity})
        .bind(8, std::string_view{anomaly.detector})
        .bind(9, anomaly.detected_at != 0 ? anomaly.detected_at : now_ms);
    if (auto st = upsert_anomaly_.run(); !st)
      return st;
  }
  for (const auto& incident : batch.incidents) {
    upsert_incident_.bind(1, incident.id)
        .bind(2, std::string_view{incident.service})
        .bind(3, incident.started_at);
    if (incident.ended_at != 0)
      upsert_incident_.bind(4, incident.ended_at);
    else
      upsert_incident_.bind(4, nullptr);
    upsert_incident_.bind(5, std::string_view{incident.severity})
        .bind(6, incident.anomaly_count)
        .bind(7, std::string_view{incident.summary});
    if (auto st = upsert_incident_.run(); !st)
      return st;
  }
  if (batch.checkpoint == 0)
    return {};
  auto id = static_cast<int64_t>(batch.checkpoint);
  upsert_checkpoint_.bind(1, id)
      .bind(2, now_ms)
      .bind_blob(3, batch.merger_state)
      .bind_blob(4, batch.detector_state)
      .bind_blob(5, batch.narrator_state);
  if (auto st = upsert_checkpoint_.run(); !st)
    return st;
  if (auto st = upsert_offsets(batch.offsets, topic, id); !st)
    return st;
  if (!dlq_topic.empty())
    if (auto st = upsert_offsets(batch.dead_letter_positions, dlq_topic, id);
        !st)
      return st;
  prune_checkpoints_.bind(1, static_cast<int64_t>(keep_checkpoints_));
  return prune_checkpoints_.run();
}

db_status
metrics_store::upsert_offsets(const std::vector<partition_offset>& offsets,
                              const std::string& topic, int64_t checkpoint) {
  for (const auto& offset : offsets) {
    upsert_offset_.bind(1, std::string_view{topic})
        .bind(2, offset.partition)
        .bind(3, offset.next_offset)
        .bind(4, checkpoint);
    if (auto st = upsert_offset_.run(); !st)
      return st;
  }
  return {};
}

db_result<std::optional<stored_checkpoint>>
metrics_store::load_latest_checkpoint(const std::string& topic) {
  std::optional<stored_checkpoint> result;
  switch (select_latest_.step()) {
  case step_result::error: {
    auto err = select_latest_.error();
    select_latest_.reset();
    return err;
  }
  case step_result::done:
    select_latest_.reset();
    return result;
  case step_result::row:
    break;
  }
  result.emplace();
  result->id = static_cast<uint64_t>(select_latest_.column_int64(0));
  result->created_at = select_latest_.column_int64(1);
  result->merger_state = select_latest_.column_blob(2);
  result->detector_state = select_latest_.column_blob(3);
  result->narrator_state = select_latest_.column_blob(4);
  select_latest_.reset();
  auto step = select_last_incident_.step();
  if (step == step_result::error) {
    auto err = select_last_incident_.error();
    select_last_incident_.reset();
    return err;
  }
  if (step == step_result::row)
    result->last_incident_id = select_last_incident_.column_int64(0);
  select_last_incident_.reset();
  select_offsets_.bind(1, std::string_view{topic});
  for (;;) {
    auto step = select_offsets_.step();
    if (step == step_result::done)
      break;
    if (step == step_result::error) {
      auto err = select_offsets_.error();
      select_offsets_.reset();
      return err;
    }
    partition_offset offset;
    offset.partition = static_cast<int32_t>(select_offsets_.column_int64(0));
    offset.next_offset = select_offsets_.column_int64(1);
    result->offsets.push_back(offset);
  }
  select_offsets_.reset();
  return result;
}

} // namespace vigil
