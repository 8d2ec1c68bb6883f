#define BOOST_TEST_MODULE http_node
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

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

BOOST_AUTO_TEST_SUITE_END()
