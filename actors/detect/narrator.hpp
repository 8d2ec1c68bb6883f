#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actors/detect/baseline.hpp"
#include "actors/messages.hpp"

namespace vigil {

/// Settings of the incident narrator.
struct narrator_config {
  /// Consecutive windows of a service without anomalies that close its open
  /// incident.
  uint32_t clean_windows_to_close = 3;
  /// An open incident also closes once event time passes the end of its last
  /// anomalous window by this much (a service that stopped reporting).
  int64_t quiet_period_ms = 60000;
  /// Anomalies below this severity neither open nor extend an incident.
  severity min_severity = severity::low;
  /// Distinct services tracked at most; further services are counted as
  /// overflow.
  size_t max_services = 10000;
  /// Id of the first incident when no snapshot is restored.
  int64_t first_id = 1;
};

/// Returns the severity named by `name` ("low" .. "critical"), or none.
severity parse_severity(std::string_view name) noexcept;

/// Groups the anomalies of each service into incidents, in event-time order.
/// An incident opens at the first anomalous window of a service, absorbs the
/// anomalies of any metric of that service while they continue, and closes
/// after `clean_windows_to_close` clean windows of the service or once event
/// time passes its last anomalous window by `quiet_period_ms`. Ids come from
/// a counter that is part of the snapshot, so replaying the same windows
/// after a restore yields the same rows. Plain class: actors adapt it, tests
/// drive it directly.
class incident_narrator {
public:
  explicit incident_narrator(narrator_config settings = {});

  /// Consumes the window rows of one result batch with their anomalies (an
  /// anomaly belongs to the row of its service and window in the same batch;
  /// others are ignored). Each (service, window) counts once, on its first
  /// row; re-emissions and older windows are skipped. Returns one row per
  /// incident opened, extended or closed, with its latest state, by id.
  std::vector<incident_row> observe(const std::vector<window_row>& rows,
                                    const std::vector<anomaly_row>& anomalies);

  /// Serializes the open incidents, the per-service progress and the next
  /// id as JSON.
  std::string snapshot() const;

  /// Replaces the state with a `snapshot()`; returns false (and keeps the
  /// current state) if `json` is malformed.
  bool restore(std::string_view json);

  /// Takes a language model's summary of incident `id`: an open incident
  /// keeps it (its rows carry it instead of the template summary from now
  /// on, and snapshots keep it), and one of the last `closed_rows_kept`
  /// closed incidents gets it on its final row. Returns the incident's row
  /// with the new summary, or nothing if the incident is not known any
  /// more (the answer is then dropped).
  std::optional<incident_row> narrate(int64_t id, std::string summary);

  /// Closed incidents whose final row narrate() can still update.
  static constexpr size_t closed_rows_kept = 256;

  /// Incidents currently open.
  size_t open_incidents() const noexcept;

  /// Id the next incident gets.
  int64_t next_id() const noexcept {
    return next_id_;
  }

  /// Number of services tracked.
  size_t services() const noexcept {
    return services_.size();
  }

  /// Rows not considered because `max_services` was reached.
  uint64_t overflow() const noexcept {
    return overflow_;
  }

  const narrator_config& settings() const noexcept {
    return settings_;
  }

private:
  /// The worst anomaly of one metric within an incident.
  struct metric_peak {
    double observed = 0;
    double expected = 0;
    double score = 0;
    severity level = severity::none;
  };

  /// An open (or just closed) incident.
  struct incident_state {
    int64_t id = 0;
    int64_t started_at = 0;
    /// End of the last anomalous window.
    int64_t last_end = 0;
    severity level = severity::none;
    int64_t anomalies = 0;
    int64_t windows = 0;
    /// Clean windows since the last anomalous one.
    uint32_t clean = 0;
    /// Worst anomaly per metric name.
    std::map<std::string, metric_peak> metrics;
    /// A language model's summary (narrate()); empty: the template's.
    std::string narrative;
  };

  /// The row of `incident` of `service`; open rows have `ended_at` 0.
  static incident_row make_row(const std::string& service,
                               const incident_state& incident, bool open);

  /// The one-sentence summary of `incident` of `service`.
  static std::string summarize(const std::string& service,
                               const incident_state& incident, bool open);

  struct service_state {
    /// Start of the last window taken into account.
    int64_t last_window = INT64_MIN;
    /// The open incident, if `open`.
    incident_state incident;
    bool open = false;
  };

  using service_map = std::map<std::string, service_state, std::less<>>;

  /// Closes every open incident whose quiet period ended before `time`.
  void close_quiet(int64_t time, std::map<int64_t, incident_row>& changed);

  /// Closes the open incident of `service`: its final row goes to `changed`
  /// and to the closed rows narrate() may still update.
  void close(const std::string& service, service_state& svc,
             std::map<int64_t, incident_row>& changed);

  narrator_config settings_;
  service_map services_;
  int64_t next_id_;
  /// Largest window start seen: the narrator's event time.
  int64_t event_time_ = INT64_MIN;
  uint64_t overflow_ = 0;
  /// Final rows of the last closed incidents, by id (not in snapshots).
  std::map<int64_t, incident_row> closed_;
};

} // namespace vigil
