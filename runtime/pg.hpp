#pragma once

// A thin RAII layer over libpq: a connection, parameterized queries, COPY
// and errors that say whether retrying can help (a lost connection, a server
// shutting down or starting up, a serialization failure or a deadlock).

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/db_error.hpp"

struct pg_conn;
struct pg_result;

namespace vigil {

/// One query parameter, sent as text (or bytes for `bytea` when `binary`).
struct pg_param {
  /// The value in PostgreSQL's text form, or the raw bytes if `binary`.
  std::string value;
  /// Sends SQL NULL.
  bool null = false;
  /// Sends `value` as raw bytes (binary format), for `bytea` columns.
  bool binary = false;
};

/// A text parameter.
pg_param pg_text(std::string value);

/// An integer parameter.
pg_param pg_int(int64_t value);

/// A floating-point parameter that reads back as the same double.
pg_param pg_double(double value);

/// A `bytea` parameter.
pg_param pg_bytes(std::string bytes);

/// The rows of one query, all columns in text form.
class pg_rows {
public:
  /// Frees a libpq result.
  struct deleter {
    void operator()(pg_result* res) const noexcept;
  };

  pg_rows() = default;

  /// Takes ownership of a libpq result.
  explicit pg_rows(pg_result* res) noexcept;

  /// Number of rows.
  int size() const noexcept;

  /// Number of columns.
  int columns() const noexcept;

  /// True if the cell is NULL.
  bool is_null(int row, int col) const noexcept;

  /// The cell as text.
  std::string text(int row, int col) const;

  /// The cell as an integer (0 if NULL).
  int64_t int64(int row, int col) const noexcept;

  /// The cell as a double (0 if NULL).
  double real(int row, int col) const noexcept;

  /// A `bytea` cell, decoded.
  std::string bytes(int row, int col) const;

private:
  std::unique_ptr<pg_result, deleter> res_;
};

/// One PostgreSQL connection.
class pg_connection {
public:
  pg_connection() = default;

  /// Connects to `url` (`postgresql://user[:pass]@host[:port]/dbname`),
  /// waiting at most `connect_timeout_s` seconds. A refused or lost
  /// connection is retryable; a wrong password, a missing database or a
  /// missing role is not, and its message says which part of the `--db` URL
  /// to fix.
  static db_result<pg_connection> connect(const std::string& url,
                                          int connect_timeout_s = 5);

  /// Runs one or more SQL statements that return no rows.
  db_status exec(const std::string& sql);

  /// Runs one statement with `$1`.. parameters; returns its rows.
  db_result<pg_rows> query(std::string_view sql,
                           const std::vector<pg_param>& params = {});

  /// Runs `copy_sql` (`COPY t FROM STDIN`) and sends `data` in COPY's text
  /// format.
  db_status copy_in(const std::string& copy_sql, const std::string& data);

  /// True while the connection is usable.
  bool ok() const noexcept;

  /// True if a transaction is open (or failed and not yet rolled back).
  bool in_transaction() const noexcept;

  /// The connection's user, host, port and database as libpq resolved them:
  /// `user@host:port/dbname`.
  std::string describe() const;

private:
  struct deleter {
    void operator()(pg_conn* conn) const noexcept;
  };

  db_error error_of(pg_result* res, std::string_view what) const;

  std::unique_ptr<pg_conn, deleter> conn_;
};

/// Escapes `text` for one field of COPY's text format.
void append_copy_field(std::string& out, std::string_view text);

/// True for SQLSTATE codes after which the same statement may succeed later
/// (connection exceptions, server shutdown or start, serialization failures,
/// deadlocks, lock timeouts, too many connections).
bool pg_retryable_state(std::string_view sqlstate);

/// One sentence saying which part of the `--db` URL `url` (password
/// redacted) to fix for the libpq connection failure `message`, or empty if
/// the failure does not point at a setting (e.g. the server is down).
std::string pg_connect_advice(std::string_view url, std::string_view message);

} // namespace vigil
