#define BOOST_TEST_MODULE seasonality
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "actors/detect/seasonality.hpp"

using namespace vigil;

namespace {

constexpr int64_t five_minutes = 5 * 60 * 1000;
constexpr double pi = 3.14159265358979323846;

/// A 5-minute series: 100 + daily sine of amplitude 30 (+ weekend drop) +
/// noise.
double sample(size_t i, std::mt19937_64& rng, bool weekly) {
  std::normal_distribution<double> noise(0, 3);
  auto day = static_cast<double>(i % 288) / 288.0;
  double x = 100 + 30 * std::sin(2 * pi * day) + noise(rng);
  if (weekly && (i / 288) % 7 >= 5)
    x -= 40;
  return x;
}

} // namespace

BOOST_AUTO_TEST_CASE(a_daily_cycle_is_found_from_the_timestamps) {
  std::mt19937_64 rng(1);
  seasonality season;
  bool adopted = false;
  for (size_t i = 0; i < 288 * 4; ++i)
    adopted = season.record(static_cast<int64_t>(i) * five_minutes,
                            sample(i, rng, false))
              || adopted;
  BOOST_TEST(adopted);
  BOOST_TEST(season.period() == 288u);
  BOOST_TEST(season.period_ms() == seasonality::day_ms);
  // The profile follows the sine: peak near 6:00, trough near 18:00.
  BOOST_TEST(std::fabs(season.expected(6 * 3600 * 1000) - 30) < 5);
  BOOST_TEST(std::fabs(season.expected(18 * 3600 * 1000) + 30) < 5);
}

BOOST_AUTO_TEST_CASE(a_weekly_cycle_replaces_the_daily_one) {
  std::mt19937_64 rng(2);
  seasonality season;
  for (size_t i = 0; i < 288 * 7 * 3; ++i)
    season.record(static_cast<int64_t>(i) * five_minutes, sample(i, rng, true));
  BOOST_TEST(season.period() == 288u * 7);
  BOOST_TEST(season.period_ms() == seasonality::week_ms);
}

BOOST_AUTO_TEST_CASE(a_weekly_profile_is_a_daily_shape_plus_a_level_per_day) {
  // Three weeks give each phase of the week three samples but each phase
  // of the day 21: the adopted profile is the daily shape plus each day's
  // level (rms error 0.64 here; a profile per phase of the week had 1.52).
  std::mt19937_64 rng(5);
  seasonality season;
  const size_t week = 288 * 7;
  for (size_t i = 0; i < week * 3; ++i)
    season.record(static_cast<int64_t>(i) * five_minutes, sample(i, rng, true));
  BOOST_REQUIRE(season.period_ms() == seasonality::week_ms);
  // The true pattern of `sample`, centred on 0 over the week.
  auto truth = [](size_t i) {
    auto day = static_cast<double>(i % 288) / 288.0;
    return 30 * std::sin(2 * pi * day) - ((i / 288) % 7 >= 5 ? 40.0 : 0.0)
           + 40.0 * 2 / 7;
  };
  double squares = 0;
  for (size_t i = 0; i < week; ++i) {
    auto e = season.expected(static_cast<int64_t>(i) * five_minutes) - truth(i);
    squares += e * e;
  }
  auto rms = std::sqrt(squares / static_cast<double>(week));
  BOOST_TEST_MESSAGE("weekly profile rms error " << rms << " (noise sd 3)");
  BOOST_TEST(rms < 1.0);
}

BOOST_AUTO_TEST_CASE(noise_and_trends_adopt_no_period) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 1);
  seasonality season;
  seasonality trend;
  double walk = 0;
  for (size_t i = 0; i < 288 * 10; ++i) {
    auto t = static_cast<int64_t>(i) * five_minutes;
    season.record(t, noise(rng));
    walk += noise(rng);
    trend.record(t, 0.05 * static_cast<double>(i) + walk);
  }
  BOOST_TEST(season.period() == 0u);
  BOOST_TEST(trend.period() == 0u);
}

BOOST_AUTO_TEST_CASE(a_constant_series_adopts_nothing_and_expects_zero) {
  seasonality season;
  for (size_t i = 0; i < 288 * 5; ++i)
    season.record(static_cast<int64_t>(i) * five_minutes, 42.0);
  BOOST_TEST(season.period() == 0u);
  BOOST_TEST(season.expected(0) == 0.0);
  BOOST_TEST(
      seasonality::detrended_autocorrelation(std::vector<double>(100, 3.0), 10)
      == 0.0);
}

BOOST_AUTO_TEST_CASE(an_outlier_barely_moves_the_profile) {
  std::mt19937_64 rng(4);
  seasonality season;
  size_t i = 0;
  for (; i < 288 * 4; ++i)
    season.record(static_cast<int64_t>(i) * five_minutes,
                  sample(i, rng, false));
  BOOST_REQUIRE(season.period() == 288u);
  auto t = static_cast<int64_t>(i) * five_minutes;
  auto before = season.expected(t);
  season.learn(t, 1e9, 3.0);
  BOOST_TEST(std::fabs(season.expected(t) - before) <= 0.15 * 3 * 3 + 1e-9);
}

BOOST_AUTO_TEST_CASE(a_disabled_seasonality_never_adopts) {
  std::mt19937_64 rng(5);
  seasonality_config config;
  config.enabled = false;
  seasonality season(config);
  for (size_t i = 0; i < 288 * 4; ++i)
    BOOST_TEST(!season.record(static_cast<int64_t>(i) * five_minutes,
                              sample(i, rng, false)));
  BOOST_TEST(season.period() == 0u);
}
