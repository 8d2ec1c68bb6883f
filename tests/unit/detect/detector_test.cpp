#define BOOST_TEST_MODULE detector
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "actors/detect/detector.hpp"
#include "support/window_traffic.hpp"

using namespace vigil;

namespace {

constexpr int64_t window_ms = 10000;

using traffic = test::window_traffic;

std::string service_name(int i) {
  return "svc-" + std::to_string(i);
}

/// Feeds `windows` windows of `services` services; returns all anomalies.
std::vector<anomaly_row> feed(service_detector& detector, traffic& gen,
                              int services, int64_t first, int64_t windows) {
  std::vector<anomaly_row> result;
  for (int64_t w = first; w < first + windows; ++w)
    for (int s = 0; s < services; ++s) {
      auto found = detector.observe(gen.next(service_name(s), w), w);
      result.insert(result.end(), found.begin(), found.end());
    }
  return result;
}

struct fixture {
  fixture() : gen(42) {
    auto found = feed(detector, gen, 8, 0, 100);
    BOOST_REQUIRE(found.empty());
  }

  service_detector detector;
  traffic gen;
};

} // namespace

BOOST_AUTO_TEST_CASE(steady_traffic_of_eight_services_raises_nothing) {
  for (uint64_t seed : {1u, 2u, 3u}) {
    service_detector detector;
    traffic gen{seed};
    auto found = feed(detector, gen, 8, 0, 200);
    BOOST_TEST(found.empty(), "seed "
                                  << seed << ": " << found.size()
                                  << " anomalies, first on "
                                  << (found.empty() ? "" : found[0].metric));
    BOOST_TEST(detector.services() == 8u);
  }
}

BOOST_FIXTURE_TEST_SUITE(warmed_up, fixture)

BOOST_AUTO_TEST_CASE(an_error_spike_raises_error_rate_for_that_window_only) {
  auto row = gen.next("svc-3", 100);
  row.error_count = row.request_count * 4 / 10;
  auto found = detector.observe(row, 123456);
  BOOST_REQUIRE(found.size() == 1u);
  const auto& a = found[0];
  BOOST_TEST(a.service == "svc-3");
  BOOST_TEST(a.window_start == 100 * window_ms);
  BOOST_TEST(a.metric == "error_rate");
  BOOST_TEST(a.observed == 0.4, boost::test_tools::tolerance(0.01));
  BOOST_TEST(a.expected == 0.01, boost::test_tools::tolerance(0.5));
  BOOST_TEST(a.score > 4);
  BOOST_TEST(a.severity == "critical");
  BOOST_TEST(a.detector == "ewma");
  BOOST_TEST(a.detected_at == 123456);
  // The other services in that window and everyone afterwards stay quiet.
  for (int s = 0; s < 8; ++s)
    if (s != 3)
      BOOST_TEST(detector.observe(gen.next(service_name(s), 100), 0).empty());
  BOOST_TEST(feed(detector, gen, 8, 101, 50).empty());
}

BOOST_AUTO_TEST_CASE(a_latency_surge_raises_p95_latency) {
  auto row = gen.next("svc-5", 100);
  row.p95_latency_ms *= 8;
  auto found = detector.observe(row, 1);
  BOOST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].metric == "p95_latency_ms");
  BOOST_TEST(found[0].service == "svc-5");
  BOOST_TEST(found[0].observed == row.p95_latency_ms);
}

BOOST_AUTO_TEST_CASE(a_traffic_drop_raises_request_rate) {
  auto row = gen.next("svc-1", 100);
  row.request_count = 100;
  row.error_count = 1;
  auto found = detector.observe(row, 1);
  BOOST_REQUIRE(found.size() == 1u);
  BOOST_TEST(found[0].metric == "request_rate");
  BOOST_TEST(found[0].observed == 10.0);
  BOOST_TEST(found[0].expected == 100.0, boost::test_tools::tolerance(0.05));
  BOOST_TEST(found[0].score < 0);
}

BOOST_AUTO_TEST_CASE(a_one_request_window_with_one_error_raises_nothing) {
  service_detector quiet;
  traffic low{5};
  // A service with little traffic: 1-request windows are the norm.
  for (int64_t w = 0; w < 100; ++w) {
    auto row = low.next("tiny", w);
    row.request_count = 1;
    row.error_count = w == 80 ? 1 : 0;
    row.p95_latency_ms = w == 80 ? 5000 : 20;
    BOOST_TEST(quiet.observe(row, w).empty(), "window " << w);
  }
}

BOOST_AUTO_TEST_CASE(few_errors_below_the_absolute_floor_are_not_reported) {
  auto row = gen.next("svc-2", 100);
  row.request_count = 1000;
  row.error_count = 4; // 0.4 % error rate: below min_errors and the rate floor
  BOOST_TEST(detector.observe(row, 1).empty());
}

BOOST_AUTO_TEST_CASE(a_re_emitted_or_older_window_is_not_scored_again) {
  auto row = gen.next("svc-0", 100);
  row.error_count = row.request_count / 2;
  row.final = false;
  BOOST_TEST(detector.observe(row, 1).size() == 1u);
  auto update = row;
  update.final = true;
  update.request_count += 5;
  BOOST_TEST(detector.observe(update, 2).empty());
  auto older = gen.next("svc-0", 99);
  older.error_count = older.request_count / 2;
  BOOST_TEST(detector.observe(older, 3).empty());
}

BOOST_AUTO_TEST_CASE(snapshot_and_restore_give_identical_subsequent_output) {
  service_detector copy;
  BOOST_REQUIRE(copy.restore(detector.snapshot()));
  BOOST_TEST(copy.snapshot() == detector.snapshot());
  traffic gen_a{99};
  traffic gen_b{99};
  for (int64_t w = 100; w < 160; ++w) {
    for (int s = 0; s < 8; ++s) {
      auto a = gen_a.next(service_name(s), w);
      auto b = gen_b.next(service_name(s), w);
      if (w % 20 == 0 && s == 4) {
        a.error_count = b.error_count = a.request_count / 3;
        a.p95_latency_ms = b.p95_latency_ms = 3000;
      }
      auto found_a = detector.observe(a, w);
      auto found_b = copy.observe(b, w);
      BOOST_REQUIRE(found_a.size() == found_b.size());
      for (size_t i = 0; i < found_a.size(); ++i) {
        BOOST_TEST(found_a[i].metric == found_b[i].metric);
        BOOST_TEST(found_a[i].score == found_b[i].score);
        BOOST_TEST(found_a[i].expected == found_b[i].expected);
        BOOST_TEST(found_a[i].severity == found_b[i].severity);
      }
    }
  }
  // A restored detector also remembers what it already scored.
  service_detector again;
  BOOST_REQUIRE(again.restore(detector.snapshot()));
  auto replay = gen.next("svc-4", 140);
  replay.error_count = replay.request_count / 3;
  BOOST_TEST(again.observe(replay, 1).empty());
}

BOOST_AUTO_TEST_CASE(a_malformed_snapshot_is_rejected_and_state_kept) {
  auto before = detector.snapshot();
  BOOST_TEST(!detector.restore("{not json"));
  BOOST_TEST(!detector.restore(R"({"version":1,"services":{"a":{}}})"));
  BOOST_TEST(!detector.restore(R"({"version":2,"services":{}})"));
  BOOST_TEST(!detector.restore(R"([1,2,3])"));
  BOOST_TEST(detector.snapshot() == before);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_CASE(services_beyond_the_cap_are_counted_not_tracked) {
  detector_config settings;
  settings.max_services = 3;
  service_detector detector{settings};
  traffic gen{7};
  feed(detector, gen, 5, 0, 10);
  BOOST_TEST(detector.services() == 3u);
  BOOST_TEST(detector.overflow() == 20u);
}
