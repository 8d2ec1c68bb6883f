#define BOOST_TEST_MODULE pg
#include <boost/test/unit_test.hpp>

// The parts of the libpq layer and the readers' SQL that need no server:
// COPY escaping, which errors are retried, the advice at start, and the
// dialects of time columns. (Everything that talks to a server is tested
// against a real one: postgres_test, postgres_reliability_test.)

#include <string>

#include "runtime/db_reader.hpp"
#include "runtime/pg.hpp"

using namespace vigil;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

BOOST_AUTO_TEST_CASE(copy_fields_escape_backslashes_tabs_and_newlines) {
  std::string out;
  append_copy_field(out, "a\tb\\c\nd\re");
  BOOST_CHECK_EQUAL(out, "a\\tb\\\\c\\nd\\re");
  out.clear();
  append_copy_field(out, "plain 'text'");
  BOOST_CHECK_EQUAL(out, "plain 'text'");
}

BOOST_AUTO_TEST_CASE(lost_connections_and_conflicts_are_retryable_others_not) {
  for (auto code : {"08006", "08001", "57P01", "57P03", "40001", "40P01"})
    BOOST_CHECK_MESSAGE(pg_retryable_state(code), code);
  for (auto code : {"42501", "28P01", "3D000", "23505", "21000", "", "08"})
    BOOST_CHECK_MESSAGE(!pg_retryable_state(code), code);
}

BOOST_AUTO_TEST_CASE(connection_failures_name_the_part_of_the_url_to_fix) {
  auto url = "postgresql://vigil:secret@db:5432/vigil";
  auto pw = pg_connect_advice(
      url, "FATAL:  password authentication failed for user \"vigil\"");
  BOOST_CHECK(contains(pw, "fix the user or password in --db"));
  BOOST_CHECK(!contains(pw, "secret"));
  BOOST_CHECK(contains(pw, "postgresql://vigil:***@db:5432/vigil"));
  BOOST_CHECK(contains(
      pg_connect_advice(url, "FATAL:  database \"vigil\" does not exist"),
      "fix the database name at the end of --db"));
  BOOST_CHECK(
      contains(pg_connect_advice(url, "FATAL:  role \"x\" does not exist"),
               "fix the user name in --db"));
  BOOST_CHECK(contains(
      pg_connect_advice(url, "connection to server at \"db\" (10.0.0.1), "
                             "port 5432 failed: Connection refused"),
      "check the host and port of --db"));
  BOOST_CHECK(pg_connect_advice(url, "something else").empty());
}

BOOST_AUTO_TEST_CASE(time_columns_are_epoch_milliseconds_in_both_dialects) {
  BOOST_CHECK(db_kind_of("./data/vigil.db") == db_kind::sqlite);
  BOOST_CHECK(db_kind_of("postgres://h/db") == db_kind::postgres);
  BOOST_CHECK_EQUAL(sql_ms(db_kind::sqlite, "window_start"), "window_start");
  BOOST_CHECK_EQUAL(sql_ms(db_kind::postgres, "window_start"),
                    "(extract(epoch FROM window_start) * 1000)::bigint");
  BOOST_CHECK_EQUAL(sql_time(db_kind::sqlite, 2), "?2");
  BOOST_CHECK(contains(sql_time(db_kind::postgres, 2), "?2::bigint"));
}

BOOST_AUTO_TEST_CASE(sqlite_reads_keep_integer_double_text_and_null_cells) {
  // db_query over a real SQLite file made by the test.
  auto rows = db_query(":memory:", "SELECT 7, 2.5, 'x', NULL, ?1, ?2",
                       {int64_t{42}, std::string{"y"}});
  BOOST_REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
  BOOST_REQUIRE_EQUAL(rows->size(), 1u);
  BOOST_CHECK_EQUAL(rows->int64(0, 0), 7);
  BOOST_CHECK_EQUAL(rows->real(0, 1), 2.5);
  BOOST_CHECK_EQUAL(rows->text(0, 2), "x");
  BOOST_CHECK(rows->is_null(0, 3));
  BOOST_CHECK_EQUAL(rows->int64(0, 4), 42);
  BOOST_CHECK_EQUAL(rows->text(0, 5), "y");
}
