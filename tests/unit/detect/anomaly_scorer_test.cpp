#define BOOST_TEST_MODULE anomaly_scorer
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <ostream>
#include <random>
#include <vector>

#include "actors/detect/anomaly_scorer.hpp"

using namespace vigil;

namespace vigil {

std::ostream& operator<<(std::ostream& out, detector_kind kind) {
  return out << to_string(kind);
}

} // namespace vigil

namespace {

constexpr int64_t five_minutes = 5 * 60 * 1000;
constexpr double pi = 3.14159265358979323846;

int64_t at(size_t i) {
  return 1'396'310'400'000 + static_cast<int64_t>(i) * five_minutes;
}

struct series {
  explicit series(uint64_t seed, double amplitude = 0)
      : rng(seed), amplitude(amplitude) {
    // nop
  }

  double operator()(size_t i) {
    auto day = static_cast<double>(i % 288) / 288.0;
    return 100 + amplitude * std::sin(2 * pi * day) + noise(rng);
  }

  std::mt19937_64 rng;
  std::normal_distribution<double> noise{0, 2};
  double amplitude;
};

} // namespace

BOOST_AUTO_TEST_CASE(a_spike_is_found_and_attributed_to_the_spike_detector) {
  series gen(1);
  anomaly_scorer scorer;
  size_t i = 0;
  for (; i < 500; ++i)
    scorer.observe(at(i), gen(i));
  auto p = scorer.observe(at(i), 160);
  BOOST_TEST(p.anomalous());
  BOOST_TEST(p.detector == detector_kind::spike);
  BOOST_TEST(p.score <= 1.0);
  BOOST_TEST(p.z > 20);
}

BOOST_AUTO_TEST_CASE(a_dip_is_found_too) {
  series gen(2);
  anomaly_scorer scorer;
  size_t i = 0;
  for (; i < 500; ++i)
    scorer.observe(at(i), gen(i));
  auto p = scorer.observe(at(i), 40);
  BOOST_TEST(p.anomalous());
  BOOST_TEST(p.z < -20);
}

BOOST_AUTO_TEST_CASE(a_level_shift_is_found_within_twelve_samples) {
  series gen(3);
  anomaly_scorer scorer;
  size_t i = 0;
  for (; i < 600; ++i)
    scorer.observe(at(i), gen(i));
  // +3 sigma: below the spike threshold, a job for the CUSUM.
  int found = -1;
  for (int k = 0; k < 12 && found < 0; ++k, ++i) {
    auto p = scorer.observe(at(i), gen(i) + 6);
    if (p.anomalous()) {
      found = k;
      BOOST_TEST(p.detector == detector_kind::level_shift);
    }
  }
  BOOST_TEST(found >= 0);
  // Re-based: the new level is normal a while later.
  int late_alarms = 0;
  for (int k = 0; k < 400; ++k, ++i)
    late_alarms += scorer.observe(at(i), gen(i) + 6).anomalous() ? 1 : 0;
  BOOST_TEST(late_alarms <= 1);
}

BOOST_AUTO_TEST_CASE(a_seasonal_series_raises_no_alarm_after_warmup) {
  series gen(4, 40);
  anomaly_scorer scorer;
  size_t i = 0;
  for (; i < 288 * 4; ++i)
    scorer.observe(at(i), gen(i));
  BOOST_TEST(scorer.season().period() == 288u);
  int alarms = 0;
  double worst = 0;
  for (; i < 288 * 14; ++i) {
    auto p = scorer.observe(at(i), gen(i));
    alarms += p.anomalous() ? 1 : 0;
    worst = std::max(worst, p.score);
  }
  BOOST_TEST(alarms == 0);
  BOOST_TEST(worst < 0.5);
}

BOOST_AUTO_TEST_CASE(without_seasonality_the_same_series_pages) {
  series gen(4, 40);
  detection_config config;
  config.seasonality.enabled = false;
  anomaly_scorer scorer(config);
  int alarms = 0;
  for (size_t i = 0; i < 288 * 14; ++i)
    alarms += scorer.observe(at(i), gen(i)).anomalous() ? 1 : 0;
  BOOST_TEST(alarms > 0);
}

BOOST_AUTO_TEST_CASE(a_spike_in_a_seasonal_series_is_found_at_the_trough) {
  series gen(5, 40);
  anomaly_scorer scorer;
  size_t i = 0;
  for (; i < 288 * 5 + 216; ++i) // 18:00 on day 6: the sine's trough
    scorer.observe(at(i), gen(i));
  // 100 - 40 + 25: inside the daily range, far from this hour's normal.
  auto p = scorer.observe(at(i), 85);
  BOOST_TEST(p.anomalous());
}

BOOST_AUTO_TEST_CASE(nothing_is_scored_before_the_minimum_history) {
  detection_config config;
  config.min_history = 100;
  anomaly_scorer scorer(config);
  for (size_t i = 0; i < 100; ++i)
    BOOST_TEST(scorer.observe(at(i), i == 50 ? 1e6 : 1.0).score == 0.0);
  BOOST_TEST(scorer.observe(at(100), 1e6).anomalous());
}

BOOST_AUTO_TEST_CASE(constant_series_score_zero_and_never_divide_by_zero) {
  for (double level : {0.0, 1.0, -7.5}) {
    anomaly_scorer scorer;
    for (size_t i = 0; i < 288 * 5; ++i) {
      auto p = scorer.observe(at(i), level);
      BOOST_TEST(p.score == 0.0);
      BOOST_TEST(std::isfinite(p.z));
      BOOST_TEST(std::isfinite(p.expected));
    }
  }
}

BOOST_AUTO_TEST_CASE(scores_stay_in_zero_one_on_wild_input) {
  std::mt19937_64 rng(6);
  std::cauchy_distribution<double> wild(0, 1);
  anomaly_scorer scorer;
  for (size_t i = 0; i < 5000; ++i) {
    auto p = scorer.observe(at(i), wild(rng) * 1e6);
    BOOST_TEST((p.score >= 0.0 && p.score <= 1.0));
  }
  auto p = scorer.observe(at(5000), std::nan(""));
  BOOST_TEST(p.score == 0.0);
}

BOOST_AUTO_TEST_CASE(a_score_depends_only_on_the_samples_before_it) {
  series a(7);
  series b(7);
  anomaly_scorer full;
  anomaly_scorer prefix;
  std::vector<double> scores;
  for (size_t i = 0; i < 2000; ++i)
    scores.push_back(full.observe(at(i), a(i) + (i == 1500 ? 50 : 0)).score);
  for (size_t i = 0; i < 1501; ++i) {
    auto s = prefix.observe(at(i), b(i) + (i == 1500 ? 50 : 0)).score;
    BOOST_TEST(s == scores[i]);
  }
}

BOOST_AUTO_TEST_CASE(lower_sensitivity_needs_a_larger_deviation) {
  detection_config calm;
  calm.sensitivity = 0.25;
  series gen(8);
  anomaly_scorer scorer(calm);
  size_t i = 0;
  for (; i < 500; ++i)
    scorer.observe(at(i), gen(i));
  BOOST_TEST(!scorer.observe(at(i), 120).anomalous());
}
