#include "actors/detect/change_point.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

namespace {

/// E|z| for a standard normal z: sqrt(2 / pi).
constexpr double mean_abs_normal = 0.7979;

} // namespace

change_point_detector::change_point_detector(change_point_config config)
    : config_(config) {
  // nop
}

change_point_verdict
change_point_detector::observe(double z, double sensitivity) noexcept {
  change_point_verdict verdict;
  if (!std::isfinite(z))
    return verdict;
  if (!(sensitivity > 0))
    sensitivity = 1;
  auto c = std::clamp(z, -config_.clip, config_.clip);
  up_ = std::max(0.0, up_ + c - config_.drift);
  down_ = std::max(0.0, down_ - c - config_.drift);
  up_run_ = up_ > 0 ? up_run_ + 1 : 0;
  down_run_ = down_ > 0 ? down_run_ + 1 : 0;
  var_ = std::max(0.0, var_ + std::fabs(c) - mean_abs_normal
                           - config_.variance_drift);
  auto h = std::max(config_.threshold / sensitivity, 1e-9);
  auto hv = std::max(config_.variance_threshold / sensitivity, 1e-9);
  verdict.level_statistic = std::max(up_, down_) / h;
  verdict.variance_statistic = var_ / hv;
  if (verdict.level_statistic >= 1) {
    verdict.level_shift = true;
    verdict.direction = up_ >= down_ ? 1 : -1;
    verdict.run_length = up_ >= down_ ? up_run_ : down_run_;
    up_ = down_ = 0;
    up_run_ = down_run_ = 0;
    // A level shift also inflates |z| until the caller re-bases.
    var_ = 0;
  } else if (verdict.variance_statistic >= 1) {
    verdict.variance_change = true;
    var_ = 0;
  }
  return verdict;
}

void change_point_detector::reset() noexcept {
  up_ = down_ = var_ = 0;
  up_run_ = down_run_ = 0;
}

} // namespace vigil
