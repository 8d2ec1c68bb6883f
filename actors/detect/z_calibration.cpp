#include "actors/detect/z_calibration.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

z_calibration::z_calibration(z_calibration_config config) : config_(config) {
  if (!(config_.horizon >= 1) || !std::isfinite(config_.horizon))
    config_.horizon = 1;
  if (!(config_.clip > 0) || !std::isfinite(config_.clip))
    config_.clip = 5;
}

double z_calibration::factor() const noexcept {
  return std::max(1.0, std::sqrt(mean_square_));
}

double z_calibration::observe(double z) noexcept {
  if (!config_.enabled || !std::isfinite(z))
    return z;
  auto calibrated = z / factor();
  auto clipped = std::min(std::fabs(z), config_.clip);
  mean_square_ += (clipped * clipped - mean_square_) / config_.horizon;
  return calibrated;
}

} // namespace vigil
