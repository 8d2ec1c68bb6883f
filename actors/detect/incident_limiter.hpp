#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "actors/detect/anomaly_scorer.hpp"

namespace vigil {

/// Settings of the incident limiter.
struct incident_config {
  /// An open incident closes once no sample was anomalous for this long:
  /// an anomaly that flaps for an hour with gaps shorter than this is one
  /// incident, one page.
  int64_t clean_period_ms = 30 * 60 * 1000;
};

/// An incident opening or closing.
struct incident_event {
  enum class kind : uint8_t { opened, closed };
  kind what = kind::opened;
  /// The first anomalous sample's timestamp.
  int64_t started_ms = 0;
  /// The last anomalous sample's timestamp.
  int64_t last_anomalous_ms = 0;
  /// For `closed`: the timestamp at which the clean period ended (the sample
  /// that closed it, or the end of input).
  int64_t closed_ms = 0;
  /// Anomalous samples so far, the highest score and its detector.
  uint64_t anomalous_samples = 0;
  double peak_score = 0;
  detector_kind detector = detector_kind::none;
};

/// Turns per-sample anomalies into incidents: the first anomalous sample
/// opens one; it stays open, absorbing further anomalous samples, until
/// `clean_period_ms` passes without any, then closes. Plain class.
class incident_limiter {
public:
  explicit incident_limiter(incident_config config = {});

  /// Feeds one scored sample at `t_ms`; returns what opened or closed on it
  /// (a close of the old incident and an open of a new one when an anomaly
  /// comes after a clean period).
  std::vector<incident_event> observe(int64_t t_ms, const scored_point& point);

  /// Closes an open incident at the end of input, at `t_ms`.
  std::optional<incident_event> finish(int64_t t_ms);

  bool open() const noexcept {
    return open_;
  }

  /// Incidents opened so far.
  uint64_t incidents() const noexcept {
    return opened_;
  }

private:
  incident_config config_;
  bool open_ = false;
  incident_event current_;
  uint64_t opened_ = 0;
};

} // namespace vigil
