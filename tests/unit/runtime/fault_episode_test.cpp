#define BOOST_TEST_MODULE fault_episode
#include <boost/test/unit_test.hpp>

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "runtime/fault_episode.hpp"
#include "runtime/kafka.hpp"

using namespace std::chrono_literals;
using vigil::fault_episode_log;

namespace {

/// An episode log writing into `lines`, with a clock moved by hand.
struct fixture {
  std::vector<std::string> lines;
  fault_episode_log::clock::time_point t{};
  fault_episode_log log{"kafka",
                        [this](const std::string& x) { lines.push_back(x); },
                        [this] { return t; }, 60s};
  int consumer = 0;
  int producer = 0;
  const void* const source = &consumer;
  const void* const dlq = &producer;

  /// The episode is over, and its second and last line is `recovery`.
  void check_recovered(const std::string& recovery) {
    BOOST_CHECK(!log.in_episode());
    BOOST_REQUIRE_EQUAL(lines.size(), 2u);
    BOOST_CHECK_EQUAL(lines[1], recovery);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(fault_episode, fixture)

BOOST_AUTO_TEST_CASE(an_outage_logs_one_start_line_and_one_recovery_line) {
  log.fault("broker 127.0.0.1:9092 unreachable (Connection refused)");
  for (int i = 0; i < 20; ++i) {
    t += 500ms;
    log.fault("broker 127.0.0.1:9092 unreachable (Connection refused)");
    log.queued_fault(source);
  }
  t += 200ms;
  log.success(source);
  check_recovered("kafka: recovered after 10.2 s; 40 errors suppressed");
  BOOST_CHECK_EQUAL(lines[0], "kafka: broker 127.0.0.1:9092 unreachable "
                              "(Connection refused), retrying with backoff");
  BOOST_CHECK_EQUAL(log.episodes(), 1u);
}

BOOST_AUTO_TEST_CASE(successes_without_a_fault_log_nothing) {
  for (int i = 0; i < 100; ++i) {
    log.success(source);
    log.recovered();
    t += 1s;
  }
  BOOST_CHECK(lines.empty());
  BOOST_CHECK_EQUAL(log.episodes(), 0u);
}

BOOST_AUTO_TEST_CASE(a_success_queued_before_the_fault_does_not_end_it) {
  log.fault("broker b unreachable (x)");
  // Prefetched results of both clients, queued before the outage.
  log.success(source);
  log.success(dlq);
  BOOST_CHECK(log.in_episode());
  // The source's queue delivers the fault: its later results are fresh, but
  // the dead-letter producer's still are not.
  log.queued_fault(source);
  log.success(dlq);
  BOOST_CHECK(log.in_episode());
  t += 3s;
  log.success(source);
  check_recovered("kafka: recovered after 3.0 s; 1 error suppressed");
}

BOOST_AUTO_TEST_CASE(a_success_in_the_first_second_does_not_end_it) {
  // Results in flight when the outage began may arrive behind its fault.
  log.fault("broker b unreachable (x)");
  log.queued_fault(source);
  log.success(source);
  t += 999ms;
  log.success(source);
  BOOST_CHECK(log.in_episode());
  t += 1ms;
  log.success(source);
  check_recovered("kafka: recovered after 1.0 s; 1 error suppressed");
}

BOOST_AUTO_TEST_CASE(a_queued_fault_after_the_recovery_starts_nothing) {
  log.fault("broker b unreachable (x)");
  t += 1s;
  log.recovered();
  // The producer polls its queue only now: its faults are from the outage.
  log.queued_fault(dlq);
  log.queued_fault(dlq);
  log.success(dlq);
  BOOST_CHECK_EQUAL(lines.size(), 2u);
  BOOST_CHECK(!log.in_episode());
  BOOST_CHECK_EQUAL(log.episodes(), 1u);
}

BOOST_AUTO_TEST_CASE(arming_does_not_carry_over_into_the_next_episode) {
  log.fault("broker b unreachable (first)");
  log.queued_fault(source);
  t += 1s;
  log.success(source);
  BOOST_CHECK(!log.in_episode());
  log.fault("broker b unreachable (second)");
  log.success(source); // queued before the second fault
  BOOST_CHECK(log.in_episode());
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_CHECK_EQUAL(lines[2], "kafka: broker b unreachable (second), retrying "
                              "with backoff");
}

BOOST_AUTO_TEST_CASE(a_notice_is_logged_once_per_interval_and_key) {
  log.notice("CONFWARN", "property x is deprecated");
  t += 10s;
  log.notice("CONFWARN", "property x is deprecated");
  log.notice("CONFWARN", "property y is deprecated");
  log.notice("COMMITFAIL", "offset commit failed");
  t += 60s;
  log.notice("CONFWARN", "property z is deprecated");
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_CHECK_EQUAL(lines[0], "kafka: property x is deprecated");
  BOOST_CHECK_EQUAL(lines[1], "kafka: offset commit failed");
  BOOST_CHECK_EQUAL(lines[2], "kafka: property z is deprecated (2 similar "
                              "messages suppressed)");
}

BOOST_AUTO_TEST_CASE(notices_inside_an_episode_are_counted_but_alerts_shown) {
  log.fault("broker b unreachable (x)");
  log.notice("COMMITFAIL", "offset commit failed");
  log.alert("fatal error: producer fenced");
  BOOST_CHECK_EQUAL(log.suppressed(), 1u);
  log.recovered();
  BOOST_REQUIRE_EQUAL(lines.size(), 3u);
  BOOST_CHECK_EQUAL(lines[1], "kafka: fatal error: producer fenced");
  BOOST_CHECK_EQUAL(lines[2], "kafka: recovered after 0.0 s; 1 error "
                              "suppressed");
}

BOOST_AUTO_TEST_CASE(concurrent_reports_open_and_close_each_episode_once) {
  std::vector<std::string> out;
  std::mutex mtx;
  fault_episode_log shared{"kafka", [&](const std::string& x) {
                             std::lock_guard<std::mutex> guard{mtx};
                             out.push_back(x);
                           }};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&shared, i] {
      std::mt19937 rng{static_cast<unsigned>(i)};
      for (int n = 0; n < 2000; ++n) {
        if (rng() % 4 == 0)
          shared.fault("broker b unreachable (x)");
        shared.queued_fault(&shared);
        shared.success(&shared);
      }
    });
  for (auto& th : threads)
    th.join();
  shared.recovered();
  // Start and recovery lines alternate, beginning with a start.
  BOOST_REQUIRE(!out.empty());
  BOOST_CHECK_EQUAL(out.size() % 2, 0u);
  BOOST_CHECK_EQUAL(out.size(), 2 * shared.episodes());
  for (size_t i = 0; i < out.size(); ++i)
    BOOST_CHECK_EQUAL(out[i].find(i % 2 == 0 ? "retrying" : "recovered")
                          != std::string::npos,
                      true);
}

BOOST_AUTO_TEST_CASE(librdkafka_fault_text_is_shortened_to_its_cause) {
  using vigil::kafka::fault_detail;
  BOOST_CHECK_EQUAL(fault_detail("127.0.0.1:38503/1: Connect to "
                                 "ipv4#127.0.0.1:38503 failed: Connection "
                                 "refused (after 0ms in state CONNECT)"),
                    "Connect to ipv4#127.0.0.1:38503 failed: Connection "
                    "refused");
  BOOST_CHECK_EQUAL(fault_detail("GroupCoordinator: 127.0.0.1:38503: "
                                 "Disconnected (after 486ms in state UP)"),
                    "Disconnected");
  BOOST_CHECK_EQUAL(fault_detail("1/1 brokers are down"),
                    "1/1 brokers are down");
  BOOST_CHECK_EQUAL(fault_detail("sasl.kerberos: x"), "sasl.kerberos: x");
}

BOOST_AUTO_TEST_SUITE_END()
