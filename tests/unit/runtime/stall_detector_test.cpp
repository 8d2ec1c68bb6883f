#define BOOST_TEST_MODULE stall_detector
#include <boost/test/unit_test.hpp>

#include <vector>

#include "runtime/stall_detector.hpp"

using namespace std::chrono_literals;
using vigil::stall_detector;
using obs = stall_detector::observation;

namespace {

const stall_detector::clock::time_point t0{};

} // namespace

BOOST_AUTO_TEST_CASE(lag_without_progress_for_the_bound_is_a_stall) {
  stall_detector d{10s};
  BOOST_TEST(d.observe(t0, {obs{0, 5, 100, false}}).empty());
  BOOST_TEST(d.observe(t0 + 9s, {obs{0, 5, 100, false}}).empty());
  BOOST_TEST((d.waiting_for(0, t0 + 9s) == 9s));
  auto began = d.observe(t0 + 10s, {obs{0, 5, 120, false}});
  BOOST_REQUIRE(began.size() == 1u);
  BOOST_TEST(began[0].stalled);
  BOOST_TEST(began[0].partition == 0);
  BOOST_TEST(began[0].lag == 120);
  BOOST_TEST((began[0].duration == 10s));
  BOOST_TEST(d.stalled() == 1u);
  // One episode, however long it lasts.
  BOOST_TEST(d.observe(t0 + 30s, {obs{0, 5, 130, false}}).empty());
  auto ended = d.observe(t0 + 31s, {obs{0, 6, 129, false}});
  BOOST_REQUIRE(ended.size() == 1u);
  BOOST_TEST(!ended[0].stalled);
  BOOST_TEST((ended[0].duration == 31s));
  BOOST_TEST(d.stalled() == 0u);
}

BOOST_AUTO_TEST_CASE(progress_restarts_the_clock) {
  stall_detector d{10s};
  uint64_t progress = 0;
  for (auto t = 0s; t <= 60s; t += 5s)
    BOOST_TEST(d.observe(t0 + t, {obs{1, ++progress, 500, false}}).empty());
  BOOST_TEST(d.stalled() == 0u);
}

BOOST_AUTO_TEST_CASE(no_lag_or_an_excuse_is_never_a_stall) {
  stall_detector d{10s};
  for (auto t = 0s; t <= 60s; t += 5s) {
    BOOST_TEST(d.observe(t0 + t, {obs{0, 1, 0, false}, obs{1, 1, -1, false},
                                  obs{2, 1, 900, true}})
                   .empty());
  }
  BOOST_TEST(d.stalled() == 0u);
  BOOST_TEST((d.waiting_for(2, t0 + 60s) == 0s));
}

BOOST_AUTO_TEST_CASE(an_excuse_ends_a_stall_and_its_end_restarts_the_clock) {
  stall_detector d{10s};
  d.observe(t0, {obs{0, 1, 10, false}});
  BOOST_TEST(d.observe(t0 + 10s, {obs{0, 1, 10, false}}).size() == 1u);
  // The operator holds consumption: no longer a stall.
  auto ended = d.observe(t0 + 11s, {obs{0, 1, 10, true}});
  BOOST_REQUIRE(ended.size() == 1u);
  BOOST_TEST(!ended[0].stalled);
  // Released: it has the whole bound again.
  BOOST_TEST(d.observe(t0 + 20s, {obs{0, 1, 10, false}}).empty());
  BOOST_TEST(d.observe(t0 + 29s, {obs{0, 1, 10, false}}).empty());
  BOOST_TEST(d.observe(t0 + 30s, {obs{0, 1, 10, false}}).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_forgotten_partition_starts_afresh) {
  stall_detector d{10s};
  d.observe(t0, {obs{4, 7, 10, false}});
  d.observe(t0 + 10s, {obs{4, 7, 10, false}});
  BOOST_TEST(d.is_stalled(4));
  d.forget(4);
  BOOST_TEST(!d.is_stalled(4));
  BOOST_TEST(d.stalled() == 0u);
  // Assigned again with the same progress value: not a stall before the
  // bound has passed again.
  BOOST_TEST(d.observe(t0 + 11s, {obs{4, 7, 10, false}}).empty());
  BOOST_TEST(d.observe(t0 + 20s, {obs{4, 7, 10, false}}).empty());
  BOOST_TEST(d.observe(t0 + 21s, {obs{4, 7, 10, false}}).size() == 1u);
}
