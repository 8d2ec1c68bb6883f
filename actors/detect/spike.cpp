#include "actors/detect/spike.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

spike_detector::spike_detector(spike_config config) : config_(config) {
  // nop
}

spike_verdict spike_detector::observe(double z,
                                      double sensitivity) const noexcept {
  spike_verdict verdict;
  if (!std::isfinite(z))
    return verdict;
  if (!(sensitivity > 0))
    sensitivity = 1;
  verdict.direction = z > 0 ? 1 : (z < 0 ? -1 : 0);
  auto magnitude = config_.upper_only ? std::max(z, 0.0) : std::fabs(z);
  auto threshold = std::max(config_.threshold / sensitivity, 1e-9);
  verdict.statistic = magnitude / threshold;
  verdict.spike = verdict.statistic >= 1;
  return verdict;
}

} // namespace vigil
