#define BOOST_TEST_MODULE node_scrape
#include <boost/test/unit_test.hpp>

// The gauges a node refreshes when /metrics is scraped, through a real HTTP
// server and a real SQLite database written by the store.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include <httplib.h>

#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"
#include "actors/node/node_scrape.hpp"
#include "actors/sink/store.hpp"
#include "runtime/http_server.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

window_row window(const std::string& service, int64_t start, int64_t requests,
                  int64_t errors, double p95_ms) {
  window_row w;
  w.service = service;
  w.window_start = start;
  w.window_end = start + 10000;
  w.request_count = requests;
  w.error_count = errors;
  w.error_rate = requests > 0 ? static_cast<double>(errors) / requests : 0.0;
  w.p95_latency_ms = p95_ms;
  w.final = true;
  return w;
}

incident_row incident(int64_t id, const std::string& service, int64_t ended) {
  incident_row i;
  i.id = id;
  i.service = service;
  i.started_at = 1000;
  i.ended_at = ended;
  i.severity = "high";
  i.anomaly_count = 2;
  i.summary = "errors up";
  return i;
}

/// The value of the sample line `series` ("name{labels}") of /metrics.
std::string sample(const std::string& text, const std::string& series) {
  auto at = text.find("\n" + series + " ");
  if (at == std::string::npos)
    return "absent";
  auto begin = at + series.size() + 2;
  return text.substr(begin, text.find('\n', begin) - begin);
}

struct fixture {
  test::temp_dir dir;
  std::string db = dir.file("vigil.db");
  std::shared_ptr<metric_factory> metrics = std::make_shared<metric_factory>();
  std::unique_ptr<http_server> server;
  std::atomic<bool> broker_ok{false};

  fixture() {
    auto store = metrics_store::open(db);
    BOOST_REQUIRE(store);
    result_batch batch;
    // checkout: an older and the latest window; search: one window.
    batch.rows = {window("checkout", 0, 50, 0, 20),
                  window("checkout", 10000, 200, 30, 250),
                  window("search", 10000, 40, 0, 12)};
    // Two incidents of checkout open, one of search closed.
    batch.incidents = {incident(1, "checkout", 0), incident(2, "checkout", 0),
                       incident(3, "search", 20000)};
    BOOST_REQUIRE(store.value().commit(batch, "events", 1));
    http_options options;
    options.metrics = [m = metrics] { return m->serialize(); };
    auto started = http_server::start("127.0.0.1", 0, options);
    BOOST_REQUIRE(started);
    server = std::move(started.value());
    server->add_readiness_check([this] {
      return readiness_result{"broker", broker_ok.load(), ""};
    });
    server->add_readiness_check([] {
      return readiness_result{"database", true, ""};
    });
    auto ctx = std::make_shared<node_http_context>();
    ctx->db = db;
    ctx->metrics = metrics;
    install_scrape_refresh(*server, ctx, 0ms);
  }

  std::string scrape() const {
    httplib::Client client{"127.0.0.1", server->port()};
    client.set_read_timeout(std::chrono::seconds(5));
    auto res = client.Get("/metrics");
    BOOST_REQUIRE(res);
    BOOST_REQUIRE_EQUAL(res->status, 200);
    return "\n" + res->body;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(a_scrape_reads_the_latest_window_and_open_incidents,
                        fixture) {
  auto text = scrape();
  // 200 requests in 10 s, 30 of them errors, p95 250 ms.
  BOOST_TEST(
      sample(text, "vigil_service_requests_per_second{service=\"checkout\"}")
      == "20");
  BOOST_TEST(sample(text, "vigil_service_error_ratio{service=\"checkout\"}")
             == "0.15");
  BOOST_TEST(
      sample(text, "vigil_service_p95_latency_seconds{service=\"checkout\"}")
      == "0.25");
  BOOST_TEST(sample(text, "vigil_service_open_incidents{service=\"checkout\"}")
             == "2");
  BOOST_TEST(
      sample(text, "vigil_service_requests_per_second{service=\"search\"}")
      == "4");
  BOOST_TEST(sample(text, "vigil_service_open_incidents{service=\"search\"}")
             == "0");
}

BOOST_FIXTURE_TEST_CASE(a_scrape_counts_the_failing_readiness_checks, fixture) {
  BOOST_TEST(sample(scrape(), "vigil_failing_readiness_checks") == "1");
  broker_ok = true;
  BOOST_TEST(sample(scrape(), "vigil_failing_readiness_checks") == "0");
}

BOOST_AUTO_TEST_CASE(a_node_without_readiness_checks_is_not_ready) {
  auto metrics = std::make_shared<metric_factory>();
  http_options options;
  options.metrics = [metrics] { return metrics->serialize(); };
  auto started = http_server::start("127.0.0.1", 0, options);
  BOOST_REQUIRE(started);
  auto ctx = std::make_shared<node_http_context>();
  ctx->db = "/nonexistent/vigil.db";
  ctx->metrics = metrics;
  install_scrape_refresh(*started.value(), ctx, 0ms);
  httplib::Client client{"127.0.0.1", started.value()->port()};
  auto res = client.Get("/metrics");
  BOOST_REQUIRE(res);
  // The unreadable database leaves the service gauges without series.
  BOOST_TEST(res->body.find("vigil_failing_readiness_checks 1")
             != std::string::npos);
  BOOST_TEST(res->body.find("vigil_service_requests_per_second{")
             == std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(refreshes_are_throttled, fixture) {
  auto ctx = std::make_shared<node_http_context>();
  ctx->db = db;
  ctx->metrics = metrics;
  // Replaces the fixture's hook: at most one refresh per hour.
  install_scrape_refresh(*server, ctx, 1h);
  BOOST_TEST(sample(scrape(), "vigil_failing_readiness_checks") == "1");
  broker_ok = true;
  BOOST_TEST(sample(scrape(), "vigil_failing_readiness_checks") == "1");
}
