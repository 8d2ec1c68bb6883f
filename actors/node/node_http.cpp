#include "actors/node/node_http.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "actors/ingest/kafka_source.hpp"
#include "actors/ingest/request_event.hpp"
#include "actors/node/kind_view.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_scrape.hpp"
#include "runtime/db_location.hpp"
#include "runtime/db_reader.hpp"
#include "runtime/event_kind.hpp"
#include "runtime/http_server.hpp"
#include "runtime/kafka.hpp"
#include "runtime/pg.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

namespace {

using nlohmann::json;

/// Supervised children of a node, the `actor` label values.
constexpr const char* node_actors[]
    = {"db_writer", "narrator", "detector", "merger", "dlq", "source"};

/// How long the broker probe of /ready waits for a metadata answer.
constexpr auto broker_probe_timeout = std::chrono::milliseconds(1000);

/// How long readers and the writability probe wait for a lock.
constexpr int busy_timeout_ms = 200;

/// Longest look-back of the API, one week.
constexpr int64_t max_minutes = int64_t{7} * 24 * 60;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// -- readiness ---------------------------------------------------------------

readiness_result check_broker(const std::string& brokers) {
  // A fresh client per probe: a long-lived one would wait for its reconnect
  // backoff after an outage and report the broker down for longer than it is.
  // Its connection errors are the check's detail; in the log they count in
  // the broker's failure episode, and an answer ends that episode.
  if (brokers.empty()) // only a file source runs without one
    return {"broker", true, "none needed: the source is a file"};
  auto rk = kafka::make_client(RD_KAFKA_PRODUCER, brokers,
                               {{"client.id", "vigil-readiness"}});
  if (!rk)
    return {"broker", false, rk.error()};
  if (auto st
      = kafka::check_reachable(rk->get(), brokers, broker_probe_timeout);
      !st)
    return {"broker", false, st.error()};
  return {"broker", true, "metadata answered by " + brokers};
}

readiness_result check_database(const std::string& path) {
  if (is_postgres_url(path)) {
    // A fresh connection per probe; the writer reconnects on its own.
    auto conn = pg_connection::connect(path, 2);
    if (!conn)
      return {"database", false,
              "database " + redact_db_url(path)
                  + " is unreachable: " + conn.error().message};
    if (auto st = conn->exec("SELECT 1"); !st)
      return {"database", false,
              "database " + redact_db_url(path)
                  + " does not answer: " + st.error().message};
    return {"database", true, "PostgreSQL " + conn->describe() + " answers"};
  }
  // Read-write, but never create: the db_writer owns the file.
  auto st = probe_write_lock(path, busy_timeout_ms);
  if (st)
    return {"database", true, "writable"};
  auto detail = "database " + path + " is not writable: " + st.error().message;
  if (st.error().retryable)
    detail += " (locked for more than " + std::to_string(busy_timeout_ms)
              + " ms; 'vigil doctor' names the process holding it)";
  return {"database", false, detail};
}

readiness_result check_assignment(const source_status* source) {
  auto n = source != nullptr ? source->assigned.load() : 0;
  if (n <= 0)
    return {"assignment", false, "no partition assigned yet"};
  return {"assignment", true, std::to_string(n) + " partitions assigned"};
}

readiness_result check_stalls(const source_status* source) {
  if (source == nullptr || source->stalled.load() == 0)
    return {"partitions", true, "no partition stalled"};
  std::string detail;
  std::lock_guard<std::mutex> guard{source->mtx};
  for (const auto& [p, pos] : source->positions) {
    if (!pos.stalled)
      continue;
    detail += (detail.empty() ? "stalled: partition " : ", partition ")
              + std::to_string(p) + " (lag "
              + std::to_string(
                  std::max<int64_t>(0, pos.end_offset - pos.next_offset))
              + ", no progress for " + std::to_string(pos.waiting_ms / 1000)
              + " s)";
  }
  if (detail.empty())
    detail = "stalled partitions";
  return {"partitions", false,
          detail + "; 'vigil console partitions' shows their state"};
}

// -- API helpers -------------------------------------------------------------

/// Parses the `minutes` parameter (default 60, 1 .. one week) into the
/// start of the time range it asks for, `since_ms` (now minus `minutes`).
bool parse_since(const http_request& req, int64_t& since_ms,
                 http_reply& error) {
  int64_t minutes = 60;
  if (auto i = req.params.find("minutes"); i != req.params.end()) {
    char* end = nullptr;
    minutes = std::strtoll(i->second.c_str(), &end, 10);
    if (i->second.empty() || *end != '\0' || minutes < 1
        || minutes > max_minutes) {
      error = json_reply({{"error", "minutes must be an integer in 1.."
                                        + std::to_string(max_minutes)}},
                         400);
      return false;
    }
  }
  since_ms = wall_ms() - minutes * 60'000;
  return true;
}

http_reply unavailable(const db_error& err) {
  return json_reply(
      {{"error", "database unavailable"}, {"detail", err.message}}, 503);
}

/// The columns of a window row, times as epoch milliseconds.
std::string window_columns(db_kind kind) {
  return "service, " + sql_ms(kind, "window_start") + ", "
         + sql_ms(kind, "window_end")
         + ", request_count, error_count, error_rate, avg_latency_ms, "
           "p50_latency_ms, p95_latency_ms, p99_latency_ms, max_latency_ms, "
           "late_count, "
         + sql_ms(kind, "updated_at");
}

window_row window_from(const db_rows& rs, size_t r) {
  window_row row;
  row.service = rs.text(r, 0);
  row.window_start = rs.int64(r, 1);
  row.window_end = rs.int64(r, 2);
  row.request_count = rs.int64(r, 3);
  row.error_count = rs.int64(r, 4);
  row.error_rate = rs.real(r, 5);
  row.avg_latency_ms = rs.real(r, 6);
  row.p50_latency_ms = rs.real(r, 7);
  row.p95_latency_ms = rs.real(r, 8);
  row.p99_latency_ms = rs.real(r, 9);
  row.max_latency_ms = rs.real(r, 10);
  row.late_count = rs.int64(r, 11);
  row.updated_at = rs.int64(r, 12);
  return row;
}

/// `ms` within the range PostgreSQL's TIMESTAMPTZ arithmetic takes (about
/// +-3000 years): callers pass INT64_MIN and INT64_MAX for "any time".
int64_t time_param(db_kind kind, int64_t ms) {
  constexpr int64_t bound = 100'000'000'000'000;
  if (kind == db_kind::sqlite)
    return ms;
  return std::clamp(ms, -bound, bound);
}

json window_json(const window_row& row) {
  return {{"service", row.service},
          {"window_start", row.window_start},
          {"window_end", row.window_end},
          {"request_count", row.request_count},
          {"error_count", row.error_count},
          {"error_rate", row.error_rate},
          {"avg_latency_ms", row.avg_latency_ms},
          {"p50_latency_ms", row.p50_latency_ms},
          {"p95_latency_ms", row.p95_latency_ms},
          {"p99_latency_ms", row.p99_latency_ms},
          {"max_latency_ms", row.max_latency_ms},
          {"late_count", row.late_count},
          {"updated_at", row.updated_at}};
}

json anomaly_json(const anomaly_row& row) {
  return {{"service", row.service},        {"window_start", row.window_start},
          {"metric", row.metric},          {"observed", row.observed},
          {"expected", row.expected},      {"score", row.score},
          {"severity", row.severity},      {"detector", row.detector},
          {"detected_at", row.detected_at}};
}

json incident_json(const incident_row& row) {
  auto open = row.ended_at == 0;
  return {{"id", row.id},
          {"service", row.service},
          {"started_at", row.started_at},
          {"ended_at", open ? json(nullptr) : json(row.ended_at)},
          {"open", open},
          {"severity", row.severity},
          {"anomaly_count", row.anomaly_count},
          {"summary", row.summary}};
}

/// Runs `sql` over a short-lived read connection with `params` and
/// collects every row with `read`.
template <class T, class Read>
db_result<std::vector<T>>
read_rows(const std::string& db, const std::string& sql,
          const std::vector<db_value>& params, Read read) {
  auto rs = db_query(db, sql, params, busy_timeout_ms);
  if (!rs)
    return rs.error();
  std::vector<T> rows;
  rows.reserve(rs->size());
  for (size_t r = 0; r < rs->size(); ++r)
    rows.push_back(read(*rs, r));
  return rows;
}

/// Renders rows as `{"key": [...]}`, or a database error as 503.
template <class T, class ToJson>
http_reply rows_reply(db_result<std::vector<T>> rows, const char* key,
                      ToJson to_json) {
  if (!rows)
    return unavailable(rows.error());
  auto out = json::array();
  for (const auto& row : *rows)
    out.push_back(to_json(row));
  return json_reply({{key, std::move(out)}});
}

http_reply api_services(const node_http_context& ctx) {
  return rows_reply(read_latest_windows(ctx.db), "services", window_json);
}

http_reply api_windows(const node_http_context& ctx, const http_request& req) {
  http_reply error;
  int64_t since = 0;
  if (!parse_since(req, since, error))
    return error;
  auto service = req.params.find("service");
  if (service == req.params.end() || service->second.empty())
    return json_reply({{"error", "missing parameter: service"}}, 400);
  auto kind = db_kind_of(ctx.db);
  auto sql = "SELECT " + window_columns(kind)
             + " FROM service_metrics WHERE service = ?1 AND window_start >= "
             + sql_time(kind, 2) + " ORDER BY window_start";
  auto rows = read_rows<window_row>(
      ctx.db, sql, {service->second, time_param(kind, since)}, window_from);
  return rows_reply(std::move(rows), "windows", window_json);
}

http_reply api_anomalies(const node_http_context& ctx,
                         const http_request& req) {
  http_reply error;
  int64_t since = 0;
  if (!parse_since(req, since, error))
    return error;
  return rows_reply(read_anomalies(ctx.db, since, "", 1000), "anomalies",
                    anomaly_json);
}

http_reply api_incidents(const node_http_context& ctx,
                         const http_request& req) {
  http_reply error;
  int64_t since = 0;
  if (!parse_since(req, since, error))
    return error;
  return rows_reply(read_incidents(ctx.db, since, 200), "incidents",
                    incident_json);
}

// -- event kinds -------------------------------------------------------------

/// "symbol|exchange": the key columns as a joined key names them.
std::string key_order_text(const kind_view& view) {
  std::string out;
  for (const auto& key : view.keys)
    out += (out.empty() ? "" : std::string(1, key_separator)) + key;
  return out;
}

json kind_row_json(const kind_view& view, const kind_window_row& row) {
  json keys = json::object();
  for (size_t i = 0; i < view.keys.size() && i < row.key_values.size(); ++i)
    keys[view.keys[i]] = row.key_values[i];
  json values = json::object();
  for (size_t i = 0; i < view.columns.size(); ++i) {
    const auto& v = i < row.values.size() ? row.values[i] : std::nullopt;
    values[view.columns[i].name]
        = v && std::isfinite(*v) ? json(*v) : json(nullptr);
  }
  return {{"key", row.key},
          {"key_values", std::move(keys)},
          {"window_start", row.window_start},
          {"window_end", row.window_end},
          {"event_count", row.event_count},
          {"late_count", row.late_count},
          {"values", std::move(values)},
          {"updated_at", row.updated_at}};
}

http_reply api_kind(const kind_view& view) {
  json measures = json::array();
  for (const auto& c : view.columns) {
    if (measures.empty() || measures.back()["name"] != c.measure)
      measures.push_back({{"name", c.measure},
                          {"columns", json::array()},
                          {"healthy", nullptr}});
    measures.back()["columns"].push_back(c.name);
  }
  for (const auto& b : view.bands)
    for (auto& m : measures)
      if (m["name"] == b.measure)
        m["healthy"] = {{"low", b.low ? json(*b.low) : json(nullptr)},
                        {"high", b.high ? json(*b.high) : json(nullptr)}};
  return json_reply({{"kind", view.kind},
                     {"description", view.description},
                     {"table", view.table},
                     {"keys", view.keys},
                     {"key_separator", std::string(1, key_separator)},
                     {"count_column", view.count_column},
                     {"columns", view.column_names()},
                     {"measures", std::move(measures)}});
}

http_reply kind_rows_reply(const kind_view& view,
                           db_result<std::vector<kind_window_row>> rows,
                           const char* key, json body) {
  if (!rows)
    return unavailable(rows.error());
  auto out = json::array();
  for (const auto& row : *rows)
    out.push_back(kind_row_json(view, row));
  body[key] = std::move(out);
  return json_reply(body);
}

http_reply api_kind_keys(const node_http_context& ctx, const kind_view& view) {
  return kind_rows_reply(view, read_kind_latest(ctx.db, view), "keys",
                         {{"kind", view.kind}});
}

http_reply api_kind_windows(const node_http_context& ctx, const kind_view& view,
                            const http_request& req) {
  http_reply error;
  int64_t since = 0;
  if (!parse_since(req, since, error))
    return error;
  auto key = req.params.find("key");
  if (key == req.params.end() || key->second.empty())
    return json_reply({{"error", "missing parameter: key (the values of "
                                     + key_order_text(view) + ")"}},
                      400);
  auto parts = static_cast<size_t>(
      std::count(key->second.begin(), key->second.end(), key_separator));
  if (parts + 1 != view.keys.size())
    return json_reply(
        {{"error", "key must be the values of " + key_order_text(view)
                       + " (got '" + key->second + "')"}},
        400);
  auto values = split_key(key->second, view.keys.size());
  return kind_rows_reply(view, read_kind_windows(ctx.db, view, values, since),
                         "windows",
                         {{"kind", view.kind}, {"key", key->second}});
}

http_reply api_status(node_http_context& ctx) {
  pipeline_stats st;
  bool known = false;
  {
    std::lock_guard<std::mutex> guard{ctx.mtx};
    st = ctx.pipeline;
    known = ctx.have_pipeline;
  }
  json invalid = json::object();
  for (size_t i = 1; i < invalid_reason_count; ++i)
    invalid[to_string(static_cast<invalid_reason>(i))]
        = i < st.invalid.size() ? st.invalid[i] : 0;
  json restarts = json::object();
  for (const auto* name : node_actors)
    restarts[name]
        = static_cast<uint64_t>(ctx.metrics->actor_restarts(name).Value());
  json partitions = json::array();
  int64_t total_lag = 0;
  int32_t assigned = 0;
  int64_t last_durable = 0;
  int32_t stalled = 0;
  json held_since = nullptr;
  if (ctx.source) {
    assigned = ctx.source->assigned.load();
    stalled = ctx.source->stalled.load();
    if (ctx.source->hold.load())
      held_since = ctx.source->hold_since_ms.load();
    last_durable = ctx.source->last_durable_ms.load();
    std::lock_guard<std::mutex> guard{ctx.source->mtx};
    for (const auto& [p, lag] : ctx.source->lag) {
      json row{{"partition", p}, {"lag", lag}};
      if (auto it = ctx.source->positions.find(p);
          it != ctx.source->positions.end()) {
        const auto& pos = it->second;
        row["state"] = pos.stalled    ? "stalled"
                       : pos.finished ? "finished"
                       : pos.held     ? "held"
                       : pos.paused   ? "paused"
                                      : "reading";
        row["next_offset"] = pos.next_offset;
        row["in_flight"] = pos.in_flight;
        row["waiting_ms"] = pos.waiting_ms;
      }
      partitions.push_back(std::move(row));
      total_lag += lag;
    }
  }
  json body{
      {"stats_known", known},
      {"events", st.events},
      {"invalid", invalid},
      {"repaired", st.repaired},
      {"late_accepted", st.late_accepted},
      {"windows", st.windows},
      {"open_windows", st.open_windows},
      {"key_overflow", st.key_overflow},
      {"reorderings", st.reorderings},
      {"watermark",
       st.watermark == INT64_MIN ? json(nullptr) : json(st.watermark)},
      {"last_checkpoint", st.last_checkpoint},
      {"last_checkpoint_at",
       last_durable == 0 ? json(nullptr) : json(last_durable)},
      {"restarts", restarts},
      {"assigned_partitions", assigned},
      {"stalled_partitions", stalled},
      {"paused_by_operator", !held_since.is_null()},
      {"paused_since", held_since},
      {"partitions", partitions},
      {"total_lag", total_lag},
      {"role", ctx.role},
  };
  std::lock_guard<std::mutex> guard{ctx.mtx};
  if (ctx.have_cluster) {
    const auto& c = ctx.cluster;
    json nodes = json::array();
    int64_t lag = 0;
    for (const auto& n : c.nodes) {
      nodes.push_back({{"name", n.name},
                       {"role", n.role},
                       {"address", n.address},
                       {"partitions", n.partitions},
                       {"lag", n.lag},
                       {"restarts", n.restarts},
                       {"last_heartbeat_ms", n.last_heartbeat_ms},
                       {"joined_ms", n.joined_ms}});
      lag += std::max<int64_t>(0, n.lag);
    }
    body["cluster"] = {{"generation", c.generation},
                       {"running", c.running},
                       {"topic_partitions", c.topic_partitions},
                       {"unowned_partitions", c.unowned},
                       {"node_losses", c.node_losses},
                       {"nodes", nodes}};
    body["total_lag"] = lag;
  }
  return json_reply(body);
}

} // namespace

db_result<std::vector<window_row>> read_latest_windows(const std::string& db) {
  auto sql = "SELECT " + window_columns(db_kind_of(db))
             + " FROM service_metrics AS m WHERE window_start = "
               "(SELECT max(window_start) FROM service_metrics "
               "WHERE service = m.service) ORDER BY service";
  return read_rows<window_row>(db, sql, {}, window_from);
}

db_result<std::vector<window_row>>
read_replay_windows(const std::string& db, int64_t window_ms, size_t span) {
  auto kind = db_kind_of(db);
  auto sql
      = "SELECT " + window_columns(kind)
        + " FROM service_metrics WHERE window_start > (SELECT max("
          "window_start) FROM service_metrics) - "
        + (kind == db_kind::postgres ? "(?1 * interval '1 millisecond')" : "?1")
        + " ORDER BY service, window_start";
  // At most a century back: PostgreSQL's intervals end not much further.
  constexpr int64_t century_ms = 3'155'760'000'000;
  auto back
      = window_ms > 0 && static_cast<int64_t>(span) < century_ms / window_ms
            ? static_cast<int64_t>(span) * window_ms
            : century_ms;
  return read_rows<window_row>(db, sql, {back}, window_from);
}

db_result<std::vector<anomaly_row>> read_anomalies(const std::string& db,
                                                   int64_t since_ms,
                                                   const std::string& service,
                                                   int64_t limit) {
  auto kind = db_kind_of(db);
  auto sql = "SELECT service, " + sql_ms(kind, "window_start")
             + ", metric, observed, expected, score, severity, detector, "
             + sql_ms(kind, "detected_at")
             + " FROM anomalies WHERE window_start >= " + sql_time(kind, 1)
             + " AND (?2 = '' OR service = ?2) ORDER BY window_start DESC, "
               "service, metric LIMIT ?3";
  return read_rows<anomaly_row>(db, sql,
                                {time_param(kind, since_ms), service, limit},
                                [](const db_rows& rs, size_t r) {
                                  anomaly_row row;
                                  row.service = rs.text(r, 0);
                                  row.window_start = rs.int64(r, 1);
                                  row.metric = rs.text(r, 2);
                                  row.observed = rs.real(r, 3);
                                  row.expected = rs.real(r, 4);
                                  row.score = rs.real(r, 5);
                                  row.severity = rs.text(r, 6);
                                  row.detector = rs.text(r, 7);
                                  row.detected_at = rs.int64(r, 8);
                                  return row;
                                });
}

metric_label_sets node_label_sets() {
  metric_label_sets labels;
  for (size_t i = 1; i < invalid_reason_count; ++i)
    labels.invalid_reasons.emplace_back(
        to_string(static_cast<invalid_reason>(i)));
  for (const auto* name : node_actors)
    labels.actors.emplace_back(name);
  return labels;
}

// -- pipeline_metrics --------------------------------------------------------

pipeline_metrics::pipeline_metrics(std::shared_ptr<metric_factory> metrics)
    : metrics_(std::move(metrics)), invalid_(invalid_reason_count, 0) {
  // nop
}

uint64_t pipeline_metrics::advance(uint64_t& high, uint64_t value) noexcept {
  if (value <= high)
    return 0;
  auto delta = value - high;
  high = value;
  return delta;
}

void pipeline_metrics::update(const pipeline_stats& st, int64_t wall_ms) {
  auto& m = *metrics_;
  auto inc = [](prometheus::Counter& c, uint64_t n) {
    if (n > 0)
      c.Increment(static_cast<double>(n));
  };
  inc(m.events_consumed(), advance(events_, st.events));
  auto too_late = static_cast<size_t>(invalid_reason::too_late);
  auto overflow = static_cast<size_t>(invalid_reason::service_overflow);
  uint64_t overflow_delta = 0;
  for (size_t i = 1; i < invalid_reason_count && i < st.invalid.size(); ++i) {
    auto n = advance(invalid_[i], st.invalid[i]);
    if (n == 0)
      continue;
    inc(m.events_invalid(to_string(static_cast<invalid_reason>(i))), n);
    if (i == too_late)
      inc(m.events_too_late(), n);
    if (i == overflow)
      overflow_delta += n;
  }
  inc(m.timestamps_repaired(), advance(repaired_, st.repaired));
  inc(m.events_late(), advance(late_, st.late_accepted));
  inc(m.windows_emitted(), advance(windows_, st.windows));
  overflow_delta += advance(key_overflow_, st.key_overflow);
  inc(m.service_overflow(), overflow_delta);
  m.tracked_services().Set(static_cast<double>(st.tracked_keys));
  if (st.watermark != INT64_MIN)
    m.watermark_delay().Set(
        static_cast<double>(std::max<int64_t>(0, wall_ms - st.watermark))
        / 1000.0);
}

// -- routes ------------------------------------------------------------------

void install_node_routes(http_server& server,
                         const std::shared_ptr<node_http_context>& ctx) {
  server.add_readiness_check([ctx] { return check_broker(ctx->brokers); });
  if (!ctx->db.empty())
    server.add_readiness_check([ctx] { return check_database(ctx->db); });
  server.add_readiness_check(
      [ctx] { return check_assignment(ctx->source.get()); });
  server.add_readiness_check([ctx] { return check_stalls(ctx->source.get()); });
  install_scrape_refresh(server, ctx);
  // The patterns are constant and valid: registration cannot fail.
  static_cast<void>(server.get("/api/services", [ctx](const http_request&) {
    return api_services(*ctx);
  }));
  static_cast<void>(server.get("/api/windows", [ctx](const http_request& req) {
    return api_windows(*ctx, req);
  }));
  static_cast<void>(
      server.get("/api/anomalies", [ctx](const http_request& req) {
        return api_anomalies(*ctx, req);
      }));
  static_cast<void>(
      server.get("/api/incidents", [ctx](const http_request& req) {
        return api_incidents(*ctx, req);
      }));
  static_cast<void>(server.get(
      "/api/status", [ctx](const http_request&) { return api_status(*ctx); }));
  // The kind is fixed for the node's life: its view is built once.
  auto view
      = std::make_shared<const kind_view>(make_kind_view(ctx->schema.get()));
  static_cast<void>(server.get(
      "/api/kind", [view](const http_request&) { return api_kind(*view); }));
  static_cast<void>(
      server.get("/api/kind/keys", [ctx, view](const http_request&) {
        return api_kind_keys(*ctx, *view);
      }));
  static_cast<void>(
      server.get("/api/kind/windows", [ctx, view](const http_request& req) {
        return api_kind_windows(*ctx, *view, req);
      }));
}

db_result<std::vector<incident_row>>
read_incidents(const std::string& db, int64_t since_ms, int64_t limit) {
  // Open incidents whatever their age, then those that ended in the range;
  // the most severe first within each group, then the newest.
  auto kind = db_kind_of(db);
  auto sql = "SELECT id, service, " + sql_ms(kind, "started_at") + ", "
             + sql_ms(kind, "ended_at")
             + ", severity, anomaly_count, summary FROM incidents WHERE "
               "ended_at IS NULL OR ended_at >= "
             + sql_time(kind, 1)
             + " ORDER BY ended_at IS NULL DESC, CASE severity WHEN "
               "'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 "
               "WHEN 'low' THEN 1 ELSE 0 END DESC, started_at DESC, id DESC "
               "LIMIT ?2";
  return read_rows<incident_row>(db, sql, {time_param(kind, since_ms), limit},
                                 [](const db_rows& rs, size_t r) {
                                   incident_row row;
                                   row.id = rs.int64(r, 0);
                                   row.service = rs.text(r, 1);
                                   row.started_at = rs.int64(r, 2);
                                   row.ended_at
                                       = rs.is_null(r, 3) ? 0 : rs.int64(r, 3);
                                   row.severity = rs.text(r, 4);
                                   row.anomaly_count = rs.int64(r, 5);
                                   row.summary = rs.text(r, 6);
                                   return row;
                                 });
}

} // namespace vigil
