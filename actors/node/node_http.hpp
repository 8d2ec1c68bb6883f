#pragma once

// The node's side of the HTTP server: readiness checks, /api routes, and the
// translation of pipeline counters into Prometheus metrics.

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "runtime/sqlite.hpp"

namespace vigil {

class http_server;
class metric_factory;
struct kind_schema;
struct metric_label_sets;
struct source_status;

/// The closed label sets of a node: every invalid reason and every
/// supervised actor name.
metric_label_sets node_label_sets();

/// Turns successive `pipeline_stats` of the merger into counter increments.
/// The merger's counters are part of its checkpointed state: after a
/// rollback or restart they drop back and climb again while the source
/// replays, so each counter advances only past the highest value seen
/// before. Each record is thus counted exactly once.
class pipeline_metrics {
public:
  explicit pipeline_metrics(std::shared_ptr<metric_factory> metrics);

  /// Applies one poll result; `wall_ms` is the wall clock in epoch ms.
  void update(const pipeline_stats& st, int64_t wall_ms);

private:
  /// Returns how far `value` exceeds `high` and raises `high` to it.
  static uint64_t advance(uint64_t& high, uint64_t value) noexcept;

  std::shared_ptr<metric_factory> metrics_;
  uint64_t events_ = 0;
  std::vector<uint64_t> invalid_;
  uint64_t repaired_ = 0;
  uint64_t late_ = 0;
  uint64_t windows_ = 0;
  uint64_t key_overflow_ = 0;
};

/// What the node shares with its HTTP handlers (all members thread-safe).
struct node_http_context {
  /// Kafka bootstrap servers (readiness probe).
  std::string brokers;
  /// The SQLite database (read-only API queries, writability probe).
  std::string db;
  /// The node's metrics (restart counts for /api/status).
  std::shared_ptr<metric_factory> metrics;
  /// Published by the Kafka source.
  std::shared_ptr<source_status> source;
  /// Guards `pipeline` and `have_pipeline`.
  std::mutex mtx;
  /// Latest merger counters from the node's poll.
  pipeline_stats pipeline;
  /// False until the first poll answered.
  bool have_pipeline = false;
  /// The node's role: all, store or ingest.
  std::string role = "all";
  /// The declaration of the node's event kind; null: the request kind
  /// (service_metrics). Read by /api/kind* and the console's `services`.
  std::shared_ptr<const kind_schema> schema;
  /// Store: the cluster as the coordinator last described it (guarded by
  /// `mtx`; refreshed by the node's poll).
  cluster_view cluster;
  /// False until the coordinator first answered.
  bool have_cluster = false;
};

/// The latest window of every service, ordered by service, over a
/// short-lived read-only connection (the query of /api/services).
db_result<std::vector<window_row>> read_latest_windows(const std::string& db);

/// The windows of the `span` window lengths (`window_ms` each) before the
/// newest stored window, ordered by service, then time: what the combined
/// detector replays to rebuild its history at start.
db_result<std::vector<window_row>>
read_replay_windows(const std::string& db, int64_t window_ms, size_t span);

/// Anomalies of windows starting at or after `since_ms`, newest first, at
/// most `limit`, of `service` only unless it is empty, over a short-lived
/// read-only connection (the query of /api/anomalies).
db_result<std::vector<anomaly_row>> read_anomalies(const std::string& db,
                                                   int64_t since_ms,
                                                   const std::string& service,
                                                   int64_t limit);

/// Incidents still open, then those that ended at or after `since_ms`; the
/// most severe first within each group, then the newest; at most `limit`,
/// over a short-lived read-only connection (the query of /api/incidents).
db_result<std::vector<incident_row>>
read_incidents(const std::string& db, int64_t since_ms, int64_t limit);

/// Registers the readiness checks `broker`, `database` (unless the node has
/// no database: role ingest) and `assignment` and
/// the routes /api/services, /api/windows, /api/anomalies, /api/incidents,
/// /api/status, /api/kind, /api/kind/keys and /api/kind/windows, and
/// refreshes the scrape-time gauges (node_scrape.hpp).
void install_node_routes(http_server& server,
                         const std::shared_ptr<node_http_context>& ctx);

} // namespace vigil
