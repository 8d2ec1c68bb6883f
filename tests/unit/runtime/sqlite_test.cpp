#define BOOST_TEST_MODULE sqlite
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

#include "runtime/sqlite.hpp"

using namespace vigil;

namespace fs = std::filesystem;

namespace {

struct fixture {
  fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path()
          / ("vigil-sqlite-test-" + std::to_string(::getpid()) + "-"
             + std::to_string(rd()));
  }

  ~fixture() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  fs::path dir;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(sqlite_tests, fixture)

BOOST_AUTO_TEST_CASE(opening_a_missing_file_read_only_fails_with_its_name) {
  auto path = (dir / "missing.db").string();
  auto db = sqlite_db::open(path, open_mode::read_only);
  BOOST_REQUIRE(!db);
  BOOST_TEST(!db.error().retryable);
  BOOST_TEST(db.error().message.find(path) != std::string::npos);
  BOOST_TEST(!fs::exists(dir));
}

BOOST_AUTO_TEST_CASE(a_prepared_statement_is_reused_after_reset) {
  auto db
      = sqlite_db::open((dir / "x.db").string(), open_mode::read_write_create);
  BOOST_REQUIRE(db);
  BOOST_REQUIRE(db->exec("CREATE TABLE t (k INTEGER, v REAL, s TEXT, b BLOB)"));
  auto insert = db->prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  BOOST_REQUIRE(insert);
  for (int i = 0; i < 3; ++i) {
    insert->bind(1, i).bind(2, i * 0.5).bind(3, std::string_view{"s"});
    if (i == 1)
      insert->bind(4, nullptr);
    else
      insert->bind_blob(4, std::string_view{"a\0b", 3});
    BOOST_REQUIRE(insert->run());
  }
  auto select = db->prepare("SELECT k, v, s, b FROM t ORDER BY k");
  BOOST_REQUIRE(select);
  int rows = 0;
  while (select->step() == step_result::row) {
    BOOST_TEST(select->column_int64(0) == rows);
    BOOST_TEST(select->column_double(1) == rows * 0.5);
    BOOST_TEST(select->column_text(2) == "s");
    BOOST_TEST(select->column_is_null(3) == (rows == 1));
    if (rows != 1)
      BOOST_TEST(select->column_blob(3) == std::string("a\0b", 3));
    ++rows;
  }
  BOOST_TEST(rows == 3);
}

BOOST_AUTO_TEST_CASE(a_bind_error_is_reported_by_the_next_step) {
  auto db = sqlite_db::open(":memory:", open_mode::read_write_create);
  BOOST_REQUIRE(db);
  auto stmt = db->prepare("SELECT ?1");
  BOOST_REQUIRE(stmt);
  stmt->bind(5, 1);
  BOOST_TEST((stmt->step() == step_result::error));
  BOOST_TEST(stmt->error().message.find("bind parameter 5")
             != std::string::npos);
  stmt->reset();
  stmt->bind(1, 1);
  BOOST_TEST((stmt->step() == step_result::row));
}

BOOST_AUTO_TEST_CASE(a_second_writer_gets_a_retryable_busy_error) {
  auto path = (dir / "busy.db").string();
  auto a = sqlite_db::open(path, open_mode::read_write_create, 0);
  auto b = sqlite_db::open(path, open_mode::read_write_create, 0);
  BOOST_REQUIRE(a);
  BOOST_REQUIRE(b);
  BOOST_REQUIRE(a->begin_immediate());
  BOOST_TEST(a->in_transaction());
  auto st = b->begin_immediate();
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.error().retryable);
  BOOST_TEST(!b->in_transaction());
  BOOST_REQUIRE(a->rollback());
  BOOST_TEST(static_cast<bool>(b->begin_immediate()));
  BOOST_TEST(static_cast<bool>(b->commit()));
}

BOOST_AUTO_TEST_CASE(invalid_sql_is_not_retryable) {
  auto db = sqlite_db::open(":memory:", open_mode::read_write_create);
  BOOST_REQUIRE(db);
  auto st = db->exec("SELEKT 1");
  BOOST_REQUIRE(!st);
  BOOST_TEST(!st.error().retryable);
  BOOST_TEST(!static_cast<bool>(db->prepare("SELEKT 1")));
}

BOOST_AUTO_TEST_SUITE_END()
