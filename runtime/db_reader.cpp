#include "runtime/db_reader.hpp"

#include <cctype>
#include <cstdlib>

#include "runtime/db_location.hpp"
#include "runtime/pg.hpp"
#include "runtime/sqlite.hpp"

#include <sqlite3.h>

namespace vigil {

namespace {

/// `?N` placeholders as PostgreSQL's `$N` (outside string literals).
std::string to_dollar(std::string_view sql) {
  std::string out;
  out.reserve(sql.size());
  bool quoted = false;
  for (size_t i = 0; i < sql.size(); ++i) {
    auto c = sql[i];
    if (c == '\'')
      quoted = !quoted;
    if (!quoted && c == '?' && i + 1 < sql.size()
        && std::isdigit(static_cast<unsigned char>(sql[i + 1])) != 0)
      c = '$';
    out += c;
  }
  return out;
}

db_result<db_rows> query_sqlite(const std::string& path, std::string_view sql,
                                const std::vector<db_value>& params,
                                int busy_timeout_ms) {
  auto db = sqlite_db::open(path, open_mode::read_only, busy_timeout_ms);
  if (!db)
    return db.error();
  auto st = db->prepare(sql);
  if (!st)
    return st.error();
  for (size_t i = 0; i < params.size(); ++i) {
    auto idx = static_cast<int>(i) + 1;
    const auto& p = params[i];
    if (auto* n = std::get_if<int64_t>(&p))
      st->bind(idx, *n);
    else if (auto* d = std::get_if<double>(&p))
      st->bind(idx, *d);
    else if (auto* s = std::get_if<std::string>(&p))
      st->bind(idx, std::string_view{*s});
    else
      st->bind(idx, nullptr);
  }
  db_rows rows;
  for (;;) {
    auto r = st->step();
    if (r == step_result::done)
      break;
    if (r == step_result::error)
      return st->error();
    std::vector<db_value> row;
    for (int c = 0; c < st->column_count(); ++c) {
      switch (st->column_type(c)) {
      case SQLITE_INTEGER:
        row.emplace_back(st->column_int64(c));
        break;
      case SQLITE_FLOAT:
        row.emplace_back(st->column_double(c));
        break;
      case SQLITE_NULL:
        row.emplace_back(std::monostate{});
        break;
      default:
        row.emplace_back(st->column_blob(c));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

db_result<db_rows> query_postgres(const std::string& url, std::string_view sql,
                                  const std::vector<db_value>& params,
                                  int connect_timeout_s) {
  auto conn = pg_connection::connect(url, connect_timeout_s);
  if (!conn)
    return conn.error();
  std::vector<pg_param> args;
  for (const auto& p : params) {
    if (auto* n = std::get_if<int64_t>(&p))
      args.push_back(pg_int(*n));
    else if (auto* d = std::get_if<double>(&p))
      args.push_back(pg_double(*d));
    else if (auto* s = std::get_if<std::string>(&p))
      args.push_back(pg_text(*s));
    else
      args.push_back(pg_param{{}, true, false});
  }
  auto res = conn->query(to_dollar(sql), args);
  if (!res)
    return res.error();
  db_rows rows;
  for (int r = 0; r < res->size(); ++r) {
    std::vector<db_value> row;
    for (int c = 0; c < res->columns(); ++c) {
      if (res->is_null(r, c))
        row.emplace_back(std::monostate{});
      else
        row.emplace_back(res->text(r, c));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

} // namespace

db_kind db_kind_of(std::string_view db) {
  return is_postgres_url(db) ? db_kind::postgres : db_kind::sqlite;
}

std::string sql_ms(db_kind kind, std::string_view column) {
  if (kind == db_kind::sqlite)
    return std::string{column};
  return "(extract(epoch FROM " + std::string{column} + ") * 1000)::bigint";
}

std::string sql_time(db_kind kind, int n) {
  auto param = "?" + std::to_string(n);
  if (kind == db_kind::sqlite)
    return param;
  return "('epoch'::timestamptz + " + param
         + "::bigint * interval '1 millisecond')";
}

bool db_rows::is_null(size_t row, size_t col) const {
  return std::holds_alternative<std::monostate>(rows_.at(row).at(col));
}

int64_t db_rows::int64(size_t row, size_t col) const {
  const auto& v = rows_.at(row).at(col);
  if (auto* n = std::get_if<int64_t>(&v))
    return *n;
  if (auto* d = std::get_if<double>(&v))
    return static_cast<int64_t>(*d);
  if (auto* s = std::get_if<std::string>(&v))
    return std::strtoll(s->c_str(), nullptr, 10);
  return 0;
}

double db_rows::real(size_t row, size_t col) const {
  const auto& v = rows_.at(row).at(col);
  if (auto* n = std::get_if<int64_t>(&v))
    return static_cast<double>(*n);
  if (auto* d = std::get_if<double>(&v))
    return *d;
  if (auto* s = std::get_if<std::string>(&v))
    return std::strtod(s->c_str(), nullptr);
  return 0;
}

std::string db_rows::text(size_t row, size_t col) const {
  const auto& v = rows_.at(row).at(col);
  if (auto* n = std::get_if<int64_t>(&v))
    return std::to_string(*n);
  if (auto* d = std::get_if<double>(&v))
    return std::to_string(*d);
  if (auto* s = std::get_if<std::string>(&v))
    return *s;
  return {};
}

db_result<db_rows> db_query(const std::string& db, std::string_view sql,
                            const std::vector<db_value>& params,
                            int busy_timeout_ms, int connect_timeout_s) {
  if (db_kind_of(db) == db_kind::postgres)
    return query_postgres(db, sql, params, connect_timeout_s);
  return query_sqlite(db, sql, params, busy_timeout_ms);
}

} // namespace vigil
