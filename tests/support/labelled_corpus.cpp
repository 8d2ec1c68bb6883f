#include "support/labelled_corpus.hpp"

#include <algorithm>
#include <cmath>
#include <random>

namespace vigil::test {

namespace {

constexpr double pi = 3.14159265358979323846;

/// 2014-04-01T00:00:00Z, a Tuesday.
constexpr int64_t epoch_start = 1'396'310'400'000;

enum class noise_regime { gaussian, heavy_tailed, counts };

} // namespace

const char* to_string(anomaly_kind kind) noexcept {
  switch (kind) {
  case anomaly_kind::none:
    return "noise_only";
  case anomaly_kind::spike:
    return "spike";
  case anomaly_kind::dip:
    return "dip";
  case anomaly_kind::level_shift:
    return "level_shift";
  case anomaly_kind::variance_change:
    return "variance_change";
  case anomaly_kind::seasonality_break:
    return "seasonality_break";
  case anomaly_kind::slow_drift:
    return "slow_drift";
  }
  return "none";
}

labelled_series make_series(uint64_t seed, anomaly_kind kind,
                            const corpus_config& config) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(rng);
  };
  auto pick = [&](int n) {
    return std::uniform_int_distribution<int>(0, n - 1)(rng);
  };
  auto per_day = static_cast<size_t>(86'400'000 / config.step_ms);
  auto n = config.days * per_day;
  labelled_series s;
  s.kind = kind;
  s.eval_begin = config.eval_begin_day * per_day;
  auto regime = static_cast<noise_regime>(pick(3));
  bool noise_only = kind == anomaly_kind::none;
  int seasons = noise_only ? 0 : pick(3); // 0 none, 1 daily, 2 weekly too
  if (kind == anomaly_kind::seasonality_break)
    seasons = 1 + pick(2);
  double level
      = regime == noise_regime::counts ? uniform(8, 60) : uniform(50, 500);
  double sigma = regime == noise_regime::counts ? std::sqrt(level)
                                                : level * uniform(0.01, 0.04);
  double amplitude = seasons > 0 ? level * uniform(0.2, 0.6) : 0;
  double phase = uniform(0, 2 * pi);
  double harmonic = uniform(0, 0.4);
  double weekend = seasons == 2 ? -level * uniform(0.15, 0.3) : 0;
  double trend_per_day = noise_only ? 0 : level * uniform(-0.005, 0.01);

  // Two anomalies: one in each half of the evaluated days.
  struct injected {
    size_t begin = 0;
    size_t length = 0;
    double magnitude = 0;
    double factor = 1;
  };
  std::vector<injected> anomalies;
  if (!noise_only) {
    auto eval_days = config.days - config.eval_begin_day;
    for (int k = 0; k < 2; ++k) {
      auto first_day = config.eval_begin_day + 1 + k * eval_days / 2;
      auto span = eval_days / 2 - 3;
      injected a;
      a.begin = first_day * per_day
                + static_cast<size_t>(uniform(0, 1) * span * per_day);
      double sign = pick(2) == 0 ? 1 : -1;
      switch (kind) {
      case anomaly_kind::spike:
        a.length = 1 + pick(3);
        a.magnitude = sigma * uniform(6, 12);
        break;
      case anomaly_kind::dip:
        a.length = 1 + pick(3);
        a.magnitude = -sigma * uniform(6, 12);
        break;
      case anomaly_kind::level_shift:
        a.length = per_day / 12; // labelled: the first two hours
        a.magnitude = sign * sigma * uniform(4, 8);
        break;
      case anomaly_kind::variance_change:
        a.length = per_day;
        a.factor = uniform(3, 5);
        break;
      case anomaly_kind::seasonality_break:
        a.length = per_day;
        a.factor = uniform(0.25, 0.5); // of a day: the phase moves
        break;
      case anomaly_kind::slow_drift:
        a.length = per_day;
        a.magnitude = sign * sigma * uniform(8, 12);
        break;
      case anomaly_kind::none:
        break;
      }
      anomalies.push_back(a);
      s.windows.push_back({a.begin, a.begin + a.length});
    }
  }

  std::normal_distribution<double> gauss(0, 1);
  std::student_t_distribution<double> heavy(4);
  s.t_ms.resize(n);
  s.values.resize(n);
  for (size_t i = 0; i < n; ++i) {
    s.t_ms[i] = epoch_start + static_cast<int64_t>(i) * config.step_ms;
    auto day = static_cast<double>(i) / static_cast<double>(per_day);
    auto season_at = [&](double d) {
      auto x = 2 * pi * (d - std::floor(d)) + phase;
      auto v = amplitude * (std::sin(x) + harmonic * std::sin(2 * x));
      auto weekday = static_cast<int64_t>(std::floor(d)) % 7; // 0: Tuesday
      if (weekday == 4 || weekday == 5)                       // Sat, Sun
        v += weekend;
      return v;
    };
    double seasonal = seasons > 0 ? season_at(day) : 0;
    double shift = 0;
    double noise_factor = 1;
    for (auto& a : anomalies) {
      auto end = a.begin + a.length;
      switch (kind) {
      case anomaly_kind::spike:
      case anomaly_kind::dip:
        if (i >= a.begin && i < end)
          shift += a.magnitude;
        break;
      case anomaly_kind::level_shift:
        if (i >= a.begin)
          shift += a.magnitude;
        break;
      case anomaly_kind::variance_change:
        if (i >= a.begin && i < end)
          noise_factor = a.factor;
        break;
      case anomaly_kind::seasonality_break:
        if (i >= a.begin && i < end)
          seasonal = season_at(day + a.factor);
        break;
      case anomaly_kind::slow_drift:
        if (i >= a.begin)
          shift += a.magnitude
                   * std::min(1.0, static_cast<double>(i - a.begin)
                                       / static_cast<double>(a.length));
        break;
      case anomaly_kind::none:
        break;
      }
    }
    double mean = level + trend_per_day * day + seasonal;
    double value = 0;
    switch (regime) {
    case noise_regime::gaussian:
      value = mean + noise_factor * sigma * gauss(rng);
      break;
    case noise_regime::heavy_tailed:
      // t(4) has variance 2: scale to sigma.
      value = mean + noise_factor * sigma * heavy(rng) / std::sqrt(2.0);
      break;
    case noise_regime::counts: {
      auto lambda = std::max(0.5, mean);
      auto count = static_cast<double>(
          std::poisson_distribution<int64_t>(lambda)(rng));
      value = lambda + noise_factor * (count - lambda);
      break;
    }
    }
    s.values[i] = std::max(0.0, value + shift);
  }
  static const char* regimes[] = {"gaussian", "heavy", "counts"};
  static const char* season_names[] = {"flat", "daily", "weekly"};
  s.name = std::string(to_string(kind)) + "/" + season_names[seasons] + "/"
           + regimes[static_cast<int>(regime)] + "/" + std::to_string(seed);
  return s;
}

std::vector<labelled_series> make_corpus(uint64_t seed,
                                         const corpus_config& config) {
  std::vector<labelled_series> out;
  std::mt19937_64 seeds(seed);
  for (auto kind : injected_kinds)
    for (size_t i = 0; i < config.series_per_kind; ++i)
      out.push_back(make_series(seeds(), kind, config));
  for (size_t i = 0; i < config.noise_only; ++i)
    out.push_back(make_series(seeds(), anomaly_kind::none, config));
  return out;
}

} // namespace vigil::test
