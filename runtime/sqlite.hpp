#pragma once

// A thin RAII layer over the SQLite C API: connections, prepared statements,
// transactions and errors that say whether retrying can help.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "runtime/db_error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace vigil {

/// Outcome of one `statement::step`.
enum class step_result { row, done, error };

/// A prepared statement; reusable through `reset`. Bind errors are remembered
/// and reported by the next `step`.
class statement {
public:
  statement() = default;

  explicit statement(sqlite3_stmt* handle) noexcept;

  statement(statement&& other) noexcept;

  statement& operator=(statement&& other) noexcept;

  statement(const statement&) = delete;

  statement& operator=(const statement&) = delete;

  ~statement();

  /// Binds an integer to the 1-based parameter `idx`.
  template <class Int,
            std::enable_if_t<
                std::is_integral_v<Int> && !std::is_same_v<Int, bool>, int> = 0>
  statement& bind(int idx, Int value) {
    return bind_int64(idx, static_cast<int64_t>(value));
  }

  /// Binds a floating-point number to the 1-based parameter `idx`.
  statement& bind(int idx, double value);

  /// Binds text (copied) to the 1-based parameter `idx`.
  statement& bind(int idx, std::string_view text);

  /// Binds NULL to the 1-based parameter `idx`.
  statement& bind(int idx, std::nullptr_t);

  /// Binds a BLOB (copied) to the 1-based parameter `idx`.
  statement& bind_blob(int idx, std::string_view bytes);

  /// Binds a 64-bit integer to the 1-based parameter `idx`.
  statement& bind_int64(int idx, int64_t value);

  /// Runs the statement until the next row or the end.
  step_result step();

  /// Runs a statement that returns no rows (step, then reset).
  db_status run();

  /// The error of the last failed `step` or bind.
  const db_error& error() const noexcept {
    return error_;
  }

  /// Rewinds the statement and clears its bindings.
  void reset();

  /// Number of columns of the current row.
  int column_count() const noexcept;

  /// The SQLite type (SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT, SQLITE_BLOB
  /// or SQLITE_NULL) of the 0-based column `idx` of the current row.
  int column_type(int idx) const noexcept;

  /// True if the 0-based column `idx` of the current row is NULL.
  bool column_is_null(int idx) const noexcept;

  /// The 0-based column `idx` of the current row as an integer.
  int64_t column_int64(int idx) const noexcept;

  /// The 0-based column `idx` of the current row as a double.
  double column_double(int idx) const noexcept;

  /// The 0-based column `idx` of the current row as text.
  std::string column_text(int idx) const;

  /// The 0-based column `idx` of the current row as bytes.
  std::string column_blob(int idx) const;

  /// True if this object holds a prepared statement.
  bool valid() const noexcept {
    return handle_ != nullptr;
  }

private:
  statement& check_bind(int rc, int idx);

  sqlite3_stmt* handle_ = nullptr;
  int bind_rc_ = 0;
  db_error error_;
};

/// How to open a database.
enum class open_mode {
  /// Read-only, short-lived connections of readers (dashboard, console).
  read_only,
  /// An existing database, read-write, never created and its journal mode
  /// left as it is (probes that take the write lock briefly).
  read_write,
  /// The writer: creates the file (and its directory), WAL mode,
  /// synchronous=NORMAL.
  read_write_create,
};

/// One SQLite connection.
class sqlite_db {
public:
  sqlite_db() = default;

  sqlite_db(sqlite_db&& other) noexcept;

  sqlite_db& operator=(sqlite_db&& other) noexcept;

  sqlite_db(const sqlite_db&) = delete;

  sqlite_db& operator=(const sqlite_db&) = delete;

  ~sqlite_db();

  /// Opens `path`. In `read_write_create` mode, creates the parent directory
  /// if missing and switches the database to WAL with synchronous=NORMAL.
  /// Calls that find the database locked wait up to `busy_timeout_ms`.
  static db_result<sqlite_db> open(const std::string& path, open_mode mode,
                                   int busy_timeout_ms = 5000);

  /// Runs one or more SQL statements that return no rows.
  db_status exec(const std::string& sql);

  /// Compiles one SQL statement.
  db_result<statement> prepare(std::string_view sql);

  /// Starts a write transaction, taking the write lock now.
  db_status begin_immediate();

  /// Commits the open transaction.
  db_status commit();

  /// Rolls back the open transaction, if any.
  db_status rollback();

  /// True while a transaction is open.
  bool in_transaction() const noexcept;

  /// The underlying handle, for calls this wrapper does not cover.
  sqlite3* native() const noexcept {
    return handle_;
  }

  /// The error of the last call on this connection, tagged with `what`.
  db_error last_error(int rc, std::string_view what) const;

private:
  explicit sqlite_db(sqlite3* handle) noexcept : handle_(handle) {
    // nop
  }

  sqlite3* handle_ = nullptr;
};

/// Takes the write lock of the existing database `path` and releases it at
/// once (BEGIN IMMEDIATE; ROLLBACK), waiting up to `busy_timeout_ms` for
/// it: whether a writer could write now. Never creates the file.
db_status probe_write_lock(const std::string& path, int busy_timeout_ms);

/// Builds a `db_error` from a SQLite result code.
db_error make_db_error(int rc, std::string_view what, std::string_view detail);

} // namespace vigil
