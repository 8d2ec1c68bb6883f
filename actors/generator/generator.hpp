#pragma once

// A seeded generator of request events (the event contract of design.md) with
// scripted incidents, and the loop that produces them to Kafka.

#include <atomic>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "actors/ingest/request_event.hpp"
#include "runtime/expected.hpp"

namespace vigil {

class metric_factory;

// -- incidents ----------------------------------------------------------------

/// What goes wrong with a service during an incident.
enum class incident_kind : uint8_t {
  /// The error rate rises to `incident_error_rate`.
  errors,
  /// Latencies are multiplied by `incident_latency_factor`.
  latency,
  /// The service emits no events.
  drop,
};

/// Returns "errors", "latency" or "drop".
const char* to_string(incident_kind kind) noexcept;

/// Error rate of a service during an `errors` incident.
constexpr double incident_error_rate = 0.4;

/// Latency multiplier during a `latency` incident.
constexpr double incident_latency_factor = 8.0;

/// A scripted incident on one service, in event time relative to the start.
struct incident {
  /// The affected service.
  std::string service;
  /// What happens.
  incident_kind kind = incident_kind::errors;
  /// Start, in seconds after the generator's start time.
  double start_s = 0;
  /// Length in seconds.
  double duration_s = 0;
};

/// Parses "SERVICE:KIND:START_S:DURATION_S", e.g. "payments:errors:60:120".
expected<incident> parse_incident(std::string_view spec);

// -- generator ----------------------------------------------------------------

/// Settings of an event generator.
struct generator_config {
  /// Number of services (names: checkout, payments, ..., then service-9...).
  size_t services = 8;
  /// Sigma of the lognormal latency distribution of every service.
  double latency_sigma = 0.5;
  /// Scripted incidents.
  std::vector<incident> incidents;
  /// Event time of event 0, Unix epoch milliseconds.
  int64_t start_ms = 0;
  /// Events per second of event time: event i is at start + i * 1000 / rate.
  double rate = 1000;
  /// Each event's time is moved back by a seeded amount in [0, max_jitter_ms]:
  /// events are at most this many milliseconds out of order (0: in order).
  int64_t max_jitter_ms = 200;
  /// Seed of every random choice.
  uint64_t seed = 1;
};

/// The fixed traits of one generated service.
struct service_profile {
  /// Service name.
  std::string name;
  /// Mu of the lognormal latency (log of the median in milliseconds).
  double latency_mu = 0;
  /// Probability that a request fails with a 5xx outside incidents.
  double error_rate = 0;
  /// Relative share of the traffic.
  double weight = 1;
  /// Region the service runs in.
  std::string region;
};

/// One generated event: the contract fields plus the optional ones.
struct generated_event {
  /// Time, service, status and latency.
  request_event core;
  /// Request path.
  std::string endpoint;
  /// Unique id of the event.
  std::string event_id;
  /// Trace id (32 hex digits).
  std::string trace_id;
  /// Region of the serving host.
  std::string region;
  /// Serving host.
  std::string host;
};

/// Renders an event as contract JSON (RFC 3339 UTC timestamp with ms, "Z").
std::string to_json(const generated_event& event);

/// Deterministic generator of request events; no I/O, no clock.
class event_generator {
public:
  explicit event_generator(generator_config settings);

  /// Fills `out` with event number index() at its nominal event time.
  void next(generated_event& out);

  /// Fills `out` with the next event at `base_time_ms` (before jitter), for
  /// generators that follow the wall clock.
  void next(generated_event& out, int64_t base_time_ms);

  /// Returns the next event as contract JSON.
  std::string next_json();

  /// Number of events generated so far.
  uint64_t index() const noexcept {
    return index_;
  }

  /// Nominal event time of event `i` (before jitter).
  int64_t nominal_time_ms(uint64_t i) const noexcept;

  /// The services, in order.
  const std::vector<service_profile>& services() const noexcept {
    return services_;
  }

  /// The settings.
  const generator_config& settings() const noexcept {
    return settings_;
  }

  /// Name of service number `i` (0-based).
  static std::string service_name(size_t i);

private:
  /// True if incident number `idx` affects `service` at `time_ms`.
  bool active(size_t idx, size_t service, int64_t time_ms) const;

  generator_config settings_;
  std::vector<service_profile> services_;
  std::vector<size_t> incident_service_;
  std::mt19937_64 rng_;
  uint64_t index_ = 0;
};

// -- malformed events ---------------------------------------------------------

/// The kinds of malformed events `malformed_json` produces, in cycle order.
enum class malformed_kind : uint8_t {
  /// An impossible timestamp (month 13).
  bad_timestamp,
  /// The known-bad `+00:00Z` zone: repairable, so the event is valid.
  double_zone,
  /// No `service` field.
  missing_field,
  /// Truncated text that is not JSON.
  not_json,
  /// A negative latency.
  negative_latency,
  /// Status code 700.
  bad_status,
};

/// Number of malformed kinds.
constexpr size_t malformed_kind_count = 6;

/// A malformed (or repairable) event for tests and `--malformed-every`.
struct malformed_event {
  /// What is wrong with it.
  malformed_kind kind = malformed_kind::bad_timestamp;
  /// The message text.
  std::string json;
  /// True if a correct parser accepts it (the repairable kinds).
  bool valid = false;
};

/// Returns malformed event number `i` (kind i mod malformed_kind_count) with
/// event time `time_ms`; deterministic.
malformed_event malformed_json(uint64_t i, int64_t time_ms);

// -- producing to Kafka -------------------------------------------------------

/// Settings of `vigil generate` (and of the generator inside `vigil demo`).
struct generate_options {
  /// Kafka bootstrap servers.
  std::string brokers = "127.0.0.1:9092";
  /// Target topic.
  std::string topic = "raw_events";
  /// Write the events to this file instead of Kafka, one JSON line each
  /// (gzip if it ends in .gz; "-" = standard output); "" = Kafka.
  std::string output;
  /// Events per second of wall time; 0 = as fast as possible.
  double rate = 1000;
  /// Events per event-time second when `rate` is 0 (spacing of timestamps).
  double nominal_rate = 1000;
  /// Number of services.
  size_t services = 8;
  /// Stop after this many wall seconds (0 = no limit).
  double duration_s = 0;
  /// Stop after this many events (0 = no limit).
  uint64_t count = 0;
  /// Scripted incidents.
  std::vector<incident> incidents;
  /// Seed of the generator.
  uint64_t seed = 1;
  /// Event time of the first event, epoch ms; unset (-1) = now.
  int64_t start_ms = -1;
  /// Replace every Nth event by a malformed one (0 = never).
  uint64_t malformed_every = 0;
  /// Timeout of the reachability probe before producing.
  int64_t probe_timeout_ms = 5000;
  /// Extra producer configuration entries.
  std::vector<std::pair<std::string, std::string>> producer_config;
  /// Print the summary line on stderr.
  bool verbose = true;
  /// Receives vigil_generator_messages_sent_total and
  /// vigil_generator_delivery_failures_total (every 256 messages and at the
  /// end); may be null.
  std::shared_ptr<metric_factory> metrics;
};

/// What a run of the generator did.
struct generate_report {
  /// Messages handed to the producer (valid and malformed).
  uint64_t generated = 0;
  /// Messages acknowledged by the broker.
  uint64_t delivered = 0;
  /// Messages that failed.
  uint64_t failed = 0;
  /// Wall-clock seconds spent.
  double seconds = 0;
  /// The error that stopped the run, if any.
  std::string error;
};

/// Produces events until `count`, `duration_s` or `stop`; event i goes to
/// partition i mod (partition count), or to line i of `output`. Returns 0 on
/// success, 1 if the broker is unreachable or any delivery failed. Fills
/// `report` if not null.
int run_generator(const generate_options& options, std::atomic<bool>& stop,
                  generate_report* report = nullptr);

/// Returns the current wall-clock time as epoch milliseconds.
int64_t wall_clock_ms();

} // namespace vigil
