#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "actors/detect/anomaly_scorer.hpp"
#include "actors/detect/detector.hpp"

namespace vigil {

/// How one metric of every service is watched by `combined_detector`.
struct metric_detection {
  /// False: the metric is not scored at all.
  bool enabled = true;
  /// Which detectors may raise an anomaly. All three run whenever the
  /// change-point detector does (a confirmed shift re-bases the baseline);
  /// these only decide what is reported.
  bool spike = true;
  bool level_shift = true;
  bool variance_change = true;
  /// Sensitivity, minimum history and the detectors' thresholds.
  detection_config detection;
};

/// Settings of the combined live detector. Every field has a safe default.
struct live_detection_config : detection_guards {
  /// Errors / requests per window; only rises are reported.
  metric_detection error_rate = error_rate_defaults();
  /// p95 latency per window; only rises are reported.
  metric_detection latency = latency_defaults();
  /// Requests per second per window; surges and drops are reported.
  metric_detection request_rate = request_rate_defaults();
  /// Stored windows per service replayed at start to rebuild the detectors'
  /// history (a week of 5-minute windows: enough for weekly seasonality).
  size_t replay_windows = 4032;
  /// Stored windows replayed at most over all services, read at once (about
  /// 140 MB by the row sizes while the detector starts): with many services
  /// each gets fewer (`replay_span`).
  size_t replay_budget = 200'000;

  /// Windows per service to replay for `services` services: at most
  /// `replay_windows`, at most `replay_budget` in all, at least 1.
  size_t replay_span(size_t services) const noexcept {
    auto fair = replay_budget / (services == 0 ? 1 : services);
    return fair < 1 ? 1 : (fair < replay_windows ? fair : replay_windows);
  }

  /// Live windows come every few seconds to minutes: 12 windows (two minutes
  /// of 10-second windows) of history before anything is reported.
  static constexpr size_t default_min_history = 12;

  /// Error rates live in [0, 1]: a scale of at least half a percentage
  /// point keeps a near-zero rate from turning a few errors into a page.
  static metric_detection error_rate_defaults() {
    return live_metric(true, 0.005, 1e-3, false);
  }

  /// Tail latency and traffic: a scale of at least 10 % of the level. A
  /// busy service's request count is so regular (Poisson: 1 % at 10,000
  /// requests a window) that the median's lag behind a daily ramp would
  /// otherwise read as a level shift every morning and evening; with the
  /// floor a spike needs +-80 % and a confirmed shift about 10 % held for
  /// a few minutes.
  static metric_detection latency_defaults() {
    return live_metric(true, 1e-9, 0.1, false);
  }

  /// Traffic also follows its trend: a daily cycle's ramps are not level
  /// shifts (a slow change of traffic is rarely an incident; a drop is).
  static metric_detection request_rate_defaults() {
    return live_metric(false, 1e-9, 0.1, true);
  }

  /// A metric's live settings: `default_min_history`, spikes upward only or
  /// both ways, the scale floors, and whether the level follows the trend.
  static metric_detection live_metric(bool upper_only, double min_scale,
                                      double min_relative_scale,
                                      bool follow_trend) {
    metric_detection m;
    m.detection.min_history = default_min_history;
    m.detection.spike.upper_only = upper_only;
    m.detection.baseline.min_scale = min_scale;
    m.detection.baseline.min_relative_scale = min_relative_scale;
    m.detection.baseline.follow_trend = follow_trend;
    return m;
  }
};

/// Parses a detector list: "all", "off", or a comma-separated subset of
/// spike, level_shift and variance_change, into `out`. Returns "" or what is
/// wrong.
std::string parse_detector_list(std::string_view text, metric_detection& out);

/// Parses a positive sensitivity ("1", "1.5") into `out`. Returns "" or what
/// is wrong.
std::string parse_sensitivity(std::string_view text, double& out);

/// The live pipeline's detector: one `anomaly_scorer` (robust baseline,
/// online seasonality, spike and change-point detectors, the same code as
/// `vigil score`) per service and metric. An anomaly row names the detector
/// that fired ("spike", "level_shift", "variance_change") and carries the
/// combined score in [0, 1].
///
/// Its history (up to three weeks of samples per metric) is too large for a
/// checkpoint: a snapshot keeps only the last scored window per service, and
/// on restart the stored windows up to it are replayed through `replay` to
/// rebuild the scorers.
class combined_detector : public window_detector {
public:
  static constexpr const char* name = "combined";

  explicit combined_detector(live_detection_config settings = {});

  /// {"version":1,"detector":"combined","services":{S:{"last_scored":T}}}.
  std::string snapshot() const override;

  /// Takes the last scored window per service from a snapshot of this or the
  /// EWMA detector; the scorers start empty until `replay` feeds them.
  bool restore(std::string_view json) override;

  /// Learns from a stored window at or before the service's restored last
  /// scored window, in window order; other rows are ignored.
  void replay(const window_row& row) override;

  size_t services() const noexcept override {
    return services_.size();
  }

  uint64_t overflow() const noexcept override {
    return overflow_;
  }

  /// Windows learned through `replay` since the last `restore`.
  uint64_t replayed() const noexcept {
    return replayed_;
  }

  const live_detection_config& settings() const noexcept {
    return settings_;
  }

protected:
  std::vector<anomaly_row> judge(const window_row& row,
                                 int64_t now_ms) override;

private:
  /// The score of a point counting only the detectors `m` reports.
  static scored_point reported(const metric_detection& m, scored_point p);

  struct service_state {
    explicit service_state(const live_detection_config& settings);

    /// Newest window scored (or, after a restore, replayed).
    int64_t last_scored = INT64_MIN;
    /// After a restore: the newest window the checkpointed detector scored.
    int64_t restored_until = INT64_MIN;
    anomaly_scorer error_rate;
    anomaly_scorer latency;
    anomaly_scorer request_rate;
  };

  /// The state of `service`, created if there is room; null on overflow.
  service_state* state_of(const std::string& service);

  /// Feeds `row` to the scorers; appends anomalies to `out` unless null.
  void score(service_state& state, const window_row& row, int64_t now_ms,
             std::vector<anomaly_row>* out);

  live_detection_config settings_;
  std::map<std::string, service_state, std::less<>> services_;
  uint64_t overflow_ = 0;
  uint64_t replayed_ = 0;
};

} // namespace vigil
