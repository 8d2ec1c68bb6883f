#pragma once

// The one registry of vigil's Prometheus metrics (broker's `metric_factory`).
//
// Every family is created in the constructor, with its help text and, for
// labelled families, a closed set of label values, so nothing on a hot path
// ever creates a family or parses a name. Callers fetch the metric they update
// once (at actor start) and keep the reference or pointer; updates happen per
// batch, never per event. All metric objects are thread-safe (prometheus-cpp
// uses atomics), and so are all member functions of `metric_factory`.
//
// Label values are bounded: a value outside the family's closed set (an
// unknown reason, an actor name not declared, a partition beyond the limit)
// is counted under the value "other", never under the caller's text. The full
// list of metrics lives in docs/metrics.md and in `metric_catalog()`.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>

namespace prometheus {

class Registry;

template <class T>
class Family;

} // namespace prometheus

namespace vigil {

enum class severity : uint8_t;

/// Kind of a metric family, as in the Prometheus exposition format.
enum class metric_kind : uint8_t { counter, gauge, histogram };

/// Returns "counter", "gauge" or "histogram".
const char* to_string(metric_kind kind) noexcept;

/// Identifies one family of the catalog.
enum class metric_id : uint8_t {
  events_consumed,
  events_invalid,
  events_late,
  events_too_late,
  timestamps_repaired,
  dead_letters,
  consumer_lag,
  inflight_batches,
  paused_partitions,
  assigned_partitions,
  held_partitions,
  stalled_partitions,
  partition_stalls,
  rebalances,
  generator_messages_sent,
  generator_delivery_failures,
  windows_emitted,
  anomalies,
  watermark_delay,
  tracked_services,
  service_overflow,
  db_rows_written,
  db_transactions,
  db_write_duration,
  db_retries,
  checkpoint_duration,
  checkpoint_age,
  checkpoints,
  actor_restarts,
  failing_readiness_checks,
  service_request_rate,
  service_error_ratio,
  service_p95_latency,
  service_open_incidents,
  cluster_nodes,
  cluster_node_losses,
  cluster_generations,
  store_disconnects,
};

/// Number of families in the catalog.
constexpr size_t metric_count = 38;

/// Static description of one family.
struct metric_info {
  /// Which family.
  metric_id id;
  /// Full Prometheus name, e.g. "vigil_events_consumed_total".
  std::string_view name;
  /// Counter, gauge or histogram.
  metric_kind kind;
  /// Name of the one label, or empty for unlabelled families.
  std::string_view label;
  /// Help text, one sentence.
  std::string_view help;
  /// Upper bounds of the buckets (histograms only, `+Inf` implied).
  std::vector<double> buckets;
};

/// Every family vigil exports, in the order of docs/metrics.md.
const std::vector<metric_info>& metric_catalog();

/// Unit suffixes a family name may end with (`vigil_<name>_<unit>[_total]`).
/// Counters end in `_total`; durations are `_seconds`; the other units count
/// things: `_messages`, `_batches`, `_bytes`, `_partitions`, `_services`.
const std::vector<std::string_view>& metric_unit_suffixes();

/// The label value for anything outside a family's closed set.
constexpr std::string_view other_label_value = "other";

/// Closed sets of label values, fixed when the factory is built.
struct metric_label_sets {
  /// Values of `reason` for vigil_events_invalid_total and
  /// vigil_dead_letters_total: stable snake_case names, e.g. the
  /// `to_string(invalid_reason)` of every reason.
  std::vector<std::string> invalid_reasons;
  /// Values of `actor` for vigil_actor_restarts_total: the supervised child
  /// names, e.g. "db_writer", "merger".
  std::vector<std::string> actors;
  /// Partitions 0 .. max_partitions-1 get their own `partition` series in
  /// vigil_consumer_lag_messages; any other number is reported as "other".
  int32_t max_partitions = 1024;
  /// Services that get their own `service` series in the vigil_service_*
  /// families, first come first served; the values of every later service
  /// are aggregated under "other".
  size_t max_service_series = 50;
};

/// What vigil_service_* export for one service: its latest window as stored
/// (the window /api/services shows) and its open incidents.
struct service_sample {
  /// Service name.
  std::string service;
  /// Requests of the window.
  int64_t requests = 0;
  /// Requests of the window with a server error.
  int64_t errors = 0;
  /// Length of the window, seconds (> 0).
  double window_seconds = 0;
  /// 95th percentile latency of the window, seconds.
  double p95_latency_seconds = 0;
  /// Incidents of the service not yet closed.
  int64_t open_incidents = 0;
};

/// Owns the Prometheus registry and every family of vigil's metrics.
class metric_factory {
public:
  /// Builds every family; labelled families have only the "other" value
  /// besides their built-in values (severities).
  metric_factory();

  /// Builds every family with the given closed label sets. Duplicates and
  /// "other" in the sets are ignored.
  explicit metric_factory(metric_label_sets labels);

  ~metric_factory();

  metric_factory(const metric_factory&) = delete;
  metric_factory& operator=(const metric_factory&) = delete;

  // -- ingest ----------------------------------------------------------------

  /// vigil_events_consumed_total: messages read from the source.
  prometheus::Counter& events_consumed() noexcept;

  /// vigil_events_invalid_total{reason}: rejected messages; a reason outside
  /// the closed set counts as "other".
  prometheus::Counter& events_invalid(std::string_view reason);

  /// vigil_events_late_total: late events accepted within allowed lateness.
  prometheus::Counter& events_late() noexcept;

  /// vigil_events_too_late_total: events beyond allowed lateness (sent to the
  /// dead-letter topic).
  prometheus::Counter& events_too_late() noexcept;

  /// vigil_timestamps_repaired_total: accepted events whose timestamp was in
  /// a known-bad form and was repaired.
  prometheus::Counter& timestamps_repaired() noexcept;

  /// vigil_dead_letters_total{reason}: messages written to the dead-letter
  /// topic, by the reason in their header (the invalid reasons' closed set);
  /// a reason outside it counts as "other".
  prometheus::Counter& dead_letters(std::string_view reason);

  /// vigil_consumer_lag_messages{partition}: high watermark minus position.
  /// Created on first use (thread-safe); callers keep the reference until
  /// `release_partition`.
  prometheus::Gauge& consumer_lag(int32_t partition);

  /// Removes the lag series of a partition no longer assigned to this node;
  /// references obtained from `consumer_lag(partition)` become dangling.
  /// Does nothing for partitions reported as "other".
  void release_partition(int32_t partition);

  /// vigil_inflight_batches: batches sent to tasks and not yet acknowledged.
  prometheus::Gauge& inflight_batches() noexcept;

  /// vigil_paused_partitions: partitions paused by backpressure.
  prometheus::Gauge& paused_partitions() noexcept;

  /// vigil_assigned_partitions: partitions the source holds.
  prometheus::Gauge& assigned_partitions() noexcept;

  /// vigil_held_partitions: partitions held by the operator (console
  /// `pause`).
  prometheus::Gauge& held_partitions() noexcept;

  /// vigil_stalled_partitions: partitions with lag that made no progress
  /// for the stall bound (`--stall-timeout`).
  prometheus::Gauge& stalled_partitions() noexcept;

  /// vigil_partition_stalls_total: stall episodes that began.
  prometheus::Counter& partition_stalls() noexcept;

  /// vigil_rebalances_total: consumer-group rebalances that revoked
  /// partitions of this node.
  prometheus::Counter& rebalances() noexcept;

  /// vigil_generator_messages_sent_total: messages the generator produced.
  prometheus::Counter& generator_messages_sent() noexcept;

  /// vigil_generator_delivery_failures_total: generator messages whose
  /// delivery report was an error.
  prometheus::Counter& generator_delivery_failures() noexcept;

  // -- analysis --------------------------------------------------------------

  /// vigil_windows_emitted_total: window results emitted (re-emits included).
  prometheus::Counter& windows_emitted() noexcept;

  /// vigil_anomalies_total{severity}: anomalies detected.
  prometheus::Counter& anomalies(severity level) noexcept;

  /// vigil_watermark_delay_seconds: wall clock minus the merged watermark.
  prometheus::Gauge& watermark_delay() noexcept;

  /// vigil_tracked_services: distinct services with state on this node.
  prometheus::Gauge& tracked_services() noexcept;

  /// vigil_service_overflow_total: events of new services refused because
  /// the service cap was reached.
  prometheus::Counter& service_overflow() noexcept;

  // -- storage and checkpoints -----------------------------------------------

  /// vigil_db_rows_written_total: rows upserted into the database.
  prometheus::Counter& db_rows_written() noexcept;

  /// vigil_db_transactions_total: committed database transactions.
  prometheus::Counter& db_transactions() noexcept;

  /// vigil_db_write_seconds: duration of one write transaction.
  prometheus::Histogram& db_write_duration() noexcept;

  /// vigil_db_retries_total: database operations retried (busy, locked).
  prometheus::Counter& db_retries() noexcept;

  /// vigil_checkpoint_duration_seconds: barrier injection to durable commit.
  prometheus::Histogram& checkpoint_duration() noexcept;

  /// vigil_checkpoint_age_seconds: time since the last durable checkpoint.
  prometheus::Gauge& checkpoint_age() noexcept;

  /// vigil_checkpoints_total: completed (durable) checkpoints.
  prometheus::Counter& checkpoints() noexcept;

  // -- supervision -----------------------------------------------------------

  /// vigil_actor_restarts_total{actor}: restarts by the supervisor; an actor
  /// outside the closed set counts as "other".
  prometheus::Counter& actor_restarts(std::string_view actor);

  // -- node and services -----------------------------------------------------

  /// vigil_failing_readiness_checks: readiness checks of GET /ready failing
  /// at the last refresh (0: the node is ready).
  prometheus::Gauge& failing_readiness_checks() noexcept;

  /// Store: ingest nodes connected to the coordinator.
  prometheus::Gauge& cluster_nodes() noexcept;

  /// Store: ingest nodes lost (connection closed or heartbeat timeout).
  prometheus::Counter& cluster_node_losses() noexcept;

  /// Store: generations started (each rolls back to the last checkpoint).
  prometheus::Counter& cluster_generations() noexcept;

  /// Ingest: connections to the store lost.
  prometheus::Counter& store_disconnects() noexcept;

  /// Sets vigil_service_requests_per_second, vigil_service_error_ratio,
  /// vigil_service_p95_latency_seconds and vigil_service_open_incidents from
  /// one sample per service. The first `max_service_series` services ever
  /// seen get their own series; the others are summed under "other" (p95:
  /// the highest). A series whose service is missing from `samples` drops
  /// to 0. Thread-safe.
  void set_services(const std::vector<service_sample>& samples);

  // -- exposition ------------------------------------------------------------

  /// Renders every family in the Prometheus text format 0.0.4.
  std::string serialize() const;

  /// The closed label sets in use (after removing duplicates).
  const metric_label_sets& label_sets() const noexcept {
    return labels_;
  }

  /// The underlying registry, e.g. for a push gateway.
  prometheus::Registry& registry() noexcept {
    return *registry_;
  }

private:
  using labelled_counters
      = std::vector<std::pair<std::string, prometheus::Counter*>>;

  static prometheus::Counter& find(labelled_counters& xs,
                                   std::string_view value);

  metric_label_sets labels_;
  std::unique_ptr<prometheus::Registry> registry_;
  std::array<prometheus::Counter*, metric_count> counters_{};
  std::array<prometheus::Gauge*, metric_count> gauges_{};
  std::array<prometheus::Histogram*, metric_count> histograms_{};
  labelled_counters events_invalid_;
  labelled_counters dead_letters_;
  labelled_counters actor_restarts_;
  std::array<prometheus::Counter*, 5> anomalies_{};
  prometheus::Family<prometheus::Gauge>* consumer_lag_ = nullptr;
  /// The vigil_service_* families, by metric_id.
  std::array<prometheus::Family<prometheus::Gauge>*, metric_count>
      service_families_{};
  /// Guards `services_`.
  std::mutex services_mtx_;
  /// Services with their own series, in admission order.
  std::vector<std::string> services_;
  /// True once the "other" series exist.
  bool services_other_ = false;
};

} // namespace vigil
