#pragma once

#include <cstdint>
#include <string>

namespace vigil {

/// Severity of an anomaly, from its score.
enum class severity : uint8_t {
  none = 0,
  low = 1,
  medium = 2,
  high = 3,
  critical = 4
};

/// Returns "none", "low", "medium", "high" or "critical".
const char* to_string(severity s) noexcept;

/// Settings of an online baseline detector.
struct baseline_config {
  /// EWMA smoothing factor in (0, 1]: weight of the newest observation.
  double alpha = 0.1;
  /// Observations before the baseline may raise anything.
  uint32_t warmup = 12;
  /// Score (in standard deviations) at or above which an observation is
  /// anomalous.
  double threshold = 4.0;
  /// Lower bound on the standard deviation used for scoring, as a fraction of
  /// the mean (so a perfectly flat series does not make every wiggle huge).
  double min_relative_stddev = 0.05;
  /// Lower bound on the standard deviation in absolute units.
  double min_stddev = 1e-9;
  /// Only raise when the observation is above the baseline (a spike), not
  /// below it.
  bool upper_only = true;
  /// Anomalous observations are not folded into the baseline (so a long
  /// incident does not become the new normal), unless this many in a row.
  uint32_t adapt_after = 30;
};

/// The verdict on one observation.
struct baseline_verdict {
  /// The observed value.
  double observed = 0;
  /// The baseline mean before this observation.
  double expected = 0;
  /// (observed - expected) / effective stddev; 0 during warm-up.
  double score = 0;
  /// none during warm-up or below the threshold.
  severity level = severity::none;
};

/// An exponentially weighted moving mean and variance with warm-up, used to
/// flag observations that deviate from the recent past. Plain data: it can be
/// snapshotted and restored by copying its state.
class ewma_baseline {
public:
  explicit ewma_baseline(baseline_config settings = {});

  /// Scores `value` against the baseline, then folds it in (unless it is
  /// anomalous, see `adapt_after`).
  baseline_verdict observe(double value);

  /// Observations folded in so far.
  uint64_t observations() const noexcept {
    return n_;
  }

  double mean() const noexcept {
    return mean_;
  }

  double variance() const noexcept {
    return var_;
  }

  /// Restores state saved from `observations()`, `mean()`, `variance()` and
  /// `anomalous_streak()`.
  void restore(uint64_t n, double mean, double variance, uint32_t streak);

  uint32_t anomalous_streak() const noexcept {
    return streak_;
  }

  /// Maps a score to a severity: below threshold none; then low, medium
  /// (1.5x), high (2.5x), critical (4x threshold).
  static severity classify(double score, double threshold) noexcept;

private:
  void fold(double value);

  baseline_config settings_;
  uint64_t n_ = 0;
  double mean_ = 0;
  double var_ = 0;
  uint32_t streak_ = 0;
};

} // namespace vigil
