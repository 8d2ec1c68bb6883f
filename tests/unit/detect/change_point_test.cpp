#define BOOST_TEST_MODULE change_point
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>

#include "actors/detect/change_point.hpp"
#include "actors/detect/spike.hpp"

using namespace vigil;

BOOST_AUTO_TEST_CASE(a_shift_of_two_sigma_is_confirmed_within_ten_samples) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> noise(0, 1);
  change_point_detector cusum;
  for (int i = 0; i < 2000; ++i)
    BOOST_TEST(!cusum.observe(0.5 * noise(rng)).level_shift);
  int found = -1;
  for (int i = 0; i < 10 && found < 0; ++i) {
    auto v = cusum.observe(2.5 + noise(rng) * 0.5);
    if (v.level_shift) {
      found = i;
      BOOST_TEST(v.direction == 1);
      BOOST_TEST(v.run_length >= static_cast<size_t>(i));
    }
  }
  BOOST_TEST(found >= 0);
  BOOST_TEST(cusum.upper() == 0.0);
}

BOOST_AUTO_TEST_CASE(a_downward_shift_has_direction_minus_one) {
  change_point_detector cusum;
  change_point_verdict v;
  for (int i = 0; i < 20 && !v.level_shift; ++i)
    v = cusum.observe(-3);
  BOOST_TEST(v.level_shift);
  BOOST_TEST(v.direction == -1);
}

BOOST_AUTO_TEST_CASE(one_spike_does_not_confirm_a_shift) {
  change_point_detector cusum;
  BOOST_TEST(!cusum.observe(1000).level_shift);
  BOOST_TEST(cusum.upper() <= 4.0);
}

BOOST_AUTO_TEST_CASE(a_rise_in_variance_is_confirmed) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> noise(0, 1);
  change_point_detector cusum;
  int alarms = 0;
  for (int i = 0; i < 2000; ++i)
    alarms += cusum.observe(noise(rng)).variance_change ? 1 : 0;
  BOOST_TEST(alarms == 0);
  bool found = false;
  for (int i = 0; i < 60 && !found; ++i)
    found = cusum.observe(4 * noise(rng)).variance_change;
  BOOST_TEST(found);
}

BOOST_AUTO_TEST_CASE(higher_sensitivity_confirms_sooner) {
  change_point_detector a;
  change_point_detector b;
  int na = 0;
  int nb = 0;
  while (!a.observe(1.5).level_shift)
    ++na;
  while (!b.observe(1.5, 2.0).level_shift)
    ++nb;
  BOOST_TEST(nb < na);
}

BOOST_AUTO_TEST_CASE(non_finite_scores_change_nothing) {
  change_point_detector cusum;
  cusum.observe(2);
  auto before = cusum.upper();
  auto v = cusum.observe(std::nan(""));
  BOOST_TEST(!v.level_shift);
  BOOST_TEST(cusum.upper() == before);
}

BOOST_AUTO_TEST_CASE(a_spike_is_a_residual_beyond_the_threshold_either_way) {
  spike_detector spike;
  BOOST_TEST(spike.observe(9).spike);
  BOOST_TEST(spike.observe(9).direction == 1);
  BOOST_TEST(spike.observe(-9).spike);
  BOOST_TEST(spike.observe(-9).direction == -1);
  BOOST_TEST(!spike.observe(3).spike);
  BOOST_TEST(spike.observe(3, 3.0).spike);
  BOOST_TEST(!spike.observe(std::nan("")).spike);
}

BOOST_AUTO_TEST_CASE(an_upper_only_spike_detector_ignores_dips) {
  spike_config config;
  config.upper_only = true;
  spike_detector spike(config);
  BOOST_TEST(!spike.observe(-100).spike);
  BOOST_TEST(spike.observe(100).spike);
}
