#pragma once

#include <cstddef>

namespace vigil {

/// Settings of the z-score calibration.
struct z_calibration_config {
  bool enabled = true;
  /// Samples over which the spread of recent z-scores is averaged
  /// (exponentially weighted): 2016 is a week of 5-minute samples.
  double horizon = 2016;
  /// |z| is clipped here before it is averaged, so the anomalies being
  /// looked for barely move the calibration.
  double clip = 5;
};

/// Calibrates robust z-scores against the tails the series really has.
///
/// The median/MAD scale describes the bulk of the residuals; heavy-tailed
/// noise (or residual structure a seasonal profile leaves) makes large |z|
/// far more common than the MAD promises, and every such sample would page.
/// This tracks m = the exponentially weighted mean of min(z, clip)^2 and
/// divides z by max(1, sqrt(m)): for Gaussian residuals m stays about 1 and
/// nothing changes; for residuals whose clipped second moment is larger,
/// every detector downstream sees z in units of that spread. It never
/// makes the detectors more sensitive than the robust z-score. Plain class.
class z_calibration {
public:
  explicit z_calibration(z_calibration_config config = {});

  /// The calibrated z of one residual, judged with the calibration so far;
  /// then folds the residual in. A non-finite z is returned unchanged and
  /// not folded in.
  double observe(double z) noexcept;

  /// The current divisor, >= 1.
  double factor() const noexcept;

  const z_calibration_config& config() const noexcept {
    return config_;
  }

private:
  z_calibration_config config_;
  double mean_square_ = 1.0;
};

} // namespace vigil
