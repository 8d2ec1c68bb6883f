#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace vigil {

struct kind_schema;

class metric_factory;
class option_set;

/// Configuration of a vigil node (`vigil run`).
struct node_config {
  /// Where events come from: "kafka" (--topic on --brokers) or
  /// "file:PATH", a file of JSON lines (gzip if PATH ends in .gz) read to
  /// its end like a drain.
  std::string source = "kafka";
  /// File source: virtual partitions the file's lines are dealt to.
  uint64_t partitions = 4;
  /// Kafka bootstrap servers.
  std::string brokers;
  /// Topic of the events.
  std::string topic = "raw_events";
  /// Event kind of the topic: "request", another built-in kind ("sensor",
  /// "trade") or the path of a declaration file (schemas/kinds/).
  std::string kind = "request";
  /// The declaration of `kind` when it is not request (set by run_node).
  std::shared_ptr<const kind_schema> schema;
  /// Dead-letter topic ("" = `<topic>.dlq`).
  std::string dlq_topic;
  /// Consumer group.
  std::string group = "vigil";
  /// SQLite database file.
  std::string db = "./data/vigil.db";
  /// Address the HTTP server (health, readiness, metrics, API) binds to.
  std::string http_host = "127.0.0.1";
  /// Port of the HTTP server (0 = any free port, printed at start).
  uint64_t http_port = 8080;
  /// Directory of the dashboard's files served at `/` ("" = the `web`
  /// directory next to the executable, if there is one).
  std::string web_root;
  /// Address the operator console endpoint (CAF BASP, no authentication)
  /// binds to.
  std::string console_host = "127.0.0.1";
  /// Port of the console endpoint (0 = any free port, printed at start).
  uint64_t console_port = 4242;
  /// Tumbling window size.
  std::chrono::milliseconds window{10000};
  /// Out-of-orderness bound of watermarks.
  std::chrono::milliseconds out_of_order{2000};
  /// Allowed lateness after a window's end.
  std::chrono::milliseconds lateness{5000};
  /// A partition at its end this long stops holding the watermark back.
  std::chrono::milliseconds idle_timeout{10000};
  /// Interval between checkpoints.
  std::chrono::milliseconds checkpoint_interval{1000};
  /// A partition with lag and no progress for this long is reported
  /// stalled (log, vigil_stalled_partitions, /ready, console); 0: off.
  std::chrono::milliseconds stall_timeout{30000};
  /// Consumer-group session timeout: how long the group waits for a member
  /// that stopped answering (a crashed node, a restarted source) before its
  /// partitions go to the others.
  std::chrono::milliseconds session_timeout{10000};
  /// Cap on distinct services tracked.
  uint64_t max_services = 10000;
  /// Largest accepted event in bytes.
  uint64_t max_event_bytes = 65536;
  /// Records per batch handed to a partition task.
  uint64_t batch_size = 2000;
  /// Unacknowledged batches per partition before it is paused.
  uint64_t credit = 16;
  /// Where partitions without a checkpoint start: earliest or latest.
  std::string start = "earliest";
  /// Scheduler worker threads (0 = one per core).
  uint64_t workers = 0;
  /// Drain mode: stop at the end offsets seen at start.
  bool drain = false;
  /// Seed of the supervisors' backoff jitter.
  uint64_t seed = 42;
  /// Fault injection for tests: the task handling the Nth batch of the
  /// process throws once (0 = off).
  uint64_t fault_task_throw_at = 0;
  /// Fault injection for tests: every task throws on its own Nth batch.
  bool fault_task_throw_always = false;
  /// Fault injection for tests: each task batch takes this long (ms).
  uint64_t fault_task_delay_ms = 0;
  /// What the node runs: "all" (one node: source, tasks, merger, detector,
  /// narrator, database), "ingest" (source and partition tasks, sending
  /// window partials to a store) or "store" (everything else, and the
  /// cluster's checkpoint coordinator).
  std::string role = "all";
  /// Role ingest: the store's cluster address, HOST:PORT.
  std::string store;
  /// Role store: the address and port the cluster endpoint binds to.
  std::string cluster_host = "127.0.0.1";
  uint64_t cluster_port = 4243;
  /// This node's name in the cluster ("" = host:pid).
  std::string node_name;
  /// Mutual TLS of the cluster and console endpoints (all three or none):
  /// the cluster CA's certificate, this node's certificate and its key.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  /// Optional language-model narrator: an Ollama-compatible server
  /// (http://host:port) asked for two-sentence incident summaries; empty:
  /// template summaries only.
  std::string narrator_url;
  /// The model it runs.
  std::string narrator_model = "llama3.2";
  /// How long one summary may take; later answers are ignored.
  std::chrono::milliseconds narrator_timeout{5000};
  /// The live detector: "combined" (robust baseline, seasonality, spike and
  /// change-point detectors) or "ewma" (the EWMA baselines).
  std::string detector = "combined";
  /// Per metric of the combined detector: which detectors report ("all",
  /// "off", or a list of spike, level_shift, variance_change), the
  /// sensitivity (a positive number) and the windows seen before anything
  /// is reported.
  struct metric_settings {
    std::string detectors = "all";
    std::string sensitivity = "1";
    uint64_t min_history = 12;
  };
  metric_settings error_rate_detection;
  metric_settings latency_detection;
  metric_settings request_rate_detection;
  /// The metrics served at /metrics; null: the node builds its own (with
  /// `node_label_sets()`). `vigil demo` shares it with its generator.
  std::shared_ptr<metric_factory> metrics;
};

/// Declares every node setting on `opts` (flags, VIGIL_* variables, file).
void add_node_options(option_set& opts, node_config& cfg);

/// The dashboard directory the build puts next to the executable
/// (`<directory of /proc/self/exe>/web`), or "" if there is none.
std::string default_web_root();

/// Checks a configuration; returns what is wrong and how to fix it, or "".
std::string validate(const node_config& cfg);

/// The file of `--source file:PATH`, or "" for the Kafka source.
std::string source_file(const node_config& cfg);

/// Runs a node until it drains (drain mode), `stop` becomes true, or its
/// supervision tree gives up. Returns the process exit status.
int run_node(const node_config& cfg, const std::atomic<bool>& stop);

} // namespace vigil
