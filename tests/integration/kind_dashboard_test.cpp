#define BOOST_TEST_MODULE kind_dashboard
#include <boost/test/unit_test.hpp>

// The dashboard of a sensor or trade node in real headless Chromium: `vigil
// demo --kind trade|sensor` (embedded broker, generator, node) serves web/
// (vendored into the build with uPlot), and kind_dashboard.mjs
// (playwright-core, Debian's /usr/bin/chromium) checks what an operator
// would see: the kind view instead of the service cards, every key with its
// latest window, and for trade the candles of a chosen symbol drawn, the
// demo's price jump listed as an anomaly; for sensor its 16 sensors and one
// chart per measure.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include <sqlite3.h>

#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Runs `sql` (one integer result) on a read-only connection; -1 if the
/// database or table is not there yet.
int64_t query_int(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
      == SQLITE_OK) {
    sqlite3_busy_timeout(h, 200);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

/// `vigil demo --kind KIND` serving the dashboard on a free port.
struct demo_fixture {
  test::temp_dir dir;
  std::string db = dir.file("vigil.db");
  std::unique_ptr<test::background_process> demo;
  int port = 0;

  ~demo_fixture() {
    if (demo && demo->running()) {
      demo->signal(SIGTERM);
      if (demo->wait(30s) == -1000)
        demo->signal(SIGKILL);
    }
  }

  /// Starts the demo and waits for the address it announces and for
  /// `table` to hold `keys` keys with at least 10 windows of history each.
  void start(const std::string& kind, const std::string& table,
             const std::string& key_columns, int64_t keys) {
    demo = std::make_unique<test::background_process>(
        std::vector<std::string>{test::vigil_binary(), "demo", "--kind", kind,
                                 "--db", db, "--http-port", "0",
                                 "--console-port", "0"},
        dir.file("demo.out"), dir.file("demo.err"));
    std::regex announced{"vigil: http on http://127\\.0\\.0\\.1:([0-9]+)\n"};
    test::wait_until(60s, [&] {
      std::smatch m;
      auto err = test::read_file(dir.file("demo.err"));
      if (!std::regex_search(err, m, announced))
        return false;
      port = std::stoi(m[1].str());
      return true;
    });
    BOOST_REQUIRE_MESSAGE(port > 0,
                          "no 'vigil: http on' line; stderr: "
                              << test::read_file(dir.file("demo.err")));
    BOOST_REQUIRE_MESSAGE(
        test::read_file(dir.file("demo.err")).find("vigil: dashboard on")
            != std::string::npos,
        "the node serves the dashboard from <exe dir>/web");
    auto sql = "SELECT count(*) FROM (SELECT " + key_columns + " FROM " + table
               + " GROUP BY " + key_columns + " HAVING count(*) >= 10)";
    BOOST_REQUIRE_MESSAGE(
        test::wait_until(120s, [&] { return query_int(db, sql) == keys; }),
        "the demo stores " << keys << " keys with 10 windows each in " << table
                           << " (got " << query_int(db, sql) << ")");
  }

  /// Runs kind_dashboard.mjs against the demo; its JSON summary.
  std::string browse(const std::string& kind) {
    auto artifacts = test::build_dir() + "/test-artifacts";
    std::filesystem::create_directories(artifacts);
    auto shot = artifacts + "/kind-dashboard-" + kind + ".png";
    std::filesystem::remove(shot);
    auto node_js = test::find_program("node");
    BOOST_REQUIRE_MESSAGE(!node_js.empty(), "node is not on PATH "
                                            "(deploy/install-deps.sh)");
    auto url = "http://127.0.0.1:" + std::to_string(port) + "/";
    auto r = test::run_process(
        {node_js, test::build_dir() + "/web-npm/kind_dashboard.mjs", url, shot,
         kind},
        420s);
    BOOST_TEST_MESSAGE("kind_dashboard.mjs " << kind << ": " << r.out);
    BOOST_CHECK_MESSAGE(r.status == 0, "kind_dashboard.mjs "
                                           << kind << " failed (status "
                                           << r.status << "): " << r.out
                                           << r.err);
    BOOST_CHECK_MESSAGE(!test::read_file(shot).empty(),
                        "a screenshot " << shot);
    return r.out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(kind_dashboard, demo_fixture)

BOOST_AUTO_TEST_CASE(a_trade_node_shows_its_symbols_and_draws_candles) {
  // 20 symbols on 5 exchanges.
  start("trade", "trade_candles", "symbol, exchange", 100);
  auto out = browse("trade");
  BOOST_CHECK(out.find("\"bodyKind\": \"trade\"") != std::string::npos);
  BOOST_CHECK(out.find("\"key\": \"SYM0002|XNAS\"") != std::string::npos);
  BOOST_CHECK(out.find("\"bad\": 0") != std::string::npos);
  // The page's anomaly is in the database under the joined key.
  BOOST_CHECK(query_int(db, "SELECT count(*) FROM anomalies WHERE service "
                            "LIKE 'SYM0002|%' AND metric = 'price' AND "
                            "detector = 'jump'")
              > 0);
}

BOOST_AUTO_TEST_CASE(a_sensor_node_lists_its_16_sensors) {
  start("sensor", "sensor_metrics", "sensor_id, site", 16);
  auto out = browse("sensor");
  BOOST_CHECK(out.find("\"bodyKind\": \"sensor\"") != std::string::npos);
  BOOST_CHECK(out.find("\"rows\": 16") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
