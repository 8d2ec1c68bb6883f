#define BOOST_TEST_MODULE robust_baseline
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "actors/detect/robust_baseline.hpp"

using namespace vigil;

namespace {

double slow_median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  auto n = xs.size();
  return n % 2 == 1 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

} // namespace

BOOST_AUTO_TEST_CASE(the_window_median_and_mad_match_a_full_sort) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(10, 3);
  robust_window window(31);
  std::vector<double> all;
  for (int i = 0; i < 500; ++i) {
    auto x = std::round(dist(rng) * 4) / 4; // ties on purpose
    window.push(x);
    all.push_back(x);
    auto first = all.size() > 31 ? all.end() - 31 : all.begin();
    std::vector<double> last(first, all.end());
    auto m = slow_median(last);
    std::vector<double> dev;
    for (auto v : last)
      dev.push_back(std::fabs(v - m));
    BOOST_TEST(window.median() == m);
    BOOST_TEST(window.mad() == slow_median(dev));
    BOOST_TEST(window.newest(0) == x);
  }
}

BOOST_AUTO_TEST_CASE(an_even_sized_window_averages_the_middle_values) {
  robust_window window(4);
  for (double x : {1.0, 2.0, 10.0, 4.0})
    window.push(x);
  BOOST_TEST(window.median() == 3.0);
  // deviations 2, 1, 7, 1 -> sorted 1, 1, 2, 7
  BOOST_TEST(window.mad() == 1.5);
}

BOOST_AUTO_TEST_CASE(an_empty_window_answers_zero) {
  robust_window window(8);
  BOOST_TEST(window.median() == 0.0);
  BOOST_TEST(window.mad() == 0.0);
  BOOST_TEST(window.mean_absolute_deviation() == 0.0);
}

BOOST_AUTO_TEST_CASE(outliers_move_neither_level_nor_scale) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> noise(100, 2);
  robust_baseline baseline;
  for (int i = 0; i < 200; ++i)
    baseline.observe(noise(rng));
  auto before = baseline.score(100);
  // A burst of outliers, 20 % of the window.
  for (int i = 0; i < 19; ++i) {
    auto est = baseline.observe(1000);
    BOOST_TEST(est.z > 50);
  }
  auto after = baseline.score(100);
  BOOST_TEST(std::fabs(after.expected - before.expected) < 2.0);
  BOOST_TEST(after.scale < 1.5 * before.scale);
  BOOST_TEST(std::fabs(before.scale - 2.0) < 0.6);
}

BOOST_AUTO_TEST_CASE(a_constant_series_gives_finite_zero_scores) {
  for (double level : {0.0, 5.0, -3.0, 1e12}) {
    robust_baseline baseline;
    for (int i = 0; i < 300; ++i) {
      auto est = baseline.observe(level);
      BOOST_TEST(std::isfinite(est.z));
      BOOST_TEST(est.z == 0.0);
      BOOST_TEST(est.scale > 0.0);
    }
  }
}

BOOST_AUTO_TEST_CASE(a_change_from_a_constant_series_scores_high_but_finite) {
  robust_baseline baseline;
  for (int i = 0; i < 100; ++i)
    baseline.observe(0.0);
  auto est = baseline.observe(1.0);
  BOOST_TEST(std::isfinite(est.z));
  BOOST_TEST(est.z > 100);
}

BOOST_AUTO_TEST_CASE(a_series_of_mostly_ties_falls_back_to_the_mean_deviation) {
  robust_baseline baseline;
  for (int i = 0; i < 200; ++i)
    baseline.observe(i % 10 == 0 ? 1.0 : 0.0);
  auto est = baseline.score(1.0);
  // The MAD is 0; the mean absolute deviation (0.1) keeps a count of 1 from
  // scoring like a catastrophe.
  BOOST_TEST(est.scale > 0.05);
  BOOST_TEST(est.z < 10);
}

BOOST_AUTO_TEST_CASE(non_finite_values_are_not_folded_in) {
  robust_baseline baseline;
  for (int i = 0; i < 50; ++i)
    baseline.observe(1.0 + (i % 3));
  auto n = baseline.observations();
  auto est = baseline.observe(std::nan(""));
  BOOST_TEST(est.z == 0.0);
  baseline.observe(INFINITY);
  BOOST_TEST(baseline.observations() == n);
  BOOST_TEST(std::isfinite(baseline.score(2.0).z));
}

BOOST_AUTO_TEST_CASE(no_z_score_before_the_warmup) {
  robust_baseline baseline(robust_baseline_config{96, 8, 1e-3, 1e-9});
  for (int i = 0; i < 8; ++i) {
    auto est = baseline.observe(i == 7 ? 1000.0 : 1.0);
    BOOST_TEST(!est.ready);
    BOOST_TEST(est.z == 0.0);
  }
  BOOST_TEST(baseline.score(1.0).ready);
}

BOOST_AUTO_TEST_CASE(a_shift_moves_the_level_and_keeps_the_scale) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  robust_baseline baseline;
  for (int i = 0; i < 200; ++i)
    baseline.observe(noise(rng));
  auto before = baseline.score(0);
  baseline.shift(50);
  auto after = baseline.score(50);
  BOOST_TEST(std::fabs(after.expected - before.expected - 50) < 1e-9);
  BOOST_TEST(after.scale == before.scale);
}

BOOST_AUTO_TEST_CASE(following_the_trend_predicts_a_ramp_and_ignores_outliers) {
  robust_baseline_config cfg;
  cfg.follow_trend = true;
  robust_baseline trend{cfg};
  robust_baseline spiky{cfg};
  robust_baseline median{};
  // A ramp of 2 per value: the median of 96 values lags it by 96.
  for (int i = 0; i < 200; ++i) {
    double v = 1000 + 2.0 * i;
    trend.observe(v);
    median.observe(v);
    // Outliers move a half's median by at most a rank (2) each.
    spiky.observe(i == 150 || i == 170 ? v + 5000 : v);
  }
  auto next = 1000 + 2.0 * 200;
  BOOST_TEST(trend.score(next).expected == next,
             boost::test_tools::tolerance(1e-9));
  BOOST_TEST(std::fabs(spiky.score(next).expected - next) < 4.0);
  BOOST_TEST(next - median.score(next).expected > 90);
  // Fewer than 16 values: the plain median.
  robust_baseline young{cfg};
  for (int i = 0; i < 15; ++i)
    young.observe(i);
  BOOST_TEST(young.score(0).expected == 7.0);
  // A flat series stays flat.
  robust_baseline flat{cfg};
  for (int i = 0; i < 100; ++i)
    flat.observe(5);
  BOOST_TEST(flat.score(5).expected == 5.0);
}
