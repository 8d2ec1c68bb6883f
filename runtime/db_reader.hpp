#pragma once

// Short-lived read connections of the readers (HTTP API, console, doctor) to
// either database `--db` names: a SQLite file (opened read-only) or a
// PostgreSQL URL. Queries are written once with `?N` parameters; times are
// epoch milliseconds on both, through `sql_ms` and `sql_time`.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "runtime/db_error.hpp"

namespace vigil {

/// The database behind a `--db` value.
enum class db_kind {
  /// A SQLite file; times are INTEGER epoch milliseconds.
  sqlite,
  /// A PostgreSQL server; times are TIMESTAMPTZ.
  postgres,
};

/// The kind of database `db` names.
db_kind db_kind_of(std::string_view db);

/// SQL for the time column `column` as epoch milliseconds (a BIGINT).
std::string sql_ms(db_kind kind, std::string_view column);

/// SQL for the epoch-milliseconds parameter `?n` as a value comparable with
/// a time column.
std::string sql_time(db_kind kind, int n);

/// One query parameter or cell.
using db_value = std::variant<std::monostate, int64_t, double, std::string>;

/// The rows of a query; cells convert between text and numbers on demand.
class db_rows {
public:
  /// Number of rows.
  size_t size() const noexcept {
    return rows_.size();
  }

  /// True if the cell is NULL.
  bool is_null(size_t row, size_t col) const;

  /// The cell as an integer (0 if NULL).
  int64_t int64(size_t row, size_t col) const;

  /// The cell as a double (0 if NULL).
  double real(size_t row, size_t col) const;

  /// The cell as text (empty if NULL).
  std::string text(size_t row, size_t col) const;

  /// Appends a row.
  void push_back(std::vector<db_value> row) {
    rows_.push_back(std::move(row));
  }

private:
  std::vector<std::vector<db_value>> rows_;
};

/// Runs the one statement `sql` (parameters `?1`, `?2`, ...) with `params`
/// over a new read connection to `db` and returns its rows. SQLite opens
/// read-only and waits up to `busy_timeout_ms` for a lock; PostgreSQL waits
/// up to `connect_timeout_s` to connect.
db_result<db_rows> db_query(const std::string& db, std::string_view sql,
                            const std::vector<db_value>& params = {},
                            int busy_timeout_ms = 1000,
                            int connect_timeout_s = 2);

} // namespace vigil
