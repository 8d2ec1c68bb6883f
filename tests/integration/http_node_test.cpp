#define BOOST_TEST_MODULE http_node
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <map>
#include <regex>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/generator/generator.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"
#include "actors/sink/store.hpp"
#include "integration/node_fixture.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Names in the "failing" array of a /ready body.
std::set<std::string> failing_checks(const std::string& body) {
  std::set<std::string> names;
  auto doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_object() && doc.contains("failing"))
    for (const auto& name : doc["failing"])
      names.insert(name.get<std::string>());
  return names;
}

/// The series of family `name` in Prometheus text by their `reason` label.
std::map<std::string, double> by_reason(const std::string& text,
                                        const std::string& name) {
  std::map<std::string, double> result;
  std::regex series{"(^|\n)" + name + "\\{reason=\"([a-z_]+)\"\\} ([^\n]+)"};
  for (std::sregex_iterator i{text.begin(), text.end(), series}, end; i != end;
       ++i)
    result[(*i)[2].str()] = std::strtod((*i)[3].str().c_str(), nullptr);
  return result;
}

/// Sum of the values of `series`.
double total(const std::map<std::string, double>& series) {
  double sum = 0;
  for (const auto& [label, value] : series)
    sum += value;
  return sum;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(http_node, test::node_fixture)

BOOST_AUTO_TEST_CASE(a_running_node_serves_health_metrics_readiness_and_api) {
  start(4, 40000);
  BOOST_TEST_MESSAGE("node on port " << port << ", valid events "
                                     << truth.valid);
  BOOST_CHECK_EQUAL(get("/health").status, 200);

  // Exactly the valid events, once each.
  auto consumed = wait_for_metric("vigil_events_consumed_total",
                                  static_cast<double>(truth.valid), 90s);
  BOOST_REQUIRE(consumed.has_value());
  BOOST_CHECK_EQUAL(*consumed, static_cast<double>(truth.valid));
  auto metrics = get("/metrics").body;
  BOOST_CHECK(metrics.find("vigil_events_invalid_total{reason=\"not_json\"}")
              != std::string::npos);
  BOOST_CHECK(metrics.find("vigil_actor_restarts_total{actor=\"merger\"} 0")
              != std::string::npos);

  // Every rejected event is dead-lettered once, under its reason, and
  // counted when the broker acknowledged it.
  std::map<std::string, double> expected_letters;
  for (const auto& [reason, payload] : truth.dead_letters)
    expected_letters[reason] += 1;
  BOOST_REQUIRE_GT(truth.dead_letters.size(), 0u);
  std::map<std::string, double> letters;
  BOOST_CHECK(test::wait_until(60s, [&] {
    letters = by_reason(get("/metrics").body, "vigil_dead_letters_total");
    return total(letters) == static_cast<double>(truth.dead_letters.size());
  }));
  BOOST_CHECK_EQUAL(total(letters),
                    static_cast<double>(truth.dead_letters.size()));
  for (const auto& [reason, n] : expected_letters)
    BOOST_CHECK_MESSAGE(letters[reason] == n, "reason " << reason << ": "
                                                        << letters[reason]
                                                        << " != " << n);

  // Ready once partitions are assigned.
  BOOST_CHECK(
      test::wait_until(30s, [&] { return get("/ready").status == 200; }));

  // The broker goes down: /ready names it; it comes back: ready again.
  BOOST_REQUIRE(broker->set_down(true));
  test::http_answer ready;
  BOOST_CHECK(test::wait_until(30s, [&] {
    ready = get("/ready");
    return ready.status == 503;
  }));
  BOOST_CHECK_EQUAL(failing_checks(ready.body).count("broker"), 1u);
  BOOST_CHECK_EQUAL(failing_checks(ready.body).count("database"), 0u);
  BOOST_REQUIRE(broker->set_down(false));
  BOOST_CHECK(test::wait_until(60s, [&] {
    ready = get("/ready");
    return ready.status == 200;
  }));
  BOOST_TEST_MESSAGE("ready after outage: " << ready.body);

  // The API lists the 8 services of the generator, with a window each.
  nlohmann::json services;
  BOOST_CHECK(test::wait_until(60s, [&] {
    auto answer = get("/api/services");
    services = nlohmann::json::parse(answer.body, nullptr, false);
    return answer.status == 200 && services.is_object()
           && services["services"].size() == 8;
  }));
  std::set<std::string> names;
  for (const auto& s : services["services"]) {
    names.insert(s["service"].get<std::string>());
    BOOST_CHECK_GT(s["request_count"].get<int64_t>(), 0);
  }
  BOOST_CHECK_EQUAL(names.size(), 8u);
  // The merger holds the last windows of every service.
  auto tracked = wait_for_metric("vigil_tracked_services",
                                 static_cast<double>(names.size()), 30s);
  BOOST_REQUIRE(tracked.has_value());
  BOOST_CHECK_EQUAL(*tracked, static_cast<double>(names.size()));

  auto status = nlohmann::json::parse(get("/api/status").body, nullptr, false);
  BOOST_REQUIRE(status.is_object());
  BOOST_CHECK_EQUAL(status["events"].get<uint64_t>(), truth.valid);
  BOOST_CHECK_EQUAL(status["assigned_partitions"].get<int>(), 4);
  BOOST_CHECK_EQUAL(status["partitions"].size(), 4u);

  auto windows
      = get("/api/windows?service=" + *names.begin() + "&minutes=10080");
  BOOST_CHECK_EQUAL(windows.status, 200);
  BOOST_CHECK_EQUAL(get("/api/windows?minutes=5").status, 400);
  BOOST_CHECK_EQUAL(get("/api/anomalies?minutes=zero").status, 400);
  BOOST_CHECK_EQUAL(get("/api/anomalies?minutes=60").status, 200);
}

BOOST_AUTO_TEST_CASE(a_taken_http_port_stops_the_node_with_a_clear_error) {
  start(1, 100);
  auto second = test::run_process({test::vigil_binary(), "run", "--brokers",
                                   spec.brokers, "--topic", "events", "--db",
                                   dir.file("other.db"), "--http-port",
                                   std::to_string(port)},
                                  30s);
  BOOST_CHECK_EQUAL(second.status, 1);
  BOOST_CHECK(second.err.find("address in use") != std::string::npos);
  BOOST_CHECK(second.err.find("--http-port") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(
    a_database_newer_than_the_node_stops_it_with_a_clear_error) {
  auto path = dir.file("newer.db");
  {
    auto db = sqlite_db::open(path, open_mode::read_write_create);
    BOOST_REQUIRE(db);
    BOOST_REQUIRE(db->exec("CREATE TABLE schema_version (version INTEGER NOT "
                           "NULL); INSERT INTO schema_version VALUES ("
                           + std::to_string(metrics_store::latest_version() + 1)
                           + ")"));
  }
  auto run = test::run_process({test::vigil_binary(), "run", "--brokers",
                                "127.0.0.1:1", "--topic", "events", "--db",
                                path, "--http-port", "0"},
                               30s);
  BOOST_CHECK_EQUAL(run.status, 1);
  BOOST_CHECK(run.err.find("newer than this vigil") != std::string::npos);
  BOOST_CHECK(run.err.find("another --db") != std::string::npos);
  // Not a permission or lock problem: the hint for those is not given.
  BOOST_CHECK(run.err.find("writable") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_generator_counts_sent_messages_and_failed_deliveries) {
  produce_topic(*this, 1, 10, 1, 0);
  // ApiKey 0 is Produce: the first produce request fails for good.
  broker->push_request_errors(0, 1, RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE);
  generate_options opts;
  opts.brokers = spec.brokers;
  opts.topic = "events";
  opts.rate = 0;
  opts.count = 500;
  opts.verbose = false;
  opts.producer_config = {{"retries", "0"}};
  opts.metrics = std::make_shared<metric_factory>(node_label_sets());
  std::atomic<bool> stop{false};
  generate_report report;
  BOOST_CHECK_EQUAL(run_generator(opts, stop, &report), 1);
  BOOST_CHECK_EQUAL(report.generated, 500u);
  BOOST_CHECK_GE(report.failed, 1u);
  BOOST_CHECK_EQUAL(report.delivered + report.failed, 500u);
  auto text = opts.metrics->serialize();
  BOOST_CHECK_EQUAL(
      test::metric_value(text, "vigil_generator_messages_sent_total").value(),
      500.0);
  BOOST_CHECK_EQUAL(
      test::metric_value(text, "vigil_generator_delivery_failures_total")
          .value(),
      static_cast<double>(report.failed));
}

BOOST_AUTO_TEST_SUITE_END()
