#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace vigil {

/// Settings of online seasonality.
struct seasonality_config {
  /// False: never adopts a period (expected() stays 0).
  bool enabled = true;
  /// Periods longer than this many samples are not considered (bounds the
  /// history: `history_cycles` times this).
  size_t max_period = 4032;
  /// Periods shorter than this many samples are not considered.
  size_t min_period = 4;
  /// Whole cycles of history needed before a period can be adopted.
  size_t history_cycles = 3;
  /// Autocorrelation at the period needed to adopt it.
  double min_autocorrelation = 0.3;
  /// Autocorrelation at the period minus that at half the period needed to
  /// adopt it (a trend or a random walk correlates at every lag; a cycle
  /// correlates at its period and anti-correlates half-way).
  double min_contrast = 0.2;
  /// A weekly period replaces a daily one when its autocorrelation is higher
  /// by this much (the weekend differs from the week).
  double weekly_margin = 0.05;
  /// Weight of a new residual in the per-phase profile, per visit of a phase.
  double learning_rate = 0.15;
  /// Residuals are clipped to this many scales before they reach the
  /// profile, so an anomaly barely moves it.
  double clip = 3.0;
};

/// Daily and weekly seasonality learned online. Keeps a bounded history of
/// (timestamp, value); every day's worth of samples it estimates the sample
/// interval (median of recent timestamp deltas), turns "one day" and "one
/// week" into candidate periods in samples, and measures the autocorrelation
/// of the linearly detrended history at each candidate and at its half. A
/// period that qualifies is adopted: the per-phase profile is initialised
/// from the history (median per phase of the value minus a centred moving
/// average), then updated online with clipped residuals. The phase of a
/// sample comes from its timestamp, so gaps do not shift it.
class seasonality {
public:
  /// One day and one week in milliseconds.
  static constexpr int64_t day_ms = 86'400'000;
  static constexpr int64_t week_ms = 7 * day_ms;

  explicit seasonality(seasonality_config config = {});

  /// Records a sample; returns true if this adopted a new period (or dropped
  /// one), so the caller re-bases what it derived from expected().
  bool record(int64_t t_ms, double value);

  /// The seasonal offset expected at `t_ms`; 0 without a period.
  double expected(int64_t t_ms) const noexcept;

  /// Updates the profile at the phase of `t_ms` with a residual (observed
  /// minus level minus expected), clipped to `clip` * `scale`.
  void learn(int64_t t_ms, double residual, double scale) noexcept;

  /// The adopted period in samples; 0 without one.
  size_t period() const noexcept {
    return profile_.size();
  }

  /// The adopted period in milliseconds (a day or a week); 0 without one.
  int64_t period_ms() const noexcept {
    return period_ms_;
  }

  /// The autocorrelation measured when the period was last checked.
  double autocorrelation() const noexcept {
    return last_acf_;
  }

  /// Samples in the history.
  size_t history_size() const noexcept {
    return count_ < times_.size() ? count_ : times_.size();
  }

  /// The `k`-th newest sample of the history (0: the newest).
  int64_t history_time(size_t k) const noexcept;
  double history_value(size_t k) const noexcept;

  /// Autocorrelation of `x` at `lag` after removing its least-squares line;
  /// 0 for a constant or too short series.
  static double detrended_autocorrelation(const std::vector<double>& x,
                                          size_t lag);

  /// The same at two lags, detrending once.
  static std::pair<double, double>
  detrended_autocorrelations(const std::vector<double>& x, size_t lag1,
                             size_t lag2);

private:
  size_t phase(int64_t t_ms) const noexcept;
  void check();
  void adopt(size_t period, int64_t period_ms);
  std::vector<double> recent(size_t n) const;

  seasonality_config config_;
  std::vector<int64_t> times_;
  std::vector<double> values_;
  size_t count_ = 0;
  size_t since_check_ = 0;
  size_t check_every_ = 64;
  bool changed_ = false;
  int64_t origin_ms_ = 0;
  int64_t period_ms_ = 0;
  double last_acf_ = 0;
  std::vector<double> profile_;
};

} // namespace vigil
