#pragma once

// Ground truth for end-to-end tests: produce seeded events to a topic,
// remember what every (service, window) must contain, and compare with what
// vigil stored.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "runtime/embedded_broker.hpp"

namespace vigil {
class line_writer;
} // namespace vigil

namespace vigil::test {

/// What one (service, window) must contain.
struct window_truth {
  int64_t count = 0;
  int64_t errors = 0;
  std::vector<double> latencies;
};

/// (service, window start).
using window_id = std::pair<std::string, int64_t>;

/// The expected outcome of a produced topic.
struct ground_truth {
  std::map<window_id, window_truth> windows;
  /// (reason, payload) of every event that must be rejected.
  std::multiset<std::pair<std::string, std::string>> dead_letters;
  /// Valid events (repaired ones included).
  uint64_t valid = 0;
};

/// What to produce.
struct produce_spec {
  std::string brokers;
  std::string topic;
  int32_t partitions = 1;
  uint64_t count = 0;
  uint64_t seed = 1;
  /// Every Nth event is replaced by a malformed one (0: never).
  uint64_t malformed_every = 0;
  /// Window size the truth is computed for.
  int64_t window_ms = 10'000;
};

/// Produces the events (event i to partition i mod partitions) and returns
/// the ground truth; fails the current test on any delivery error.
ground_truth produce_events(const produce_spec& spec);

/// Writes the events of `spec` (brokers, topic and partitions unused) to
/// the file `path`, one JSON line each (gzip if it ends in .gz), and returns
/// the ground truth; `between(writer, i)` may add lines before event i
/// (empty lines, say). Fails the current test on any write error.
ground_truth
write_events_file(const produce_spec& spec, const std::string& path,
                  const std::function<void(line_writer&, uint64_t)>& between
                  = {});

/// Produces the seeded events of a spec in installments (a live topic), and
/// keeps the ground truth of everything produced so far. `spec.count` is
/// ignored.
class event_stream {
public:
  explicit event_stream(produce_spec spec);
  ~event_stream();

  event_stream(const event_stream&) = delete;
  event_stream& operator=(const event_stream&) = delete;

  /// Produces the next `n` events and waits for their delivery; fails the
  /// current test on any delivery error.
  void produce(uint64_t n);

  /// Events produced so far.
  uint64_t produced() const noexcept;

  /// The truth of everything produced so far.
  ground_truth truth() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// An embedded broker with topic "events" (and "events.dlq") holding
/// produced events, and their ground truth.
struct produced_topic {
  std::optional<embedded_broker> broker;
  produce_spec spec;
  ground_truth truth;
};

/// Starts an embedded broker, creates "events" with `partitions` partitions
/// and "events.dlq", and produces `count` seeded events (every
/// `malformed_every`-th malformed); fails the current test on any error.
void produce_topic(produced_topic& out, int32_t partitions, uint64_t count,
                   uint64_t seed, uint64_t malformed_every);

/// A row of `service_metrics` as stored.
struct window_stored {
  int64_t count = 0;
  int64_t errors = 0;
  double p95 = 0;
};

/// Reads every `service_metrics` row of the SQLite file or PostgreSQL URL
/// `db` (read-only connection).
std::map<window_id, window_stored> read_windows(const std::string& db);

/// Compares stored windows with the truth: every window present with its
/// exact count and error count and p95 within 1 % of the exact value, and
/// no extra rows. Returns the number of mismatches (the first few are
/// reported as test errors).
size_t compare_windows(const ground_truth& truth, const std::string& db);

/// Reads `expected` messages of `topic` (all partitions) and returns their
/// (vigil.reason header, payload), giving up after 60 s.
std::multiset<std::pair<std::string, std::string>>
read_dead_letters(const std::string& brokers, const std::string& topic,
                  size_t expected);

} // namespace vigil::test
