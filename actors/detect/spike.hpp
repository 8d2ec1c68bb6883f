#pragma once

namespace vigil {

/// Settings of the spike detector. In robust standard deviations.
struct spike_config {
  bool enabled = true;
  /// |z| at or above which a residual is a spike (or a dip).
  double threshold = 8.0;
  /// Only raise on spikes above the expectation, never on dips.
  bool upper_only = false;
};

/// The verdict of the spike detector on one z-score.
struct spike_verdict {
  /// |z| / threshold (0 for a dip when upper_only): >= 1 is a spike.
  double statistic = 0;
  /// +1 above the expectation, -1 below, 0 for z == 0.
  int direction = 0;
  bool spike = false;
};

/// A point anomaly: one residual far from the robust expectation. Stateless
/// on purpose: the robust baseline (and seasonality) upstream make the
/// residual, this decides how far is too far.
class spike_detector {
public:
  explicit spike_detector(spike_config config = {});

  /// Judges one z-score; `sensitivity` divides the threshold.
  spike_verdict observe(double z, double sensitivity = 1.0) const noexcept;

  const spike_config& config() const noexcept {
    return config_;
  }

private:
  spike_config config_;
};

} // namespace vigil
