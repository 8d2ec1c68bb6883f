#include "actors/node/metrics.hpp"

#include <algorithm>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include "actors/detect/baseline.hpp"

namespace vigil {

namespace {

using mk = metric_kind;
using id = metric_id;

std::vector<metric_info> make_catalog() {
  // Database writes: sub-millisecond (page cache) to seconds (fsync storms).
  std::vector<double> db_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01,
                                 0.025,  0.05,  0.1,    0.25,  0.5,
                                 1,      2.5,   5,      10};
  // Checkpoints: barrier travel plus one commit; minutes mean trouble.
  std::vector<double> checkpoint_buckets{
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120};
  return {
      {id::events_consumed,
       "vigil_events_consumed_total",
       mk::counter,
       "",
       "Valid events read from the source topic (each counted once, also "
       "across restarts).",
       {}},
      {id::events_invalid,
       "vigil_events_invalid_total",
       mk::counter,
       "reason",
       "Messages rejected as invalid, by reason.",
       {}},
      {id::events_late,
       "vigil_events_late_total",
       mk::counter,
       "",
       "Late events accepted within the allowed lateness (window re-emitted).",
       {}},
      {id::events_too_late,
       "vigil_events_too_late_total",
       mk::counter,
       "",
       "Events beyond the allowed lateness, sent to the dead-letter topic.",
       {}},
      {id::timestamps_repaired,
       "vigil_timestamps_repaired_total",
       mk::counter,
       "",
       "Accepted events whose timestamp had a known-bad form and was "
       "repaired.",
       {}},
      {id::dead_letters,
       "vigil_dead_letters_total",
       mk::counter,
       "reason",
       "Messages written to the dead-letter topic (delivery acknowledged), "
       "by reason.",
       {}},
      {id::consumer_lag,
       "vigil_consumer_lag_messages",
       mk::gauge,
       "partition",
       "Messages between the consumer position and the high watermark.",
       {}},
      {id::inflight_batches,
       "vigil_inflight_batches",
       mk::gauge,
       "",
       "Batches sent to partition tasks and not yet acknowledged.",
       {}},
      {id::paused_partitions,
       "vigil_paused_partitions",
       mk::gauge,
       "",
       "Partitions paused by backpressure.",
       {}},
      {id::assigned_partitions,
       "vigil_assigned_partitions",
       mk::gauge,
       "",
       "Partitions of the topic this node's source holds.",
       {}},
      {id::held_partitions,
       "vigil_held_partitions",
       mk::gauge,
       "",
       "Partitions the operator holds with the console's pause (not "
       "fetched until resume).",
       {}},
      {id::stalled_partitions,
       "vigil_stalled_partitions",
       mk::gauge,
       "",
       "Partitions with lag that made no progress (no record delivered, no "
       "batch acknowledged) for the stall bound, though neither held by the "
       "operator nor finished.",
       {}},
      {id::partition_stalls,
       "vigil_partition_stalls_total",
       mk::counter,
       "",
       "Stall episodes of partitions (see vigil_stalled_partitions).",
       {}},
      {id::rebalances,
       "vigil_rebalances_total",
       mk::counter,
       "",
       "Consumer-group rebalances that revoked partitions of this node (each "
       "resumes from the last checkpoint).",
       {}},
      {id::generator_messages_sent,
       "vigil_generator_messages_sent_total",
       mk::counter,
       "",
       "Messages produced by the event generator.",
       {}},
      {id::generator_delivery_failures,
       "vigil_generator_delivery_failures_total",
       mk::counter,
       "",
       "Generator messages whose delivery report was an error.",
       {}},
      {id::windows_emitted,
       "vigil_windows_emitted_total",
       mk::counter,
       "",
       "Window results emitted, re-emits of late updates included.",
       {}},
      {id::anomalies,
       "vigil_anomalies_total",
       mk::counter,
       "severity",
       "Anomalies detected, by severity.",
       {}},
      {id::watermark_delay,
       "vigil_watermark_delay_seconds",
       mk::gauge,
       "",
       "Wall clock minus the merged event-time watermark.",
       {}},
      {id::tracked_services,
       "vigil_tracked_services",
       mk::gauge,
       "",
       "Distinct services with window state on this node.",
       {}},
      {id::service_overflow,
       "vigil_service_overflow_total",
       mk::counter,
       "",
       "Events of new services refused because the service cap was reached.",
       {}},
      {id::db_rows_written,
       "vigil_db_rows_written_total",
       mk::counter,
       "",
       "Rows upserted into the database.",
       {}},
      {id::db_transactions,
       "vigil_db_transactions_total",
       mk::counter,
       "",
       "Database transactions committed.",
       {}},
      {id::db_write_duration, "vigil_db_write_seconds", mk::histogram, "",
       "Duration of one database write transaction.", db_buckets},
      {id::db_retries,
       "vigil_db_retries_total",
       mk::counter,
       "",
       "Database operations retried after a busy or locked database or a "
       "lost PostgreSQL connection.",
       {}},
      {id::checkpoint_duration, "vigil_checkpoint_duration_seconds",
       mk::histogram, "",
       "Time from barrier injection to the durable checkpoint commit.",
       checkpoint_buckets},
      {id::checkpoint_age,
       "vigil_checkpoint_age_seconds",
       mk::gauge,
       "",
       "Time since the last durable checkpoint.",
       {}},
      {id::checkpoints,
       "vigil_checkpoints_total",
       mk::counter,
       "",
       "Checkpoints completed (committed durably).",
       {}},
      {id::actor_restarts,
       "vigil_actor_restarts_total",
       mk::counter,
       "actor",
       "Actor restarts performed by supervisors, by actor.",
       {}},
      {id::failing_readiness_checks,
       "vigil_failing_readiness_checks",
       mk::gauge,
       "",
       "Readiness checks of GET /ready failing (0: the node is ready).",
       {}},
      {id::service_request_rate,
       "vigil_service_requests_per_second",
       mk::gauge,
       "service",
       "Requests per second of the service's latest stored window.",
       {}},
      {id::service_error_ratio,
       "vigil_service_error_ratio",
       mk::gauge,
       "service",
       "Share of server errors among the requests of the service's latest "
       "stored window.",
       {}},
      {id::service_p95_latency,
       "vigil_service_p95_latency_seconds",
       mk::gauge,
       "service",
       "95th percentile latency of the service's latest stored window.",
       {}},
      {id::service_open_incidents,
       "vigil_service_open_incidents",
       mk::gauge,
       "service",
       "Incidents of the service not yet closed.",
       {}},
      {id::cluster_nodes,
       "vigil_cluster_nodes",
       mk::gauge,
       "",
       "Store: ingest nodes connected to the coordinator.",
       {}},
      {id::cluster_node_losses,
       "vigil_cluster_node_losses_total",
       mk::counter,
       "",
       "Store: ingest nodes lost (connection closed or heartbeat timeout); "
       "their partitions move to the others through the consumer group.",
       {}},
      {id::cluster_generations,
       "vigil_cluster_generations_total",
       mk::counter,
       "",
       "Store: cluster generations started (every change of membership or "
       "assignment; each resumes from the last durable checkpoint).",
       {}},
      {id::store_disconnects,
       "vigil_store_disconnects_total",
       mk::counter,
       "",
       "Ingest: connections to the store lost (the node holds its "
       "partitions and reconnects with backoff).",
       {}},
  };
}

size_t index(metric_id x) noexcept {
  return static_cast<size_t>(x);
}

/// Returns `xs` without duplicates and without "other", order kept.
std::vector<std::string> closed_set(std::vector<std::string> xs) {
  std::vector<std::string> result;
  for (auto& x : xs)
    if (x != other_label_value
        && std::find(result.begin(), result.end(), x) == result.end())
      result.emplace_back(std::move(x));
  return result;
}

} // namespace

const char* to_string(metric_kind kind) noexcept {
  switch (kind) {
  case metric_kind::counter:
    return "counter";
  case metric_kind::gauge:
    return "gauge";
  case metric_kind::histogram:
    return "histogram";
  }
  return "untyped";
}

const std::vector<metric_info>& metric_catalog() {
  static const std::vector<metric_info> catalog = make_catalog();
  return catalog;
}

const std::vector<std::string_view>& metric_unit_suffixes() {
  static const std::vector<std::string_view> suffixes{
      "_total",      "_seconds",    "_messages",  "_batches",
      "_bytes",      "_partitions", "_services",  "_checks",
      "_per_second", "_ratio",      "_incidents", "_nodes"};
  return suffixes;
}

metric_factory::metric_factory() : metric_factory(metric_label_sets{}) {
  // nop
}

metric_factory::metric_factory(metric_label_sets labels)
    : registry_(std::make_unique<prometheus::Registry>()) {
  labels_.invalid_reasons = closed_set(std::move(labels.invalid_reasons));
  labels_.actors = closed_set(std::move(labels.actors));
  labels_.max_partitions = std::max(labels.max_partitions, 0);
  labels_.max_service_series = labels.max_service_series;
  auto values_of = [this](metric_id x) -> std::vector<std::string> {
    switch (x) {
    case id::events_invalid:
    case id::dead_letters:
      return labels_.invalid_reasons;
    case id::actor_restarts:
      return labels_.actors;
    default:
      return {};
    }
  };
  auto& reg = *registry_;
  for (const auto& info : metric_catalog()) {
    auto name = std::string{info.name};
    auto help = std::string{info.help};
    auto i = index(info.id);
    switch (info.kind) {
    case metric_kind::counter: {
      auto& family
          = prometheus::BuildCounter().Name(name).Help(help).Register(reg);
      if (info.label.empty()) {
        counters_[i] = &family.Add({});
        break;
      }
      auto label = std::string{info.label};
      if (info.id == id::anomalies) {
        for (size_t s = 0; s < anomalies_.size(); ++s) {
          auto value = to_string(static_cast<severity>(s));
          anomalies_[s] = &family.Add({{label, value}});
        }
        break;
      }
      auto& target = info.id == id::events_invalid ? events_invalid_
                     : info.id == id::dead_letters ? dead_letters_
                                                   : actor_restarts_;
      for (auto& value : values_of(info.id))
        target.emplace_back(value, &family.Add({{label, value}}));
      // "other" goes last: `find` falls back to it.
      auto other = std::string{other_label_value};
      target.emplace_back(other, &family.Add({{label, other}}));
      break;
    }
    case metric_kind::gauge: {
      auto& family
          = prometheus::BuildGauge().Name(name).Help(help).Register(reg);
      if (info.id == id::consumer_lag)
        consumer_lag_ = &family;
      else if (!info.label.empty())
        service_families_[i] = &family;
      else
        gauges_[i] = &family.Add({});
      break;
    }
    case metric_kind::histogram: {
      auto& family
          = prometheus::BuildHistogram().Name(name).Help(help).Register(reg);
      histograms_[i] = &family.Add({}, info.buckets);
      break;
    }
    }
  }
}

metric_factory::~metric_factory() = default;

prometheus::Counter& metric_factory::find(labelled_counters& xs,
                                          std::string_view value) {
  for (auto& [name, counter] : xs)
    if (name == value)
      return *counter;
  return *xs.back().second;
}

prometheus::Counter& metric_factory::events_consumed() noexcept {
  return *counters_[index(id::events_consumed)];
}

prometheus::Counter& metric_factory::events_invalid(std::string_view reason) {
  return find(events_invalid_, reason);
}

prometheus::Counter& metric_factory::events_late() noexcept {
  return *counters_[index(id::events_late)];
}

prometheus::Counter& metric_factory::events_too_late() noexcept {
  return *counters_[index(id::events_too_late)];
}

prometheus::Counter& metric_factory::timestamps_repaired() noexcept {
  return *counters_[index(id::timestamps_repaired)];
}

prometheus::Counter& metric_factory::dead_letters(std::string_view reason) {
  return find(dead_letters_, reason);
}

namespace {

std::string partition_label(int32_t partition, int32_t max_partitions) {
  if (partition < 0 || partition >= max_partitions)
    return std::string{other_label_value};
  return std::to_string(partition);
}

} // namespace

prometheus::Gauge& metric_factory::consumer_lag(int32_t partition) {
  // Family::Add is thread-safe and returns the existing series for known
  // labels, so concurrent first uses share one gauge.
  return consumer_lag_->Add(
      {{"partition", partition_label(partition, labels_.max_partitions)}});
}

void metric_factory::release_partition(int32_t partition) {
  auto label = partition_label(partition, labels_.max_partitions);
  if (label == other_label_value)
    return;
  prometheus::Labels key{{"partition", label}};
  if (consumer_lag_->Has(key))
    consumer_lag_->Remove(&consumer_lag_->Add(key));
}

prometheus::Gauge& metric_factory::inflight_batches() noexcept {
  return *gauges_[index(id::inflight_batches)];
}

prometheus::Gauge& metric_factory::paused_partitions() noexcept {
  return *gauges_[index(id::paused_partitions)];
}

prometheus::Gauge& metric_factory::assigned_partitions() noexcept {
  return *gauges_[index(id::assigned_partitions)];
}

prometheus::Gauge& metric_factory::held_partitions() noexcept {
  return *gauges_[index(id::held_partitions)];
}

prometheus::Gauge& metric_factory::stalled_partitions() noexcept {
  return *gauges_[index(id::stalled_partitions)];
}

prometheus::Counter& metric_factory::partition_stalls() noexcept {
  return *counters_[index(id::partition_stalls)];
}

prometheus::Counter& metric_factory::rebalances() noexcept {
  return *counters_[index(id::rebalances)];
}

prometheus::Counter& metric_factory::generator_messages_sent() noexcept {
  return *counters_[index(id::generator_messages_sent)];
}

prometheus::Counter& metric_factory::generator_delivery_failures() noexcept {
  return *counters_[index(id::generator_delivery_failures)];
}

prometheus::Counter& metric_factory::windows_emitted() noexcept {
  return *counters_[index(id::windows_emitted)];
}

prometheus::Counter& metric_factory::anomalies(severity level) noexcept {
  auto i = static_cast<size_t>(level);
  return *anomalies_[i < anomalies_.size() ? i : anomalies_.size() - 1];
}

prometheus::Gauge& metric_factory::watermark_delay() noexcept {
  return *gauges_[index(id::watermark_delay)];
}

prometheus::Gauge& metric_factory::tracked_services() noexcept {
  return *gauges_[index(id::tracked_services)];
}

prometheus::Counter& metric_factory::service_overflow() noexcept {
  return *counters_[index(id::service_overflow)];
}

prometheus::Counter& metric_factory::db_rows_written() noexcept {
  return *counters_[index(id::db_rows_written)];
}

prometheus::Counter& metric_factory::db_transactions() noexcept {
  return *counters_[index(id::db_transactions)];
}

prometheus::Histogram& metric_factory::db_write_duration() noexcept {
  return *histograms_[index(id::db_write_duration)];
}

prometheus::Counter& metric_factory::db_retries() noexcept {
  return *counters_[index(id::db_retries)];
}

prometheus::Histogram& metric_factory::checkpoint_duration() noexcept {
  return *histograms_[index(id::checkpoint_duration)];
}

prometheus::Gauge& metric_factory::checkpoint_age() noexcept {
  return *gauges_[index(id::checkpoint_age)];
}

prometheus::Counter& metric_factory::checkpoints() noexcept {
  return *counters_[index(id::checkpoints)];
}

prometheus::Counter& metric_factory::actor_restarts(std::string_view actor) {
  return find(actor_restarts_, actor);
}

prometheus::Gauge& metric_factory::failing_readiness_checks() noexcept {
  return *gauges_[index(id::failing_readiness_checks)];
}

prometheus::Gauge& metric_factory::cluster_nodes() noexcept {
  return *gauges_[index(id::cluster_nodes)];
}

prometheus::Counter& metric_factory::cluster_node_losses() noexcept {
  return *counters_[index(id::cluster_node_losses)];
}

prometheus::Counter& metric_factory::cluster_generations() noexcept {
  return *counters_[index(id::cluster_generations)];
}

prometheus::Counter& metric_factory::store_disconnects() noexcept {
  return *counters_[index(id::store_disconnects)];
}

void metric_factory::set_services(const std::vector<service_sample>& samples) {
  struct values {
    int64_t requests = 0;
    int64_t errors = 0;
    double per_second = 0;
    double p95 = 0;
    int64_t incidents = 0;
  };
  std::lock_guard<std::mutex> guard{services_mtx_};
  std::vector<values> own(services_.size());
  values other;
  bool any_other = false;
  for (const auto& s : samples) {
    auto i = std::find(services_.begin(), services_.end(), s.service)
             - services_.begin();
    if (static_cast<size_t>(i) == services_.size()) {
      if (services_.size() < labels_.max_service_series
          && s.service != other_label_value) {
        services_.push_back(s.service);
        own.emplace_back();
      } else {
        i = -1;
      }
    }
    auto& v = i >= 0 ? own[static_cast<size_t>(i)] : other;
    any_other = any_other || i < 0;
    v.requests += s.requests;
    v.errors += s.errors;
    if (s.window_seconds > 0)
      v.per_second += static_cast<double>(s.requests) / s.window_seconds;
    v.p95 = std::max(v.p95, s.p95_latency_seconds);
    v.incidents += s.open_incidents;
  }
  auto set = [this](const std::string& service, const values& v) {
    prometheus::Labels key{{"service", service}};
    auto family = [this](metric_id x) { return service_families_[index(x)]; };
    family(id::service_request_rate)->Add(key).Set(v.per_second);
    family(id::service_error_ratio)
        ->Add(key)
        .Set(v.requests > 0 ? static_cast<double>(v.errors)
                                  / static_cast<double>(v.requests)
                            : 0.0);
    family(id::service_p95_latency)->Add(key).Set(v.p95);
    family(id::service_open_incidents)
        ->Add(key)
        .Set(static_cast<double>(v.incidents));
  };
  for (size_t i = 0; i < services_.size(); ++i)
    set(services_[i], own[i]);
  if (any_other || services_other_) {
    services_other_ = true;
    set(std::string{other_label_value}, other);
  }
}

std::string metric_factory::serialize() const {
  return prometheus::TextSerializer{}.Serialize(registry_->Collect());
}

} // namespace vigil
