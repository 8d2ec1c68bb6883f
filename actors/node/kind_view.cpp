#include "actors/node/kind_view.hpp"

#include <algorithm>
#include <utility>

#include "runtime/db_reader.hpp"
#include "runtime/event_kind.hpp"

namespace vigil {

namespace {

/// How long readers wait for a lock.
constexpr int busy_timeout_ms = 200;

/// Value columns of service_metrics besides request_count.
constexpr const char* request_value_columns[]
    = {"error_count",    "error_rate",     "avg_latency_ms", "p50_latency_ms",
       "p95_latency_ms", "p99_latency_ms", "max_latency_ms"};

/// `name` quoted as an SQL identifier, as kind_table_ddl creates it
/// (declared names are lower-case identifiers: nothing to escape; keys such
/// as "group" or "user" are keywords).
std::string quoted(const std::string& name) {
  return '"' + name + '"';
}

/// `ms` within the range PostgreSQL's timestamptz arithmetic takes.
int64_t time_param(db_kind kind, int64_t ms) {
  constexpr int64_t bound = 100'000'000'000'000;
  if (kind == db_kind::sqlite)
    return ms;
  return std::clamp(ms, -bound, bound);
}

/// The selected columns of a window row: keys, times as epoch ms, the
/// count, late_count, the value columns, updated_at.
std::string select_list(const kind_view& view, db_kind kind) {
  std::string out;
  for (const auto& key : view.keys)
    out += quoted(key) + ", ";
  out += sql_ms(kind, "window_start") + ", " + sql_ms(kind, "window_end") + ", "
         + quoted(view.count_column) + ", late_count, ";
  for (const auto& c : view.columns)
    out += quoted(c.name) + ", ";
  out += sql_ms(kind, "updated_at");
  return out;
}

std::string key_order(const kind_view& view) {
  std::string out;
  for (const auto& key : view.keys)
    out += (out.empty() ? "" : ", ") + quoted(key);
  return out;
}

kind_window_row row_from(const kind_view& view, const db_rows& rs, size_t r) {
  kind_window_row row;
  size_t c = 0;
  for (size_t i = 0; i < view.keys.size(); ++i, ++c) {
    row.key_values.push_back(rs.text(r, c));
    row.key += (i == 0 ? "" : std::string(1, key_separator))
               + row.key_values.back();
  }
  row.window_start = rs.int64(r, c++);
  row.window_end = rs.int64(r, c++);
  row.event_count = rs.int64(r, c++);
  row.late_count = rs.int64(r, c++);
  for (size_t i = 0; i < view.columns.size(); ++i, ++c)
    row.values.push_back(rs.is_null(r, c) ? std::nullopt
                                          : std::optional{rs.real(r, c)});
  row.updated_at = rs.int64(r, c);
  return row;
}

db_result<std::vector<kind_window_row>>
read(const std::string& db, const kind_view& view, const std::string& sql,
     const std::vector<db_value>& params) {
  auto rs = db_query(db, sql, params, busy_timeout_ms);
  if (!rs)
    return rs.error();
  std::vector<kind_window_row> rows;
  rows.reserve(rs->size());
  for (size_t r = 0; r < rs->size(); ++r)
    rows.push_back(row_from(view, *rs, r));
  return rows;
}

} // namespace

std::vector<std::string> kind_view::column_names() const {
  std::vector<std::string> out;
  out.reserve(columns.size());
  for (const auto& c : columns)
    out.push_back(c.name);
  return out;
}

std::vector<size_t> kind_view::headline_columns(size_t n) const {
  std::vector<size_t> out;
  if (columns.size() <= n) {
    for (size_t i = 0; i < columns.size(); ++i)
      out.push_back(i);
    return out;
  }
  // Columns of one measure are adjacent, in declaration order.
  for (size_t begin = 0; begin < columns.size() && out.size() < n;) {
    auto end = begin;
    while (end < columns.size()
           && columns[end].measure == columns[begin].measure)
      ++end;
    auto pick = begin;
    for (const char* preferred : {"sum", "last", "close", "mean"})
      for (auto i = begin; i < end; ++i)
        if (columns[i].aggregation == preferred)
          pick = i;
    out.push_back(pick);
    begin = end;
  }
  return out;
}

kind_view make_kind_view(const kind_schema* schema) {
  kind_view v;
  if (schema == nullptr || schema->is_request()) {
    v.kind = "request";
    if (auto text = builtin_kind_text("request"); !text.empty())
      if (auto k = parse_kind_schema(text, "request"))
        v.description = k->description;
    v.table = "service_metrics";
    v.keys = {"service"};
    v.count_column = "request_count";
    for (const char* c : request_value_columns)
      v.columns.push_back({c, c, ""});
    return v;
  }
  v.kind = schema->name;
  v.description = schema->description;
  v.table = schema->table;
  v.keys = schema->keys;
  v.count_column = "event_count";
  for (const auto& m : schema->measures) {
    for (const auto& a : m.aggregations)
      v.columns.push_back({a.column, m.name,
                           a.column.size() > m.name.size()
                               ? a.column.substr(m.name.size() + 1)
                               : a.column});
    if (!m.healthy.empty()) {
      kind_view::band b;
      b.measure = m.name;
      b.low = m.healthy.ge ? m.healthy.ge : m.healthy.gt;
      b.high = m.healthy.le ? m.healthy.le : m.healthy.lt;
      v.bands.push_back(std::move(b));
    }
  }
  return v;
}

db_result<std::vector<kind_window_row>>
read_kind_latest(const std::string& db, const kind_view& view) {
  auto kind = db_kind_of(db);
  std::string match;
  for (const auto& key : view.keys)
    match
        += (match.empty() ? "" : " AND ") + quoted(key) + " = m." + quoted(key);
  auto sql = "SELECT " + select_list(view, kind) + " FROM " + quoted(view.table)
             + " AS m WHERE window_start = (SELECT max(window_start) FROM "
             + quoted(view.table) + " WHERE " + match + ") ORDER BY "
             + key_order(view);
  return read(db, view, sql, {});
}

db_result<std::vector<kind_window_row>>
read_kind_windows(const std::string& db, const kind_view& view,
                  const std::vector<std::string>& key_values,
                  int64_t since_ms) {
  auto kind = db_kind_of(db);
  std::string where;
  std::vector<db_value> params;
  for (size_t i = 0; i < view.keys.size(); ++i) {
    params.emplace_back(i < key_values.size() ? key_values[i] : std::string{});
    where += quoted(view.keys[i]) + " = ?" + std::to_string(i + 1) + " AND ";
  }
  params.emplace_back(time_param(kind, since_ms));
  where += "window_start >= "
           + sql_time(kind, static_cast<int>(view.keys.size()) + 1);
  auto sql = "SELECT " + select_list(view, kind) + " FROM " + quoted(view.table)
             + " WHERE " + where + " ORDER BY window_start";
  return read(db, view, sql, params);
}

} // namespace vigil
