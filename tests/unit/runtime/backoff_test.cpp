#define BOOST_TEST_MODULE backoff
#include <boost/test/unit_test.hpp>

#include <vector>

#include "runtime/backoff.hpp"

using namespace std::chrono_literals;
using vigil::backoff_config;
using vigil::backoff_policy;
using vigil::restart_intensity;
using time_point = std::chrono::steady_clock::time_point;

namespace {

backoff_config settings(double random_factor) {
  backoff_config result;
  result.min = 100ms;
  result.max = 3000ms;
  result.factor = 2.0;
  result.random_factor = random_factor;
  result.reset_after = 10000ms;
  return result;
}

/// Delays of `n` consecutive failures, each 1 ms after its start.
std::vector<int64_t> delays(backoff_policy& policy, size_t n) {
  std::vector<int64_t> result;
  time_point t{};
  for (size_t i = 0; i < n; ++i) {
    result.push_back(policy.next_delay(t, t + 1ms).count());
    t += 1s;
  }
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(delays_double_from_min_up_to_max_without_jitter) {
  backoff_policy policy{settings(0.0), 42};
  std::vector<int64_t> expected{100, 200, 400, 800, 1600, 3000, 3000, 3000};
  auto got = delays(policy, expected.size());
  BOOST_TEST(got == expected, boost::test_tools::per_element());
  BOOST_TEST(policy.attempt() == expected.size());
}

BOOST_AUTO_TEST_CASE(huge_attempt_counts_stay_at_max) {
  backoff_policy policy{settings(0.0), 1};
  auto got = delays(policy, 2000);
  BOOST_TEST(got.back() == 3000);
}

BOOST_AUTO_TEST_CASE(jitter_stays_within_one_plus_random_factor) {
  backoff_policy policy{settings(0.5), 7};
  auto got = delays(policy, 200);
  std::vector<double> base{100, 200, 400, 800, 1600};
  for (size_t i = 0; i < got.size(); ++i) {
    auto lower = i < base.size() ? base[i] : 3000.0;
    BOOST_TEST(got[i] >= lower);
    BOOST_TEST(got[i] <= lower * 1.5 + 1);
  }
  // Jitter actually happens: not every capped delay is the bare cap.
  size_t above_cap = 0;
  for (auto d : got)
    if (d > 3000)
      ++above_cap;
  BOOST_TEST(above_cap > 100u);
}

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_delays) {
  backoff_policy a{settings(0.3), 12345};
  backoff_policy b{settings(0.3), 12345};
  auto da = delays(a, 20);
  auto db = delays(b, 20);
  BOOST_TEST(da == db, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(different_seeds_give_different_delays) {
  backoff_policy a{settings(0.3), 1};
  backoff_policy b{settings(0.3), 2};
  BOOST_TEST(delays(a, 20) != delays(b, 20));
}

BOOST_AUTO_TEST_CASE(a_child_that_ran_for_the_stable_period_starts_over) {
  backoff_policy policy{settings(0.0), 0};
  time_point t{};
  BOOST_TEST(policy.next_delay(t, t + 1ms).count() == 100);
  BOOST_TEST(policy.next_delay(t, t + 1ms).count() == 200);
  BOOST_TEST(policy.next_delay(t, t + 9999ms).count() == 400);
  BOOST_TEST(policy.attempt() == 3u);
  // Ran exactly reset_after: stable, so the sequence restarts at min.
  BOOST_TEST(policy.next_delay(t, t + 10000ms).count() == 100);
  BOOST_TEST(policy.attempt() == 1u);
  BOOST_TEST(policy.next_delay(t, t + 1ms).count() == 200);
}

BOOST_AUTO_TEST_CASE(reset_starts_the_sequence_over) {
  backoff_policy policy{settings(0.0), 0};
  delays(policy, 4);
  policy.reset();
  BOOST_TEST(policy.attempt() == 0u);
  BOOST_TEST(delays(policy, 1).front() == 100);
}

BOOST_AUTO_TEST_CASE(restart_intensity_allows_max_restarts_then_refuses) {
  restart_intensity intensity{3, 1000ms};
  time_point t{};
  BOOST_TEST(intensity.record(t));
  BOOST_TEST(intensity.record(t + 10ms));
  BOOST_TEST(intensity.record(t + 20ms));
  BOOST_TEST(!intensity.record(t + 30ms));
  BOOST_TEST(intensity.recent(t + 30ms) == 3u);
}

BOOST_AUTO_TEST_CASE(zero_max_restarts_refuses_the_first_restart) {
  restart_intensity intensity{0, 1000ms};
  BOOST_TEST(!intensity.record(time_point{}));
}

BOOST_AUTO_TEST_CASE(the_sliding_window_forgets_restarts_older_than_period) {
  restart_intensity intensity{2, 1000ms};
  time_point t{};
  BOOST_TEST(intensity.record(t));
  BOOST_TEST(intensity.record(t + 500ms));
  BOOST_TEST(!intensity.record(t + 999ms));
  // The first restart leaves the window at exactly t + period.
  BOOST_TEST(intensity.recent(t + 1000ms) == 1u);
  BOOST_TEST(intensity.record(t + 1000ms));
  BOOST_TEST(!intensity.record(t + 1499ms));
  BOOST_TEST(intensity.recent(t + 3000ms) == 0u);
  BOOST_TEST(intensity.record(t + 3000ms));
}
