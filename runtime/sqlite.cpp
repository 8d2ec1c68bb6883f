#include "runtime/sqlite.hpp"

#include <filesystem>
#include <system_error>

#include <sqlite3.h>

namespace vigil {

db_error make_db_error(int rc, std::string_view what, std::string_view detail) {
  db_error result;
  result.code = rc;
  auto primary = rc & 0xff;
  result.retryable = primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
  result.message.reserve(what.size() + detail.size() + 2);
  result.message.append(what);
  result.message.append(": ");
  result.message.append(detail.empty() ? sqlite3_errstr(rc) : detail);
  return result;
}

// -- statement ----------------------------------------------------------------

statement::statement(sqlite3_stmt* handle) noexcept : handle_(handle) {
  // nop
}

statement::statement(statement&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)), bind_rc_(other.bind_rc_),
      error_(std::move(other.error_)) {
  // nop
}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
    bind_rc_ = other.bind_rc_;
    error_ = std::move(other.error_);
  }
  return *this;
}

statement::~statement() {
  sqlite3_finalize(handle_);
}

statement& statement::check_bind(int rc, int idx) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) {
    bind_rc_ = rc;
    error_ = make_db_error(rc, "bind parameter " + std::to_string(idx),
                           sqlite3_errstr(rc));
  }
  return *this;
}

statement& statement::bind(int idx, double value) {
  return check_bind(sqlite3_bind_double(handle_, idx, value), idx);
}

statement& statement::bind(int idx, std::string_view text) {
  return check_bind(sqlite3_bind_text64(handle_, idx, text.data(), text.size(),
                                        SQLITE_TRANSIENT, SQLITE_UTF8),
                    idx);
}

statement& statement::bind(int idx, std::nullptr_t) {
  return check_bind(sqlite3_bind_null(handle_, idx), idx);
}

statement& statement::bind_blob(int idx, std::string_view bytes) {
  // A zero-length BLOB, not NULL, for empty input.
  if (bytes.empty())
    return check_bind(sqlite3_bind_zeroblob(handle_, idx, 0), idx);
  return check_bind(sqlite3_bind_blob64(handle_, idx, bytes.data(),
                                        bytes.size(), SQLITE_TRANSIENT),
                    idx);
}

statement& statement::bind_int64(int idx, int64_t value) {
  return check_bind(sqlite3_bind_int64(handle_, idx, value), idx);
}

step_result statement::step() {
  if (bind_rc_ != SQLITE_OK)
    return step_result::error;
  auto rc = sqlite3_step(handle_);
  if (rc == SQLITE_ROW)
    return step_result::row;
  if (rc == SQLITE_DONE)
    return step_result::done;
  auto* db = sqlite3_db_handle(handle_);
  // The start of the SQL text identifies the statement well enough.
  std::string_view sql = sqlite3_sql(handle_);
  error_ = make_db_error(sqlite3_extended_errcode(db), sql.substr(0, 48),
                         sqlite3_errmsg(db));
  return step_result::error;
}

db_status statement::run() {
  auto result = step();
  db_status status;
  if (result == step_result::error)
    status = error_;
  reset();
  return status;
}

void statement::reset() {
  sqlite3_reset(handle_);
  sqlite3_clear_bindings(handle_);
  bind_rc_ = SQLITE_OK;
}

int statement::column_count() const noexcept {
  return sqlite3_column_count(handle_);
}

int statement::column_type(int idx) const noexcept {
  return sqlite3_column_type(handle_, idx);
}

bool statement::column_is_null(int idx) const noexcept {
  return sqlite3_column_type(handle_, idx) == SQLITE_NULL;
}

int64_t statement::column_int64(int idx) const noexcept {
  return sqlite3_column_int64(handle_, idx);
}

double statement::column_double(int idx) const noexcept {
  return sqlite3_column_double(handle_, idx);
}

std::string statement::column_text(int idx) const {
  auto* text = sqlite3_column_text(handle_, idx);
  auto size = sqlite3_column_bytes(handle_, idx);
  if (text == nullptr)
    return {};
  return std::string{reinterpret_cast<const char*>(text),
                     static_cast<size_t>(size)};
}

std::string statement::column_blob(int idx) const {
  auto* bytes = sqlite3_column_blob(handle_, idx);
  auto size = sqlite3_column_bytes(handle_, idx);
  if (bytes == nullptr)
    return {};
  return std::string{static_cast<const char*>(bytes),
                     static_cast<size_t>(size)};
}

// -- sqlite_db ----------------------------------------------------------------

sqlite_db::sqlite_db(sqlite_db&& other) noexcept
    : handle_(std::exchange(other.handle_, nullptr)) {
  // nop
}

sqlite_db& sqlite_db::operator=(sqlite_db&& other) noexcept {
  if (this != &other) {
    sqlite3_close_v2(handle_);
    handle_ = std::exchange(other.handle_, nullptr);
  }
  return *this;
}

sqlite_db::~sqlite_db() {
  // close_v2 defers the close until all statements are finalized.
  sqlite3_close_v2(handle_);
}

db_result<sqlite_db> sqlite_db::open(const std::string& path, open_mode mode,
                                     int busy_timeout_ms) {
  int flags = SQLITE_OPEN_NOMUTEX;
  if (mode == open_mode::read_only) {
    flags |= SQLITE_OPEN_READONLY;
  } else if (mode == open_mode::read_write) {
    flags |= SQLITE_OPEN_READWRITE;
  } else {
    flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    auto parent = std::filesystem::path{path}.parent_path();
    if (!parent.empty() && path != ":memory:") {
      std::error_code ec;
      std::filesystem::create_directories(parent, ec);
      if (ec)
        return make_db_error(SQLITE_CANTOPEN,
                             "create directory " + parent.string(),
                             ec.message());
    }
  }
  sqlite3* handle = nullptr;
  auto rc = sqlite3_open_v2(path.c_str(), &handle, flags, nullptr);
  // Wrap first so that the handle is closed on every path.
  sqlite_db db{handle};
  if (rc != SQLITE_OK)
    return make_db_error(rc, "open " + path,
                         handle != nullptr ? sqlite3_errmsg(handle) : "");
  sqlite3_extended_result_codes(handle, 1);
  sqlite3_busy_timeout(handle, busy_timeout_ms);
  if (mode == open_mode::read_write_create) {
    if (auto st = db.exec("PRAGMA journal_mode=WAL; "
                          "PRAGMA synchronous=NORMAL;");
        !st)
      return st.error();
  }
  return db;
}

db_error sqlite_db::last_error(int rc, std::string_view what) const {
  return make_db_error(rc, what, sqlite3_errmsg(handle_));
}

db_status sqlite_db::exec(const std::string& sql) {
  char* message = nullptr;
  auto rc = sqlite3_exec(handle_, sql.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK)
    return {};
  auto rc_ext = sqlite3_extended_errcode(handle_);
  auto err = make_db_error(rc_ext, sql, message != nullptr ? message : "");
  sqlite3_free(message);
  return err;
}

db_result<statement> sqlite_db::prepare(std::string_view sql) {
  sqlite3_stmt* handle = nullptr;
  auto rc
      = sqlite3_prepare_v3(handle_, sql.data(), static_cast<int>(sql.size()),
                           SQLITE_PREPARE_PERSISTENT, &handle, nullptr);
  if (rc != SQLITE_OK)
    return last_error(sqlite3_extended_errcode(handle_),
                      "prepare " + std::string{sql});
  return statement{handle};
}

db_status sqlite_db::begin_immediate() {
  return exec("BEGIN IMMEDIATE");
}

db_status sqlite_db::commit() {
  return exec("COMMIT");
}

db_status sqlite_db::rollback() {
  if (!in_transaction())
    return {};
  return exec("ROLLBACK");
}

bool sqlite_db::in_transaction() const noexcept {
  return handle_ != nullptr && sqlite3_get_autocommit(handle_) == 0;
}

db_status probe_write_lock(const std::string& path, int busy_timeout_ms) {
  auto db = sqlite_db::open(path, open_mode::read_write, busy_timeout_ms);
  if (!db)
    return db.error();
  if (auto st = db.value().begin_immediate(); !st)
    return st;
  return db.value().rollback();
}

} // namespace vigil
