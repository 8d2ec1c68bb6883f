#pragma once

// The result type of every database call, SQLite or PostgreSQL: a value or an
// error that says whether retrying can help.

#include <string>
#include <utility>
#include <variant>

namespace vigil {

/// A failed database call (SQLite or PostgreSQL).
struct db_error {
  /// Extended SQLite result code (e.g. SQLITE_BUSY_SNAPSHOT), 0 if none or
  /// on PostgreSQL.
  int code = 0;
  /// True if the same call may succeed later: SQLITE_BUSY and SQLITE_LOCKED
  /// (another connection holds a lock), a lost or refused PostgreSQL
  /// connection, a serialization failure or a deadlock.
  bool retryable = false;
  /// Human-readable description, including the failing operation.
  std::string message;
};

/// Either a value or a `db_error`. Constructors are implicit on purpose (as
/// in `caf::expected`): functions `return value;` or `return error;`.
template <class T>
class db_result {
public:
  db_result(T value) : value_(std::move(value)) {
    // nop
  }

  db_result(db_error err) : value_(std::move(err)) {
    // nop
  }

  /// True if this holds a value.
  explicit operator bool() const noexcept {
    return value_.index() == 0;
  }

  /// The value; requires `*this` to be true.
  T& value() {
    return std::get<0>(value_);
  }

  const T& value() const {
    return std::get<0>(value_);
  }

  T& operator*() {
    return value();
  }

  T* operator->() {
    return &value();
  }

  /// The error; requires `*this` to be false.
  const db_error& error() const {
    return std::get<1>(value_);
  }

private:
  std::variant<T, db_error> value_;
};

/// Success or a `db_error`.
template <>
class db_result<void> {
public:
  db_result() = default;

  db_result(db_error err) : failed_(true), error_(std::move(err)) {
    // nop
  }

  /// True on success.
  explicit operator bool() const noexcept {
    return !failed_;
  }

  /// The error; meaningful only if `*this` is false.
  const db_error& error() const noexcept {
    return error_;
  }

private:
  bool failed_ = false;
  db_error error_;
};

/// Success or a `db_error`.
using db_status = db_result<void>;

} // namespace vigil
