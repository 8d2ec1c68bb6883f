#include "actors/sink/pg_store.hpp"

#include "runtime/event_kind.hpp"

#include "postgres_migrations.hpp"

#include <array>
#include <cstdio>
#include <iterator>
#include <map>
#include <utility>

#include "actors/messages.hpp"

namespace vigil {

namespace {

constexpr size_t latest_schema_version = std::size(postgres_migrations);

/// Serializes migrations of concurrent writers (pg_advisory_xact_lock key).
constexpr const char* migration_lock = "SELECT pg_advisory_xact_lock(7363)";

/// Rows per multi-row statement (13 parameters each, under the 65535 limit).
constexpr size_t rows_per_statement = 1000;

/// The SQL that turns the epoch-milliseconds parameter `$n` into a
/// TIMESTAMPTZ, exactly.
std::string ts(int n) {
  return "('epoch'::timestamptz + $" + std::to_string(n)
         + "::bigint * interval '1 millisecond')";
}

/// The SQL that turns the epoch-milliseconds column `col` into a TIMESTAMPTZ.
std::string ts_col(const std::string& col) {
  return "('epoch'::timestamptz + " + col + " * interval '1 millisecond')";
}

constexpr const char* metrics_conflict = R"sql(
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

constexpr const char* metrics_columns
    = "service, window_start, window_end, request_count, error_count, "
      "error_rate, avg_latency_ms, p50_latency_ms, p95_latency_ms, "
      "p99_latency_ms, max_latency_ms, late_count, updated_at";

constexpr const char* create_staging = R"sql(
CREATE TEMP TABLE IF NOT EXISTS vigil_staging_metrics (
  service TEXT, window_start BIGINT, window_end BIGINT, request_count BIGINT,
  error_count BIGINT, error_rate DOUBLE PRECISION,
  avg_latency_ms DOUBLE PRECISION, p50_latency_ms DOUBLE PRECISION,
  p95_latency_ms DOUBLE PRECISION, p99_latency_ms DOUBLE PRECISION,
  max_latency_ms DOUBLE PRECISION, late_count BIGINT, updated_at BIGINT
) ON COMMIT DELETE ROWS)sql";

void append_int(std::string& out, int64_t v) {
  out += std::to_string(v);
}

void append_double(std::string& out, double v) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.17g", v);
  out += buf.data();
}

/// `($k, ts($k+1), ...)` placeholders of one row: `types[i]` is 't' for a
/// time column, anything else for a plain one.
std::string placeholders(int first, std::string_view types) {
  std::string out = "(";
  for (size_t i = 0; i < types.size(); ++i) {
    if (i > 0)
      out += ", ";
    auto n = first + static_cast<int>(i);
    out += types[i] == 't' ? ts(n) : "$" + std::to_string(n);
  }
  return out + ")";
}

} // namespace

std::string pg_store::schema() {
  std::string ddl;
  for (auto sql : postgres_migrations)
    ddl += sql;
  return ddl;
}

int64_t pg_store::latest_version() {
  return static_cast<int64_t>(latest_schema_version);
}

db_result<pg_store> pg_store::open(const std::string& url,
                                   size_t keep_checkpoints,
                                   pg_write_mode mode) {
  auto conn = pg_connection::connect(url);
  if (!conn)
    return conn.error();
  pg_store store;
  store.url_ = url;
  store.conn_ = std::move(*conn);
  store.keep_checkpoints_ = keep_checkpoints > 0 ? keep_checkpoints : 1;
  store.mode_ = mode;
  if (auto st = store.migrate(); !st)
    return st.error();
  return store;
}

db_status pg_store::ensure_connected() {
  if (conn_.ok())
    return {};
  staging_ready_ = false;
  auto conn = pg_connection::connect(url_);
  if (!conn)
    return conn.error();
  conn_ = std::move(*conn);
  return {};
}

db_result<int64_t> pg_store::version() {
  auto tables = conn_.query("SELECT to_regclass('schema_version') IS NOT NULL, "
                            "to_regclass('service_metrics') IS NOT NULL");
  if (!tables)
    return tables.error();
  if (tables->text(0, 0) != "t")
    // Before version 2 the database did not record its version.
    return tables->text(0, 1) == "t" ? int64_t{1} : int64_t{0};
  auto v = conn_.query("SELECT coalesce(max(version), 0) FROM schema_version");
  if (!v)
    return v.error();
  return v->int64(0, 0);
}

db_status pg_store::migrate() {
  auto current = version();
  if (!current)
    return current.error();
  if (*current > latest_version())
    return newer_schema_error(*current, latest_version());
  if (*current == latest_version())
    return {};
  if (auto st = conn_.exec("BEGIN"); !st)
    return st;
  auto run = [this]() -> db_status {
    if (auto st = conn_.exec(migration_lock); !st)
      return st;
    // Another node may have migrated it meanwhile: read it again under the
    // lock.
    auto now = version();
    if (!now)
      return now.error();
    for (auto v = *now; v < latest_version(); ++v) {
      if (auto st = conn_.exec(std::string{postgres_migrations[v]}); !st)
        return st;
      if (v + 1 >= 2) {
        auto stamp = "DELETE FROM schema_version; INSERT INTO schema_version "
                     "(version) VALUES ("
                     + std::to_string(v + 1) + ")";
        if (auto st = conn_.exec(stamp); !st)
          return st;
      }
    }
    return conn_.exec("COMMIT");
  };
  auto st = run();
  if (!st && conn_.ok())
    static_cast<void>(conn_.exec("ROLLBACK"));
  if (!st) {
    auto err = st.error();
    err.message = "cannot migrate the PostgreSQL database " + conn_.describe()
                  + " to schema version " + std::to_string(latest_version())
                  + ": " + err.message;
    return err;
  }
  return {};
}

db_status pg_store::commit(const result_batch& batch, const std::string& topic,
                           int64_t now_ms, const std::string& dlq_topic) {
  if (auto st = ensure_connected(); !st)
    return st;
  if (auto st = conn_.exec("BEGIN"); !st)
    return st;
  auto st = write(batch, topic, now_ms, dlq_topic);
  if (st)
    st = conn_.exec("COMMIT");
  if (!st && conn_.ok() && conn_.in_transaction())
    static_cast<void>(conn_.exec("ROLLBACK"));
  return st;
}

db_status pg_store::use_kind(const kind_schema& kind) {
  kind_ddl_ = kind_table_ddl(kind, sql_dialect::postgres);
  kind_upsert_ = kind_upsert_sql(kind, sql_dialect::postgres);
  kind_keys_ = kind.keys.size();
  kind_values_ = kind.value_columns().size();
  if (auto st = ensure_connected(); !st)
    return st;
  for (const auto& sql : kind_ddl_)
    if (auto st = conn_.exec(sql); !st)
      return st;
  return {};
}

db_status pg_store::write_kind_rows(const result_batch& batch, int64_t now_ms) {
  for (const auto& row : batch.rows) {
    std::vector<pg_param> params;
    params.reserve(kind_keys_ + 5 + kind_values_);
    for (auto& key : split_key(row.service, kind_keys_))
      params.push_back(pg_text(std::move(key)));
    params.push_back(pg_int(row.window_start));
    params.push_back(pg_int(row.window_end));
    params.push_back(pg_int(row.request_count));
    params.push_back(pg_int(row.late_count));
    for (size_t i = 0; i < kind_values_; ++i)
      params.push_back(pg_double(i < row.values.size() ? row.values[i] : 0.0));
    params.push_back(pg_int(row.updated_at != 0 ? row.updated_at : now_ms));
    if (auto r = conn_.query(kind_upsert_, params); !r)
      return r.error();
  }
  return {};
}

db_status pg_store::write(const result_batch& batch, const std::string& topic,
                          int64_t now_ms, const std::string& dlq_topic) {
  if (!batch.rows.empty() && kind_keys_ > 0) {
    if (auto st = write_kind_rows(batch, now_ms); !st)
      return st;
  } else if (!batch.rows.empty()) {
    auto st = mode_ == pg_write_mode::copy ? write_rows_copy(batch, now_ms)
                                           : write_rows_values(batch, now_ms);
    if (!st)
      return st;
  }
  if (auto st = write_anomalies(batch, now_ms); !st)
    return st;
  if (auto st = write_incidents(batch); !st)
    return st;
  if (batch.checkpoint == 0)
    return {};
  auto id = static_cast<int64_t>(batch.checkpoint);
  auto cp = conn_.query(
      "INSERT INTO checkpoints (id, created_at, merger_state, detector_state, "
      "narrator_state) VALUES ($1, "
          + ts(2)
          + ", $3, $4, $5) ON CONFLICT (id) DO UPDATE SET created_at = "
            "excluded.created_at, merger_state = excluded.merger_state, "
            "detector_state = excluded.detector_state, narrator_state = "
            "excluded.narrator_state",
      {pg_int(id), pg_int(now_ms), pg_bytes(batch.merger_state),
       pg_bytes(batch.detector_state), pg_bytes(batch.narrator_state)});
  if (!cp)
    return cp.error();
  // One statement for the offsets of both topics; a partition once per
  // topic.
  std::map<std::pair<std::string, int32_t>, int64_t> offsets;
  for (const auto& o : batch.offsets)
    offsets[{topic, o.partition}] = o.next_offset;
  if (!dlq_topic.empty())
    for (const auto& o : batch.dead_letter_positions)
      offsets[{dlq_topic, o.partition}] = o.next_offset;
  if (!offsets.empty()) {
    std::string sql = "INSERT INTO checkpoint_offsets (topic, partition, "
                      "next_offset, checkpoint) VALUES ";
    std::vector<pg_param> params;
    for (const auto& [key, next] : offsets) {
      if (!params.empty())
        sql += ", ";
      sql += placeholders(static_cast<int>(params.size()) + 1, "pppp");
      params.push_back(pg_text(key.first));
      params.push_back(pg_int(key.second));
      params.push_back(pg_int(next));
      params.push_back(pg_int(id));
    }
    sql += " ON CONFLICT (topic, partition) DO UPDATE SET next_offset = "
           "excluded.next_offset, checkpoint = excluded.checkpoint";
    if (auto r = conn_.query(sql, params); !r)
      return r.error();
  }
  auto prune = conn_.query(
      "DELETE FROM checkpoints WHERE id NOT IN (SELECT id FROM checkpoints "
      "ORDER BY id DESC LIMIT $1)",
      {pg_int(static_cast<int64_t>(keep_checkpoints_))});
  if (!prune)
    return prune.error();
  return {};
}

db_status pg_store::write_rows_copy(const result_batch& batch, int64_t now_ms) {
  if (!staging_ready_) {
    if (auto st = conn_.exec(create_staging); !st)
      return st;
    staging_ready_ = true;
  }
  std::string data;
  data.reserve(batch.rows.size() * 160);
  for (const auto& row : batch.rows) {
    append_copy_field(data, row.service);
    data += '\t';
    append_int(data, row.window_start);
    data += '\t';
    append_int(data, row.window_end);
    data += '\t';
    append_int(data, row.request_count);
    data += '\t';
    append_int(data, row.error_count);
    for (auto v :
         {row.error_rate, row.avg_latency_ms, row.p50_latency_ms,
          row.p95_latency_ms, row.p99_latency_ms, row.max_latency_ms}) {
      data += '\t';
      append_double(data, v);
    }
    data += '\t';
    append_int(data, row.late_count);
    data += '\t';
    append_int(data, row.updated_at != 0 ? row.updated_at : now_ms);
    data += '\n';
  }
  if (auto st = conn_.copy_in("COPY vigil_staging_metrics FROM STDIN", data);
      !st)
    return st;
  auto sql = std::string{"INSERT INTO service_metrics ("} + metrics_columns
             + ") SELECT service, " + ts_col("window_start") + ", "
             + ts_col("window_end")
             + ", request_count, error_count, error_rate, avg_latency_ms, "
               "p50_latency_ms, p95_latency_ms, p99_latency_ms, "
               "max_latency_ms, late_count, "
             + ts_col("updated_at") + " FROM vigil_staging_metrics"
             + metrics_conflict;
  // ON COMMIT DELETE ROWS empties the staging table at commit (and a
  // rollback discards what this transaction copied).
  return conn_.exec(sql);
}

db_status pg_store::write_rows_values(const result_batch& batch,
                                      int64_t now_ms) {
  const auto& rows = batch.rows;
  for (size_t first = 0; first < rows.size(); first += rows_per_statement) {
    auto last = std::min(rows.size(), first + rows_per_statement);
    auto sql = std::string{"INSERT INTO service_metrics ("} + metrics_columns
               + ") VALUES ";
    std::vector<pg_param> params;
    params.reserve((last - first) * 13);
    for (auto i = first; i < last; ++i) {
      const auto& row = rows[i];
      if (i > first)
        sql += ", ";
      sql += placeholders(static_cast<int>(params.size()) + 1, "pttpppppppppt");
      params.push_back(pg_text(row.service));
      params.push_back(pg_int(row.window_start));
      params.push_back(pg_int(row.window_end));
      params.push_back(pg_int(row.request_count));
      params.push_back(pg_int(row.error_count));
      params.push_back(pg_double(row.error_rate));
      params.push_back(pg_double(row.avg_latency_ms));
      params.push_back(pg_double(row.p50_latency_ms));
      params.push_back(pg_double(row.p95_latency_ms));
      params.push_back(pg_double(row.p99_latency_ms));
      params.push_back(pg_double(row.max_latency_ms));
      params.push_back(pg_int(row.late_count));
      params.push_back(pg_int(row.updated_at != 0 ? row.updated_at : now_ms));
    }
    sql += metrics_conflict;
    if (auto r = conn_.query(sql, params); !r)
      return r.error();
  }
  return {};
}

db_status pg_store::write_anomalies(const result_batch& batch, int64_t now_ms) {
  if (batch.anomalies.empty())
    return {};
  // A replayed anomaly keeps the time it was first detected.
  std::string sql = "INSERT INTO anomalies (service, window_start, metric, "
                    "observed, expected, score, severity, detector, "
                    "detected_at) VALUES ";
  std::vector<pg_param> params;
  for (const auto& a : batch.anomalies) {
    if (!params.empty())
      sql += ", ";
    sql += placeholders(static_cast<int>(params.size()) + 1, "ptppppppt");
    params.push_back(pg_text(a.service));
    params.push_back(pg_int(a.window_start));
    params.push_back(pg_text(a.metric));
    params.push_back(pg_double(a.observed));
    params.push_back(pg_double(a.expected));
    params.push_back(pg_double(a.score));
    params.push_back(pg_text(a.severity));
    params.push_back(pg_text(a.detector));
    params.push_back(pg_int(a.detected_at != 0 ? a.detected_at : now_ms));
  }
  sql += " ON CONFLICT (service, window_start, metric) DO UPDATE SET "
         "observed = excluded.observed, expected = excluded.expected, "
         "score = excluded.score, severity = excluded.severity, "
         "detector = excluded.detector";
  if (auto r = conn_.query(sql, params); !r)
    return r.error();
  return {};
}

db_status pg_store::write_incidents(const result_batch& batch) {
  if (batch.incidents.empty())
    return {};
  std::string sql = "INSERT INTO incidents (id, service, started_at, "
                    "ended_at, severity, anomaly_count, summary) VALUES ";
  std::vector<pg_param> params;
  for (const auto& inc : batch.incidents) {
    if (!params.empty())
      sql += ", ";
    sql += placeholders(static_cast<int>(params.size()) + 1, "ppttppp");
    params.push_back(pg_int(inc.id));
    params.push_back(pg_text(inc.service));
    params.push_back(pg_int(inc.started_at));
    auto ended = pg_int(inc.ended_at);
    ended.null = inc.ended_at == 0;
    params.push_back(std::move(ended));
    params.push_back(pg_text(inc.severity));
    params.push_back(pg_int(inc.anomaly_count));
    params.push_back(pg_text(inc.summary));
  }
  sql += " ON CONFLICT (id) DO UPDATE SET service = excluded.service, "
         "started_at = excluded.started_at, ended_at = excluded.ended_at, "
         "severity = excluded.severity, anomaly_count = "
         "excluded.anomaly_count, summary = excluded.summary";
  if (auto r = conn_.query(sql, params); !r)
    return r.error();
  return {};
}

db_result<std::optional<stored_checkpoint>>
pg_store::load_latest_checkpoint(const std::string& topic) {
  if (auto st = ensure_connected(); !st)
    return st.error();
  std::optional<stored_checkpoint> result;
  auto latest = conn_.query(
      "SELECT id, (extract(epoch FROM created_at) * 1000)::bigint, "
      "merger_state, detector_state, narrator_state FROM checkpoints ORDER BY "
      "id DESC LIMIT 1");
  if (!latest)
    return latest.error();
  if (latest->size() == 0)
    return result;
  result.emplace();
  result->id = static_cast<uint64_t>(latest->int64(0, 0));
  result->created_at = latest->int64(0, 1);
  result->merger_state = latest->bytes(0, 2);
  result->detector_state = latest->bytes(0, 3);
  result->narrator_state = latest->bytes(0, 4);
  auto last = conn_.query("SELECT coalesce(max(id), 0) FROM incidents");
  if (!last)
    return last.error();
  result->last_incident_id = last->int64(0, 0);
  auto offsets = conn_.query("SELECT partition, next_offset FROM "
                             "checkpoint_offsets WHERE topic = $1 ORDER BY "
                             "partition",
                             {pg_text(topic)});
  if (!offsets)
    return offsets.error();
  for (int i = 0; i < offsets->size(); ++i)
    result->offsets.push_back(partition_offset{
        static_cast<int32_t>(offsets->int64(i, 0)), offsets->int64(i, 1)});
  return result;
}

} // namespace vigil
