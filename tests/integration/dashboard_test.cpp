#define BOOST_TEST_MODULE dashboard
#include <boost/test/unit_test.hpp>

// The dashboard in real headless Chromium: a node on an embedded broker
// serves web/ (vendored into the build with uPlot), and dashboard.mjs
// (playwright-core, Debian's /usr/bin/chromium) checks what an on-call
// engineer would see: one card per service, the incident marked and listed
// with its summary, and live updates without a reload.

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include <sqlite3.h>
#include <unistd.h>

#include "actors/generator/generator.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Runs `sql` (one integer result) on a read-only connection; -1 if the
/// database or table is not there yet.
int64_t query_int(const std::string& db, const char* sql) {
  sqlite3* h = nullptr;
  int64_t n = -1;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
      == SQLITE_OK) {
    sqlite3_busy_timeout(h, 200);
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(h, sql, -1, &st, nullptr) == SQLITE_OK
        && sqlite3_step(st) == SQLITE_ROW)
      n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
  }
  sqlite3_close(h);
  return n;
}

/// A broker, a generator following the wall clock and a node serving the
/// dashboard on a free port.
struct dashboard_fixture {
  test::temp_dir dir;
  std::optional<embedded_broker> broker;
  std::optional<event_generator> gen;
  std::string db = dir.file("vigil.db");
  std::unique_ptr<test::background_process> node;
  int port = 0;

  /// Events per second of event time (8 services).
  static constexpr double rate = 400;

  dashboard_fixture() {
    broker_options bo;
    bo.topics.push_back({"events", 4});
    bo.topics.push_back({"events.dlq", 1});
    auto started = embedded_broker::start(bo);
    if (!started)
      BOOST_FAIL("broker: " << started.error());
    broker.emplace(std::move(started.value()));
    // Event time starts four minutes ago, so the charts of the last 30
    // minutes (the API looks back from the wall clock) show all of it; the
    // detector warms up for 12 windows, then payments fails (40 % errors)
    // from 170 s to 210 s.
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    generator_config gs;
    gs.services = 8;
    gs.seed = 20261124;
    gs.rate = rate;
    gs.start_ms = (now - 240'000) / 10'000 * 10'000;
    gs.incidents.push_back({"payments", incident_kind::errors, 170, 40});
    gen.emplace(gs);
  }

  ~dashboard_fixture() {
    if (node && node->running()) {
      node->signal(SIGTERM);
      if (node->wait(30s) == -1000)
        node->signal(SIGKILL);
    }
  }

  /// Produces the next `seconds` of event time.
  void produce(double seconds) {
    auto prod = kafka::producer::make(
        broker->bootstrap(),
        {{"linger.ms", "50"}, {"batch.num.messages", "5000"}});
    if (!prod)
      BOOST_FAIL("producer: " << prod.error());
    auto count = static_cast<uint64_t>(seconds * rate);
    generated_event ev;
    for (uint64_t i = 0; i < count; ++i) {
      auto partition = static_cast<int32_t>(gen->index() % 4);
      gen->next(ev);
      auto st = prod.value().produce("events", partition, {}, to_json(ev));
      if (!st)
        BOOST_FAIL("produce: " << st.error());
    }
    BOOST_REQUIRE(prod.value().flush(std::chrono::seconds(60)));
    BOOST_REQUIRE_EQUAL(prod.value().failed(), 0u);
  }

  /// Starts `vigil run --http-port 0` with its default web root and waits
  /// for the address it announces.
  void start_node() {
    node = std::make_unique<test::background_process>(
        std::vector<std::string>{test::vigil_binary(), "run", "--brokers",
                                 broker->bootstrap(), "--topic", "events",
                                 "--db", db, "--http-port", "0"},
        dir.file("node.out"), dir.file("node.err"));
    std::regex announced{"vigil: http on http://127\\.0\\.0\\.1:([0-9]+)\n"};
    test::wait_until(30s, [&] {
      std::smatch m;
      auto err = test::read_file(dir.file("node.err"));
      if (!std::regex_search(err, m, announced))
        return false;
      port = std::stoi(m[1].str());
      return true;
    });
    BOOST_REQUIRE_MESSAGE(port > 0,
                          "no 'vigil: http on' line; stderr: "
                              << test::read_file(dir.file("node.err")));
  }

  int64_t latest_window() {
    return query_int(db, "SELECT max(window_start) FROM service_metrics");
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(dashboard, dashboard_fixture)

BOOST_AUTO_TEST_CASE(
    dashboard_shows_every_service_lists_the_incident_and_updates_live) {
  produce(215);
  start_node();
  auto err = test::read_file(dir.file("node.err"));
  BOOST_TEST_MESSAGE("node: " << err);
  BOOST_REQUIRE_MESSAGE(err.find("vigil: dashboard on") != std::string::npos,
                        "the node serves the dashboard from <exe dir>/web");
  BOOST_REQUIRE_MESSAGE(
      test::wait_until(120s,
                       [&] {
                         return query_int(db, "SELECT count(*) FROM anomalies "
                                              "WHERE service = 'payments' AND "
                                              "metric = 'error_rate'")
                                > 0;
                       }),
      "the detector flags the errors incident on payments");
  BOOST_REQUIRE_MESSAGE(
      query_int(db, "SELECT count(*) FROM incidents WHERE service = "
                    "'payments'")
          == 1,
      "the narrator groups the anomalies of payments into one incident");

  // The browser script runs while the test produces a second batch; they
  // meet through files in `sync`.
  auto sync = dir.file("sync");
  std::filesystem::create_directories(sync);
  auto artifacts = test::build_dir() + "/test-artifacts";
  std::filesystem::create_directories(artifacts);
  auto shot = artifacts + "/dashboard.png";
  auto url = "http://127.0.0.1:" + std::to_string(port) + "/";
  auto node_js = test::find_program("node");
  BOOST_REQUIRE_MESSAGE(!node_js.empty(), "node is not on PATH "
                                          "(deploy/install-deps.sh)");
  test::background_process browser{
      {node_js, test::build_dir() + "/web-npm/dashboard.mjs", url, shot, sync},
      dir.file("browser.out"),
      dir.file("browser.err")};
  int early = -1000;
  test::wait_until(120s, [&] {
    if (!test::read_file(sync + "/seen").empty())
      return true;
    early = browser.wait(0ms);
    return early != -1000;
  });
  BOOST_REQUIRE_MESSAGE(!test::read_file(sync + "/seen").empty(),
                        "the page shows a latest window; dashboard.mjs: "
                            << test::read_file(dir.file("browser.out"))
                            << test::read_file(dir.file("browser.err")));
  auto before = latest_window();
  produce(30);
  BOOST_REQUIRE_MESSAGE(
      test::wait_until(90s, [&] { return latest_window() > before; }),
      "the node stores windows of the second batch");
  std::ofstream{sync + "/more"} << latest_window();
  // Then the operator pauses consumption from the console.
  test::wait_until(240s, [&] {
    return !test::read_file(sync + "/ready-to-pause").empty()
           || browser.wait(0ms) != -1000;
  });
  if (!test::read_file(sync + "/ready-to-pause").empty()) {
    std::smatch m;
    auto node_err = test::read_file(dir.file("node.err"));
    BOOST_REQUIRE(std::regex_search(
        node_err, m, std::regex{"vigil: console on (127\\.0\\.0\\.1:[0-9]+)"}));
    auto pause = test::run_process(
        {test::vigil_binary(), "console", "--connect", m[1].str(), "pause"},
        30s);
    BOOST_CHECK_MESSAGE(pause.status == 0, pause.err);
    std::ofstream{sync + "/paused"} << "1";
  }
  auto status = browser.wait(240s);
  auto out = test::read_file(dir.file("browser.out"));
  BOOST_TEST_MESSAGE("dashboard.mjs: " << out);
  BOOST_CHECK_MESSAGE(status == 0,
                      "dashboard.mjs failed (status "
                          << status << "): " << out
                          << test::read_file(dir.file("browser.err")));
  BOOST_CHECK(out.find("\"newerWindow\"") != std::string::npos);
  BOOST_CHECK(out.find("\"pausedTile\": \"paused") != std::string::npos);
  BOOST_CHECK(out.find("\"summary\": \"payments: error rate")
              != std::string::npos);
  BOOST_CHECK(!test::read_file(shot).empty());
}

BOOST_AUTO_TEST_CASE(a_missing_web_root_stops_the_node_with_a_sentence) {
  auto r = test::run_process({test::vigil_binary(), "run", "--brokers",
                              broker->bootstrap(), "--topic", "events", "--db",
                              db, "--http-port", "0", "--web-root",
                              dir.file("no-such-dir")},
                             60s);
  BOOST_TEST_MESSAGE("stderr: " << r.err);
  BOOST_CHECK_NE(r.status, 0);
  BOOST_CHECK(r.err.find("no-such-dir") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
