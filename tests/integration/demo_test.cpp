#define BOOST_TEST_MODULE demo
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <csignal>
#include <functional>
#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "integration/node_fixture.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Runs `sql` on a short-lived read-only connection and returns the first
/// column of every row (empty if the database is not there yet).
std::set<std::string> query(const std::string& db, const std::string& sql) {
  std::set<std::string> out;
  sqlite3* h = nullptr;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
      != SQLITE_OK) {
    sqlite3_close(h);
    return out;
  }
  sqlite3_busy_timeout(h, 1000);
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(h, sql.c_str(), -1, &st, nullptr) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW)
      out.insert(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  sqlite3_close(h);
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_demo_shows_every_service_and_the_incident_then_stops) {
  test::temp_dir dir;
  auto db = dir.file("demo.db");
  auto start = std::chrono::steady_clock::now();
  test::background_process demo{{test::vigil_binary(), "demo", "--http-port",
                                 "0", "--db", db, "--first-incident", "5s",
                                 "--rate", "300"},
                                dir.file("out"),
                                dir.file("err")};
  const std::set<std::string> services{
      "auth",   "cart",    "catalog", "checkout", "payments", "recommendations",
      "search", "shipping"};
  bool all_services = test::wait_until(60s, [&] {
    return query(db, "SELECT DISTINCT service FROM service_metrics")
           == services;
  });
  auto first_rows = std::chrono::steady_clock::now() - start;
  BOOST_CHECK_MESSAGE(all_services, "windows of every service within 60 s; "
                                        << test::read_file(dir.file("err")));
  BOOST_TEST_MESSAGE("windows of every service after "
                     << std::chrono::duration<double>(first_rows).count()
                     << " s");
  // The errors incident on 'payments' starts 5 s after the history.
  bool anomaly = test::wait_until(90s, [&] {
    return query(db, "SELECT service FROM anomalies WHERE metric = "
                     "'error_rate'")
               .count("payments")
           > 0;
  });
  BOOST_CHECK_MESSAGE(anomaly, "an error_rate anomaly for payments");
  // No error-rate anomaly for services without an incident.
  auto flagged = query(db, "SELECT DISTINCT service FROM anomalies WHERE "
                           "metric = 'error_rate'");
  BOOST_CHECK(flagged == std::set<std::string>{"payments"});
  // The narrator grouped them into one incident of payments, written with
  // the anomalies; no other service has one.
  BOOST_CHECK(query(db, "SELECT DISTINCT service FROM incidents")
              == std::set<std::string>{"payments"});
  BOOST_CHECK(query(db, "SELECT summary FROM incidents WHERE service = "
                        "'payments' AND summary LIKE 'payments: error rate "
                        "up to %'")
                  .size()
              == 1u);
  // The same through the API.
  std::smatch m;
  auto err = test::read_file(dir.file("err"));
  std::regex announced{"vigil: http on http://127\\.0\\.0\\.1:([0-9]+)\n"};
  BOOST_REQUIRE_MESSAGE(std::regex_search(err, m, announced),
                        "no 'vigil: http on' line: " << err);
  auto answer = test::http_get("127.0.0.1", std::stoi(m[1].str()),
                               "/api/incidents?minutes=60");
  BOOST_REQUIRE_EQUAL(answer.status, 200);
  auto body = nlohmann::json::parse(answer.body, nullptr, false);
  BOOST_REQUIRE(body.is_object() && body["incidents"].is_array());
  std::set<std::string> listed;
  for (const auto& incident : body["incidents"])
    listed.insert(incident.value("service", ""));
  BOOST_CHECK_MESSAGE(listed == std::set<std::string>{"payments"},
                      "/api/incidents: " << answer.body);
  auto out = test::read_file(dir.file("out"));
  BOOST_CHECK(out.find("sqlite3 -readonly " + db) != std::string::npos);
  // Ctrl-C stops it cleanly.
  demo.signal(SIGINT);
  BOOST_CHECK_EQUAL(demo.wait(30s), 0);
}
