#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "actors/detect/baseline.hpp"
#include "actors/messages.hpp"

namespace vigil {

/// What every detector checks before it reports.
struct detection_guards {
  /// Windows with fewer requests are not scored for error rate and latency.
  int64_t min_requests = 20;
  /// Error-rate anomalies with fewer errors than this are not reported.
  int64_t min_errors = 5;
  /// Error-rate anomalies below this rate are not reported.
  double min_error_rate = 0.05;
  /// Distinct services tracked at most; rows of further services are counted
  /// as overflow and not scored.
  size_t max_services = 10000;
};

/// The severity of an anomaly score in [0.5, 1]: critical from 0.9, high
/// from 0.8, medium from 0.65, low below.
const char* severity_of_score(double score);

/// A detector snapshot: {"version":1,"detector":NAME,"services":SERVICES}.
std::string detector_snapshot(const char* name, nlohmann::json services);

/// Reads a detector snapshot: calls `each(service, last_scored, object)` for
/// at most `max_services` services. False if it is malformed or `each`
/// returns false.
bool read_detector_snapshot(
    std::string_view text, size_t max_services,
    const std::function<bool(const std::string&, int64_t,
                             const nlohmann::json&)>& each);

/// Settings of the per-service anomaly detector.
struct detector_config : detection_guards {
  /// Baseline of the error rate (errors / requests), raised on spikes only.
  baseline_config error_rate = error_rate_defaults();
  /// Baseline of the p95 latency, raised on spikes only.
  baseline_config latency = latency_defaults();
  /// Baseline of the request rate (requests per second), raised on spikes
  /// and drops.
  baseline_config request_rate = request_rate_defaults();

  /// Error rates live in [0, 1]: an absolute stddev floor of one percentage
  /// point keeps a near-zero rate from turning every error into an anomaly.
  static baseline_config error_rate_defaults() {
    baseline_config result;
    result.min_stddev = 0.01;
    return result;
  }

  /// Tail latencies are noisy: at least 10 % of the mean as stddev.
  static baseline_config latency_defaults() {
    baseline_config result;
    result.min_relative_stddev = 0.1;
    return result;
  }

  /// Traffic drops matter as much as surges.
  static baseline_config request_rate_defaults() {
    baseline_config result;
    result.min_relative_stddev = 0.1;
    result.upper_only = false;
    return result;
  }
};

/// What the detector actor drives: scores each service's windows once, and
/// keeps its state in checkpoints. `service_detector` (EWMA baselines) and
/// `combined_detector` (live_detector.hpp) implement it.
class window_detector {
public:
  virtual ~window_detector() = default;

  /// Scores `row` and returns its anomalies. Each (service, window_start) is
  /// scored once, on its first emission: re-emissions of a window and windows
  /// older than the last scored one of the service return nothing. A window
  /// cut short (`partial`: a drain's last window, part of its traffic
  /// missing) is not judged and does not count as scored.
  std::vector<anomaly_row> observe(const window_row& row, int64_t now_ms) {
    if (row.partial)
      return {};
    return judge(row, now_ms);
  }

  /// Serializes the state a checkpoint keeps.
  virtual std::string snapshot() const = 0;

  /// Replaces the state with a `snapshot()`; returns false (and keeps the
  /// current state) if `json` is malformed.
  virtual bool restore(std::string_view json) = 0;

  /// After `restore`: learns from a window stored before the checkpoint
  /// (rows of a service in window order) without reporting anything, for
  /// detectors whose history is too large for a checkpoint. Default: nothing.
  virtual void replay(const window_row& row) {
    (void)row;
  }

  /// Number of services tracked.
  virtual size_t services() const noexcept = 0;

  /// Rows not scored because the service cap was reached.
  virtual uint64_t overflow() const noexcept = 0;

protected:
  /// `observe` for a complete window.
  virtual std::vector<anomaly_row> judge(const window_row& row, int64_t now_ms)
      = 0;
};

/// Scores each window of each service against EWMA baselines of its error
/// rate, p95 latency and request rate; emits one `anomaly_row` per metric
/// that deviates. Plain class: actors adapt it, tests drive it directly.
class service_detector : public window_detector {
public:
  /// Name written to `anomaly_row::detector`.
  static constexpr const char* name = "ewma";

  explicit service_detector(detector_config settings = {});

  /// Serializes all baselines as JSON.
  std::string snapshot() const override;

  bool restore(std::string_view json) override;

  size_t services() const noexcept override {
    return services_.size();
  }

  uint64_t overflow() const noexcept override {
    return overflow_;
  }

  const detector_config& settings() const noexcept {
    return settings_;
  }

protected:
  std::vector<anomaly_row> judge(const window_row& row,
                                 int64_t now_ms) override;

private:
  struct service_state {
    explicit service_state(const detector_config& settings);

    int64_t last_scored = INT64_MIN;
    ewma_baseline error_rate;
    ewma_baseline latency;
    ewma_baseline request_rate;
  };

  detector_config settings_;
  std::map<std::string, service_state, std::less<>> services_;
  uint64_t overflow_ = 0;
};

} // namespace vigil
