#define BOOST_TEST_MODULE z_calibration
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <random>

#include "actors/detect/anomaly_scorer.hpp"
#include "actors/detect/z_calibration.hpp"

using namespace vigil;

BOOST_AUTO_TEST_CASE(a_constant_spread_is_learned_at_the_stated_rate) {
  // |z| = 3 every time: the mean square goes 1 -> 9 as 9 - 8 (1 - 1/h)^n.
  z_calibration cal{{true, 10, 5}};
  for (int n = 0; n < 50; ++n) {
    auto expected_factor = std::sqrt(9 - 8 * std::pow(0.9, n));
    BOOST_TEST(cal.factor() == expected_factor,
               boost::test_tools::tolerance(1e-12));
    auto z = n % 2 == 0 ? 3.0 : -3.0;
    BOOST_TEST(cal.observe(z) == z / expected_factor,
               boost::test_tools::tolerance(1e-12));
  }
}

BOOST_AUTO_TEST_CASE(gaussian_residuals_leave_z_as_it_is) {
  std::mt19937_64 rng{7};
  std::normal_distribution<double> normal{0, 1};
  z_calibration cal;
  double max_factor = 1;
  for (int i = 0; i < 50'000; ++i) {
    cal.observe(normal(rng));
    if (i > 2016)
      max_factor = std::max(max_factor, cal.factor());
  }
  // E[min(z, 5)^2] of a standard normal is 1 - 6e-6; the weighted mean
  // over 2016 samples wanders by a few percent.
  BOOST_TEST(max_factor < 1.08);
}

BOOST_AUTO_TEST_CASE(it_never_makes_the_detectors_more_sensitive) {
  z_calibration cal;
  for (int i = 0; i < 10'000; ++i)
    BOOST_TEST(cal.observe(0.1) == 0.1);
  BOOST_TEST(cal.factor() == 1.0);
}

BOOST_AUTO_TEST_CASE(one_outlier_moves_it_by_at_most_the_clip) {
  z_calibration cal{{true, 2016, 5}};
  cal.observe(1e6);
  BOOST_TEST(cal.factor() == std::sqrt(1 + 24.0 / 2016),
             boost::test_tools::tolerance(1e-12));
}

BOOST_AUTO_TEST_CASE(non_finite_and_disabled_pass_through) {
  z_calibration cal{{true, 10, 5}};
  auto nan = std::numeric_limits<double>::quiet_NaN();
  BOOST_TEST(std::isnan(cal.observe(nan)));
  BOOST_TEST(std::isinf(cal.observe(std::numeric_limits<double>::infinity())));
  BOOST_TEST(cal.factor() == 1.0);
  z_calibration off{{false, 10, 5}};
  for (int i = 0; i < 100; ++i)
    off.observe(4);
  BOOST_TEST(off.observe(4) == 4.0);
}

namespace {

/// Anomalous samples of a flat series with Student t (4 degrees of
/// freedom) noise and one 40-sigma spike at the end; whether it was found.
struct heavy_tail_run {
  size_t false_alarms = 0;
  bool spike_found = false;
};

heavy_tail_run run_heavy_tail(bool calibrate) {
  detection_config config;
  config.seasonality.enabled = false;
  config.calibration.enabled = calibrate;
  anomaly_scorer scorer(config);
  std::mt19937_64 rng{11};
  std::student_t_distribution<double> noise{4};
  heavy_tail_run out;
  const size_t n = 20'000;
  for (size_t i = 0; i < n; ++i) {
    auto t = 1'396'310'400'000 + static_cast<int64_t>(i) * 300'000;
    // Student t(4) has standard deviation sqrt(2).
    auto spike = i == n - 1 ? 40 * std::sqrt(2.0) : 0.0;
    auto p = scorer.observe(t, 100 + noise(rng) + spike);
    if (i == n - 1)
      out.spike_found = p.anomalous();
    else if (p.anomalous())
      ++out.false_alarms;
  }
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(heavy_tailed_noise_pages_less_and_a_real_spike_still) {
  auto raw = run_heavy_tail(false);
  auto calibrated = run_heavy_tail(true);
  BOOST_TEST_MESSAGE("false alarms over 20000 samples: "
                     << raw.false_alarms << " raw, " << calibrated.false_alarms
                     << " calibrated");
  BOOST_TEST(raw.false_alarms > 0u);
  BOOST_TEST(2 * calibrated.false_alarms <= raw.false_alarms);
  BOOST_TEST(raw.spike_found);
  BOOST_TEST(calibrated.spike_found);
}
