#include "runtime/pg.hpp"

#include <libpq-fe.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "runtime/db_location.hpp"

namespace vigil {

namespace {

/// Drops the server's notices ("relation ... already exists, skipping").
void ignore_notice(void*, const char*) {
  // nop
}

std::string trimmed(const char* text) {
  std::string out = text != nullptr ? text : "";
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

/// True if a failed connection attempt may succeed later (the server is
/// down, starting or shutting down, or unreachable for now).
bool retryable_connect(std::string_view message) {
  for (auto fatal : {"password authentication failed", "no password supplied",
                     "authentication failed", "does not exist", "pg_hba.conf",
                     "permission denied", "invalid URI",
                     "invalid connection option", "could not translate host"})
    if (contains(message, fatal))
      return false;
  return true;
}

} // namespace

pg_param pg_text(std::string value) {
  return pg_param{std::move(value), false, false};
}

pg_param pg_int(int64_t value) {
  return pg_param{std::to_string(value), false, false};
}

pg_param pg_double(double value) {
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.17g", value);
  return pg_param{buf.data(), false, false};
}

pg_param pg_bytes(std::string bytes) {
  return pg_param{std::move(bytes), false, true};
}

// -- pg_rows ------------------------------------------------------------------

void pg_rows::deleter::operator()(pg_result* res) const noexcept {
  PQclear(res);
}

pg_rows::pg_rows(pg_result* res) noexcept : res_(res) {
  // nop
}

int pg_rows::size() const noexcept {
  return res_ ? PQntuples(res_.get()) : 0;
}

int pg_rows::columns() const noexcept {
  return res_ ? PQnfields(res_.get()) : 0;
}

bool pg_rows::is_null(int row, int col) const noexcept {
  return PQgetisnull(res_.get(), row, col) != 0;
}

std::string pg_rows::text(int row, int col) const {
  if (is_null(row, col))
    return {};
  return std::string{PQgetvalue(res_.get(), row, col),
                     static_cast<size_t>(PQgetlength(res_.get(), row, col))};
}

int64_t pg_rows::int64(int row, int col) const noexcept {
  if (is_null(row, col))
    return 0;
  return std::strtoll(PQgetvalue(res_.get(), row, col), nullptr, 10);
}

double pg_rows::real(int row, int col) const noexcept {
  if (is_null(row, col))
    return 0;
  return std::strtod(PQgetvalue(res_.get(), row, col), nullptr);
}

std::string pg_rows::bytes(int row, int col) const {
  if (is_null(row, col))
    return {};
  size_t n = 0;
  auto* raw = PQunescapeBytea(
      reinterpret_cast<const unsigned char*>(PQgetvalue(res_.get(), row, col)),
      &n);
  if (raw == nullptr)
    return {};
  std::string out{reinterpret_cast<const char*>(raw), n};
  PQfreemem(raw);
  return out;
}

// -- pg_connection ------------------------------------------------------------

void pg_connection::deleter::operator()(pg_conn* conn) const noexcept {
  PQfinish(conn);
}

db_result<pg_connection> pg_connection::connect(const std::string& url,
                                                int connect_timeout_s) {
  const char* keys[]
      = {"dbname", "connect_timeout", "application_name", nullptr};
  auto timeout = std::to_string(connect_timeout_s);
  const char* values[] = {url.c_str(), timeout.c_str(), "vigil", nullptr};
  // expand_dbname = 1: `dbname` is the URL; its own parameters win.
  pg_connection out;
  out.conn_.reset(PQconnectdbParams(keys, values, 1));
  if (!out.conn_)
    return db_error{0, false, "out of memory connecting to PostgreSQL"};
  if (PQstatus(out.conn_.get()) != CONNECTION_OK) {
    auto message = trimmed(PQerrorMessage(out.conn_.get()));
    auto text = "cannot connect to PostgreSQL at " + redact_db_url(url) + ": "
                + message;
    if (auto advice = pg_connect_advice(url, message); !advice.empty())
      text += "; " + advice;
    return db_error{0, retryable_connect(message), std::move(text)};
  }
  PQsetNoticeProcessor(out.conn_.get(), ignore_notice, nullptr);
  return out;
}

bool pg_connection::ok() const noexcept {
  return conn_ && PQstatus(conn_.get()) == CONNECTION_OK;
}

bool pg_connection::in_transaction() const noexcept {
  if (!conn_)
    return false;
  auto st = PQtransactionStatus(conn_.get());
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

std::string pg_connection::describe() const {
  if (!conn_)
    return "(not connected)";
  return trimmed(PQuser(conn_.get())) + "@" + trimmed(PQhost(conn_.get())) + ":"
         + trimmed(PQport(conn_.get())) + "/" + trimmed(PQdb(conn_.get()));
}

db_error pg_connection::error_of(pg_result* res, std::string_view what) const {
  db_error err;
  std::string state;
  if (res != nullptr)
    state = trimmed(PQresultErrorField(res, PG_DIAG_SQLSTATE));
  auto message = res != nullptr ? trimmed(PQresultErrorMessage(res)) : "";
  if (message.empty() && conn_)
    message = trimmed(PQerrorMessage(conn_.get()));
  err.retryable = !ok() || pg_retryable_state(state);
  err.message = std::string{what} + ": " + message;
  if (!state.empty())
    err.message += " (SQLSTATE " + state + ")";
  if (state == "42501")
    err.message += "; grant the --db URL's user the privilege named above "
                   "(e.g. GRANT ALL ON SCHEMA public TO the user) or connect "
                   "as the owner of the database";
  return err;
}

db_status pg_connection::exec(const std::string& sql) {
  if (!conn_)
    return db_error{0, true, "not connected to PostgreSQL"};
  std::unique_ptr<pg_result, pg_rows::deleter> res{
      PQexec(conn_.get(), sql.c_str())};
  auto st = res ? PQresultStatus(res.get()) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return error_of(res.get(), "PostgreSQL");
  return {};
}

db_result<pg_rows> pg_connection::query(std::string_view sql,
                                        const std::vector<pg_param>& params) {
  if (!conn_)
    return db_error{0, true, "not connected to PostgreSQL"};
  std::vector<const char*> values;
  std::vector<int> lengths;
  std::vector<int> formats;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  std::string text{sql};
  auto* res
      = PQexecParams(conn_.get(), text.c_str(), static_cast<int>(params.size()),
                     nullptr, values.data(), lengths.data(), formats.data(), 0);
  pg_rows rows{res};
  auto st = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    return error_of(res, "PostgreSQL");
  return rows;
}

db_status pg_connection::copy_in(const std::string& copy_sql,
                                 const std::string& data) {
  if (!conn_)
    return db_error{0, true, "not connected to PostgreSQL"};
  std::unique_ptr<pg_result, pg_rows::deleter> res{
      PQexec(conn_.get(), copy_sql.c_str())};
  if (!res || PQresultStatus(res.get()) != PGRES_COPY_IN)
    return error_of(res.get(), "PostgreSQL COPY");
  res.reset();
  auto sent
      = PQputCopyData(conn_.get(), data.data(), static_cast<int>(data.size()));
  auto ended = sent == 1 ? PQputCopyEnd(conn_.get(), nullptr) : -1;
  // Read every result, the last one says how COPY ended.
  db_status status;
  while (auto* r = PQgetResult(conn_.get())) {
    std::unique_ptr<pg_result, pg_rows::deleter> guard{r};
    if (PQresultStatus(r) != PGRES_COMMAND_OK && status)
      status = error_of(r, "PostgreSQL COPY");
  }
  if (status && (sent != 1 || ended != 1))
    status = error_of(nullptr, "PostgreSQL COPY");
  return status;
}

void append_copy_field(std::string& out, std::string_view text) {
  for (auto c : text) {
    switch (c) {
    case '\\':
      out += "\\\\";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    default:
      out += c;
    }
  }
}

bool pg_retryable_state(std::string_view sqlstate) {
  if (sqlstate.size() != 5)
    return false;
  if (sqlstate.substr(0, 2) == "08")
    return true;
  for (auto code :
       {"57P01", "57P02", "57P03", "40001", "40P01", "55P03", "53300", "57014"})
    if (sqlstate == code)
      return true;
  return false;
}

std::string pg_connect_advice(std::string_view url, std::string_view message) {
  auto shown = redact_db_url(url);
  if (contains(message, "password authentication failed")
      || contains(message, "no password supplied"))
    return "fix the user or password in --db " + shown
           + " (postgresql://USER:PASSWORD@host/db; or give the password in "
             "PGPASSWORD or ~/.pgpass)";
  if (contains(message, "database") && contains(message, "does not exist"))
    return "fix the database name at the end of --db " + shown
           + " or create it (createdb, or CREATE DATABASE as its owner)";
  if (contains(message, "role") && contains(message, "does not exist"))
    return "fix the user name in --db " + shown
           + " or create the role (CREATE ROLE ... LOGIN PASSWORD ...)";
  if (contains(message, "pg_hba.conf"))
    return "the server refuses this user, host or database in pg_hba.conf: "
           "fix the --db URL or ask the server's administrator to allow it";
  if (contains(message, "permission denied"))
    return "the user in --db " + shown
           + " may not connect to this database: GRANT CONNECT to it or use "
             "another user";
  if (contains(message, "Connection refused")
      || contains(message, "could not translate host")
      || contains(message, "timeout expired"))
    return "check the host and port of --db " + shown
           + " and that PostgreSQL runs there ('vigil doctor' checks it)";
  return {};
}

} // namespace vigil
