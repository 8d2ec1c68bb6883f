#pragma once

#include <cstddef>

namespace vigil {

/// Settings of the CUSUM change-point detector. Inputs are robust z-scores,
/// so every number here is in robust standard deviations.
struct change_point_config {
  bool enabled = true;
  /// Mean channel: the allowance k subtracted per sample (half the smallest
  /// shift worth finding).
  double drift = 0.5;
  /// Mean channel: the decision interval h.
  double threshold = 14.0;
  /// z-scores are clipped to this before they enter the sums, so one spike
  /// cannot confirm a shift on its own.
  double clip = 4.0;
  /// Variance channel: the allowance subtracted from |z| - E|z| per sample.
  double variance_drift = 0.4;
  /// Variance channel: the decision interval.
  double variance_threshold = 17.0;
};

/// The verdict of the change-point detector on one z-score.
struct change_point_verdict {
  /// max(S+, S-) / threshold before any reset: >= 1 when a shift is
  /// confirmed.
  double level_statistic = 0;
  /// The variance sum / its threshold: >= 1 when a variance change is
  /// confirmed.
  double variance_statistic = 0;
  /// True on the sample that confirms a level shift.
  bool level_shift = false;
  /// +1 for a shift up, -1 for a shift down, 0 without a shift.
  int direction = 0;
  /// Samples since the confirmed shift's sum last left 0: where the shift
  /// started, counted back from this sample (1: this sample).
  size_t run_length = 0;
  /// True on the sample that confirms a rise in variance.
  bool variance_change = false;
};

/// Two-sided CUSUM on robust-standardised residuals (Page, 1954), plus a
/// one-sided CUSUM on |z| for a rise in variance. A confirmation resets the
/// sums: the caller re-bases (see anomaly_scorer) and the detector starts
/// over on the new level.
class change_point_detector {
public:
  explicit change_point_detector(change_point_config config = {});

  /// Feeds one z-score; `sensitivity` divides both thresholds.
  change_point_verdict observe(double z, double sensitivity = 1.0) noexcept;

  void reset() noexcept;

  double upper() const noexcept {
    return up_;
  }

  double lower() const noexcept {
    return down_;
  }

  double variance_sum() const noexcept {
    return var_;
  }

  const change_point_config& config() const noexcept {
    return config_;
  }

private:
  change_point_config config_;
  double up_ = 0;
  double down_ = 0;
  double var_ = 0;
  size_t up_run_ = 0;
  size_t down_run_ = 0;
};

} // namespace vigil
