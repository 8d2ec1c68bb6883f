#define BOOST_TEST_MODULE prometheus
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <string>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "integration/node_fixture.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

constexpr const char* prometheus_binary = "/usr/bin/prometheus";

/// The value of the first sample of an instant query, or nullopt.
std::optional<double> query_value(int port, const std::string& query) {
  auto answer
      = test::http_get("127.0.0.1", port, "/api/v1/query?query=" + query);
  auto doc = nlohmann::json::parse(answer.body, nullptr, false);
  if (answer.status != 200 || !doc.is_object() || doc["status"] != "success")
    return std::nullopt;
  const auto& result = doc["data"]["result"];
  if (!result.is_array() || result.empty())
    return std::nullopt;
  // A sample is [timestamp, "value"].
  return std::stod(result[0]["value"][1].get<std::string>());
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(prometheus_scrape, test::node_fixture)

BOOST_AUTO_TEST_CASE(prometheus_scrapes_the_exact_count_of_consumed_events) {
  BOOST_REQUIRE_MESSAGE(::access(prometheus_binary, X_OK) == 0,
                        prometheus_binary
                            << " is missing: this test needs a real "
                               "Prometheus; run deploy/install-deps.sh "
                               "(Debian package 'prometheus')");
  start(2, 20000);
  auto consumed = wait_for_metric("vigil_events_consumed_total",
                                  static_cast<double>(truth.valid), 90s);
  BOOST_REQUIRE(consumed.has_value());

  auto config = dir.file("prometheus.yml");
  std::ofstream{config} << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  evaluation_interval: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: vigil\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:"
                        << port << "']\n";
  auto prom = test::start_prometheus(prometheus_binary, config, dir);
  auto prom_port = prom.port;

  std::optional<double> scraped;
  BOOST_CHECK(test::wait_until(60s, [&] {
    scraped = query_value(prom_port, "vigil_events_consumed_total");
    return scraped && *scraped == static_cast<double>(truth.valid);
  }));
  BOOST_REQUIRE_MESSAGE(scraped.has_value(),
                        "no sample of vigil_events_consumed_total; "
                        "prometheus log: "
                            << test::read_file(dir.file("prometheus.err")));
  BOOST_CHECK_EQUAL(*scraped, static_cast<double>(truth.valid));
  // The scrape target is healthy as Prometheus sees it.
  auto up = query_value(prom_port, "up");
  BOOST_CHECK(up.has_value() && *up == 1.0);

  prom.process->signal(SIGTERM);
  if (prom.process->wait(30s) == -1000)
    prom.process->signal(SIGKILL);
}

BOOST_AUTO_TEST_SUITE_END()
