#pragma once

#include <cstddef>
#include <cstdint>

#include "actors/detect/change_point.hpp"
#include "actors/detect/robust_baseline.hpp"
#include "actors/detect/seasonality.hpp"
#include "actors/detect/spike.hpp"
#include "actors/detect/z_calibration.hpp"

namespace vigil {

/// Settings of the combined detector for one metric. The defaults are the
/// thresholds chosen on the tuning seeds of tests/bench/detection_bench.cpp
/// (docs/detection.md); every field has a safe default.
struct detection_config {
  /// Samples seen before anything is scored above 0.
  size_t min_history = 48;
  /// Divides every detector's threshold: 2 pages on half the deviation, 0.5
  /// needs twice the deviation. Must be positive.
  double sensitivity = 1.0;
  /// The level and scale of the deseasonalised series.
  robust_baseline_config baseline;
  /// Daily/weekly seasonality found from the data.
  seasonality_config seasonality;
  /// Level shifts and variance changes (CUSUM).
  change_point_config change_point;
  /// Point anomalies.
  spike_config spike;
  /// The z-scores the spike and CUSUM detectors judge, in units of the
  /// series' real tails.
  z_calibration_config calibration;
};

/// Which detector made a score.
enum class detector_kind : uint8_t {
  none = 0,
  spike = 1,
  level_shift = 2,
  variance_change = 3,
};

/// "none", "spike", "level_shift" or "variance_change".
const char* to_string(detector_kind kind) noexcept;

/// The verdict of the combined detector on one sample.
struct scored_point {
  /// In [0, 1]; 0.5 and above is an anomaly. Each detector's statistic q
  /// (1 at its threshold) maps to q^2 / (1 + q^2); the score is the largest.
  double score = 0;
  /// The detector with the largest score when anomalous, else none.
  detector_kind detector = detector_kind::none;
  /// Per-detector scores, same mapping.
  double spike_score = 0;
  double level_shift_score = 0;
  double variance_score = 0;
  /// The expectation (level plus seasonal offset) before this sample.
  double expected = 0;
  /// The robust scale and the z-score of the residual.
  double scale = 0;
  double z = 0;
  /// The seasonal period in samples in use (0: none).
  size_t period = 0;

  bool anomalous() const noexcept {
    return score >= 0.5;
  }

  /// Sets `score` to the largest detector score and `detector` to the
  /// detector that made it when anomalous (else none).
  void combine() noexcept;
};

/// The combined online detector for one univariate series: seasonality
/// removes the learned daily/weekly profile, a robust baseline gives the
/// level and scale of what remains, and the spike and change-point
/// detectors judge the robust z-score. Strictly online: the score of a
/// sample depends only on it and the samples before it. Plain class, no
/// threads, no clock: `vigil score` and tests drive it directly.
class anomaly_scorer {
public:
  explicit anomaly_scorer(detection_config config = {});

  /// Scores one sample. Timestamps should not go backwards (the phase of a
  /// season comes from them). A non-finite value scores 0 and is ignored.
  scored_point observe(int64_t t_ms, double value);

  /// Finite samples seen.
  size_t observations() const noexcept {
    return seen_;
  }

  const seasonality& season() const noexcept {
    return season_;
  }

  const detection_config& config() const noexcept {
    return config_;
  }

  /// Maps a detector statistic (1 at its threshold) into [0, 1).
  static double squash(double statistic) noexcept;

private:
  void rebase_from_history();

  detection_config config_;
  seasonality season_;
  robust_baseline baseline_;
  change_point_detector change_;
  spike_detector spike_;
  z_calibration calibration_;
  size_t seen_ = 0;
};

} // namespace vigil
