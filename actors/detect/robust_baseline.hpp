#pragma once

#include <cstddef>
#include <vector>

namespace vigil {

/// The last `capacity` values of a series, kept sorted as well as in arrival
/// order: median and median absolute deviation (MAD) in O(capacity) per
/// value, with no allocation after the window is full.
class robust_window {
public:
  explicit robust_window(size_t capacity);

  /// Adds `value`, dropping the oldest value when the window is full.
  void push(double value);

  /// Adds `delta` to every value (a re-baseline after a level shift).
  void shift(double delta);

  void clear();

  size_t size() const noexcept {
    return sorted_.size();
  }

  size_t capacity() const noexcept {
    return capacity_;
  }

  /// The median; 0 when empty.
  double median() const noexcept;

  /// The median of |value - median()|; 0 when empty.
  double mad() const noexcept;

  /// The mean of |value - median()|; 0 when empty.
  double mean_absolute_deviation() const noexcept;

  /// The `k`-th newest value (0: the newest); k < size().
  double newest(size_t k) const noexcept;

private:
  size_t capacity_;
  std::vector<double> sorted_;
  std::vector<double> arrival_;
  /// Position in `arrival_` of the next write once the window is full.
  size_t head_ = 0;
};

/// The median of `xs` (the mean of the middle two for an even count; 0 when
/// empty); reorders `xs`.
double median_of(std::vector<double>& xs);

/// Settings of a robust_baseline.
struct robust_baseline_config {
  /// Values in the level and scale windows.
  size_t window = 96;
  /// Values seen before the baseline gives a z-score.
  size_t warmup = 8;
  /// Lower bound on the scale as a fraction of |median|: a series that is
  /// constant apart from rounding does not turn each wiggle into a page.
  double min_relative_scale = 1e-3;
  /// Lower bound on the scale in the series' own units.
  double min_scale = 1e-9;
  /// Extrapolate the level along the window's robust trend: the slope
  /// between the medians of its older and newer halves, from the newer
  /// half's centre to the next value. A median alone lags a ramp by half the
  /// window (a daily traffic cycle's morning rise reads as a level shift);
  /// the trend also follows a slow drift, so it is off by default.
  bool follow_trend = false;
};

/// The verdict of a robust baseline on one value.
struct robust_estimate {
  /// The median of the level window before this value.
  double expected = 0;
  /// The robust standard deviation (1.4826 MAD of recent residuals, or
  /// 1.2533 mean absolute deviation when the MAD is 0, then the floors).
  double scale = 0;
  /// (value - expected) / scale; 0 until `ready`.
  double z = 0;
  /// True once `warmup` values were seen.
  bool ready = false;
};

/// An online median/MAD baseline over a bounded window. The level is the
/// median of the last `window` values and the scale the MAD of the last
/// `window` residuals, so outliers, up to nearly half of the window, move
/// neither: the baseline is not fooled by the anomalies it looks for.
class robust_baseline {
public:
  explicit robust_baseline(robust_baseline_config config = {});

  /// Scores `value` against the values seen so far, without folding it in.
  robust_estimate score(double value) const noexcept;

  /// Folds `value` and its residual (value - score(value).expected) in.
  void fold(double value, double residual);

  /// Scores `value`, then folds it in. Non-finite values are scored 0 and
  /// not folded.
  robust_estimate observe(double value);

  /// Moves the level by `delta` (a confirmed level shift); the scale stays.
  void shift(double delta);

  /// The median of the `n` newest residuals (n <= window); 0 when empty.
  double recent_residual_median(size_t n) const;

  void clear();

  size_t observations() const noexcept {
    return observations_;
  }

  const robust_baseline_config& config() const noexcept {
    return config_;
  }

private:
  /// The level expected for the next value (median, or trend-following).
  double level() const noexcept;

  robust_baseline_config config_;
  robust_window level_;
  /// Scratch for the halves' medians (no allocation per value).
  mutable std::vector<double> scratch_;
  robust_window residuals_;
  size_t observations_ = 0;
};

} // namespace vigil
