#include "actors/detect/anomaly_scorer.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

const char* to_string(detector_kind kind) noexcept {
  switch (kind) {
  case detector_kind::none:
    return "none";
  case detector_kind::spike:
    return "spike";
  case detector_kind::level_shift:
    return "level_shift";
  case detector_kind::variance_change:
    return "variance_change";
  }
  return "none";
}

anomaly_scorer::anomaly_scorer(detection_config config)
    : config_(config), season_(config.seasonality), baseline_(config.baseline),
      change_(config.change_point), spike_(config.spike),
      calibration_(config.calibration) {
  if (!(config_.sensitivity > 0) || !std::isfinite(config_.sensitivity))
    config_.sensitivity = 1;
}

double anomaly_scorer::squash(double statistic) noexcept {
  if (!(statistic > 0))
    return 0;
  if (!std::isfinite(statistic))
    return 1;
  auto q2 = statistic * statistic;
  return q2 / (1 + q2);
}

void anomaly_scorer::rebase_from_history() {
  // The seasonal profile changed: rebuild the level and scale of the
  // deseasonalised series from the samples before the newest one.
  baseline_.clear();
  change_.reset();
  auto n = std::min(season_.history_size(), config_.baseline.window + 1);
  for (size_t k = n; k-- > 1;) {
    auto t = season_.history_time(k);
    baseline_.observe(season_.history_value(k) - season_.expected(t));
  }
}

scored_point anomaly_scorer::observe(int64_t t_ms, double value) {
  scored_point out;
  if (!std::isfinite(value))
    return out;
  ++seen_;
  if (season_.record(t_ms, value))
    rebase_from_history();
  auto seasonal = season_.expected(t_ms);
  auto d = value - seasonal;
  auto est = baseline_.score(d);
  auto residual = d - est.expected;
  out.expected = est.expected + seasonal;
  out.scale = est.scale;
  out.z = est.z;
  out.period = season_.period();
  auto sensitivity = config_.sensitivity;
  change_point_verdict change;
  auto z = est.ready ? calibration_.observe(est.z) : est.z;
  if (est.ready && seen_ > config_.min_history) {
    if (config_.spike.enabled)
      out.spike_score = squash(spike_.observe(z, sensitivity).statistic);
    if (config_.change_point.enabled) {
      change = change_.observe(z, sensitivity);
      out.level_shift_score = squash(change.level_statistic);
      out.variance_score = squash(change.variance_statistic);
    }
  }
  baseline_.fold(d, residual);
  if (est.ready)
    season_.learn(t_ms, residual, est.scale);
  if (change.level_shift) {
    // Re-base: the level jumps to the median residual since the shift began.
    auto run
        = std::clamp<size_t>(change.run_length, 1, config_.baseline.window);
    baseline_.shift(baseline_.recent_residual_median(run));
  }
  out.combine();
  return out;
}

void scored_point::combine() noexcept {
  score = std::max({spike_score, level_shift_score, variance_score});
  detector = detector_kind::none;
  if (!anomalous())
    return;
  if (score == spike_score)
    detector = detector_kind::spike;
  else if (score == level_shift_score)
    detector = detector_kind::level_shift;
  else
    detector = detector_kind::variance_change;
}

} // namespace vigil
