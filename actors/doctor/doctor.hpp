#pragma once

// `vigil doctor`: automated diagnosis of the failures described in the seed
// incident reports (read-only /data, unreachable broker, consumers that start
// past every message, malformed timestamps, a locked database, data lost to
// retention, taken ports, clock skew). Each check is a function with explicit
// inputs returning a `check_result` with real evidence and a fix. Gathering
// (Kafka, SQLite, /proc) is separate from judging so that tests can call the
// judges with facts they control.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/ingest/request_event.hpp"
#include "actors/node/node.hpp"
#include "runtime/procfs.hpp"

namespace vigil::doctor {

// -- results ------------------------------------------------------------------

/// The outcome of one check.
struct check_result {
  /// Severity of a result; any `fail` makes `vigil doctor` exit 1.
  enum level { ok, warn, fail };
  /// Check name, e.g. "broker_reachable".
  std::string name;
  /// Outcome.
  level status = ok;
  /// What was observed (numbers, addresses, pids).
  std::string evidence;
  /// What to do about it; empty for `ok`.
  std::string fix;
};

/// Returns "ok", "warn" or "fail".
const char* to_string(check_result::level status) noexcept;

/// Renders results as lines: `OK    name: evidence`, plus `      fix: ...`
/// for WARN and FAIL, then a summary line.
std::string render_text(const std::vector<check_result>& results);

/// Renders results as one JSON document
/// `{"checks":[{"name","status","evidence","fix"}],"ok":bool}`.
std::string render_json(const std::vector<check_result>& results);

/// Returns 1 if any result is `fail`, else 0.
int exit_status(const std::vector<check_result>& results) noexcept;

// -- facts gathered from Kafka ------------------------------------------------

/// Outcome of a metadata request to the bootstrap servers.
struct broker_probe {
  /// The bootstrap servers asked.
  std::string bootstrap;
  /// Empty on success, else librdkafka's error and the last client log line.
  std::string error;
  /// Brokers in the metadata answer.
  size_t brokers = 0;
  /// Topics in the metadata answer.
  std::vector<std::string> topics;
  /// Time until the answer (or the failure).
  std::chrono::milliseconds elapsed{0};
  /// The probe's timeout.
  std::chrono::milliseconds timeout{0};
};

/// Offsets of one partition of the topic.
struct partition_state {
  /// Partition id.
  int32_t partition = 0;
  /// First offset still in the log (-1 if unknown).
  int64_t low = -1;
  /// Offset of the next message to be written (-1 if unknown).
  int64_t high = -1;
  /// Offset committed by the consumer group, or -1 if none.
  int64_t committed = -1;
};

/// What the broker says about the topic.
struct topic_probe {
  /// The topic name.
  std::string name;
  /// True if the metadata lists the topic.
  bool exists = false;
  /// Per-partition offsets (empty if the topic does not exist).
  std::vector<partition_state> partitions;
  /// Errors met while reading watermarks or committed offsets.
  std::string error;
};

/// One message read from the end of a partition.
struct sampled_message {
  /// Partition id.
  int32_t partition = 0;
  /// Offset in the partition.
  int64_t offset = 0;
  /// The message value.
  std::string payload;
  /// Kafka message timestamp (create or log-append time) in epoch
  /// milliseconds, or -1 if the message has none.
  int64_t broker_time_ms = -1;
};

/// A checkpointed position of one partition, from checkpoint_offsets.
struct checkpoint_position {
  /// Partition id.
  int32_t partition = 0;
  /// Next offset to read.
  int64_t next_offset = 0;
};

// -- facts gathered from a running node ---------------------------------------

/// What a node already serving on the configured HTTP address says about
/// its partitions (`/api/status`).
struct node_probe {
  /// host:port asked.
  std::string address;
  /// True if a vigil node answered.
  bool answered = false;
  /// Why it did not (nothing listening, not vigil, bad answer).
  std::string error;
  /// Partitions it holds.
  int64_t assigned = 0;
  /// One partition with lag and no progress for the stall bound.
  struct stall {
    int32_t partition = 0;
    int64_t lag = 0;
    int64_t waiting_ms = 0;
  };
  /// Its stalled partitions.
  std::vector<stall> stalled;
};

/// Asks `host:port` for `/api/status` (short timeouts).
node_probe probe_running_node(const std::string& host, uint64_t port);

/// Judges a running node's partitions: FAIL naming every stalled
/// partition; OK when none is stalled or no node is running.
check_result check_running_node(const node_probe& probe);

// -- cluster ------------------------------------------------------------------

/// What `vigil doctor` learned from a cluster's store.
struct cluster_probe {
  /// The node's role (all, ingest, store).
  std::string role = "all";
  /// host:port of the store's cluster endpoint asked ("" = not asked).
  std::string address;
  /// True if the store's coordinator answered.
  bool answered = false;
  /// Why it did not.
  std::string error;
  /// The store's view: generation, whether it runs, partitions without an
  /// owner, and its nodes ("name: partitions" each).
  uint64_t generation = 0;
  bool running = false;
  std::vector<int32_t> unowned;
  std::vector<std::string> nodes;
};

/// Connects to the store's cluster endpoint (role ingest: --store; role
/// store: --cluster-host/--cluster-port), with mutual TLS if configured,
/// and asks its coordinator for the cluster's view.
cluster_probe probe_cluster(const node_config& cfg,
                            std::chrono::milliseconds timeout);

/// cluster: OK for a single node; for a cluster, FAIL if the store cannot be
/// reached (ingest) and WARN if it holds (partitions without an owner) or no
/// store runs (store).
check_result check_cluster(const cluster_probe& probe);

/// The TLS files of the cluster and console endpoints.
struct tls_files {
  std::string ca;
  std::string cert;
  std::string key;
};

/// certificates: OK without TLS; FAIL if a file cannot be read, the
/// certificate is not signed by the CA, the key does not match it, or
/// either has expired or is not yet valid; WARN if either expires within
/// 14 days. `now_s`: epoch seconds.
check_result check_certificates(const tls_files& files, int64_t now_s);

// -- settings -----------------------------------------------------------------

/// Settings of `vigil doctor`: the node's settings plus the doctor's own.
struct doctor_options {
  /// The same settings as `vigil run`.
  node_config node;
  /// Print JSON instead of text.
  bool json = false;
  /// HTTP port the node would serve on (0 = do not check).
  uint64_t http_port = 8080;
  /// Console port the node would serve on (0 = do not check).
  uint64_t console_port = 4242;
  /// Messages sampled from the end of each partition.
  uint64_t sample = 20;
  /// Timeout of each broker probe.
  std::chrono::milliseconds timeout{5000};
  /// Working directory against which relative paths are judged ("" = the
  /// process's).
  std::string cwd;
  /// Root of the proc filesystem (tests may point it elsewhere).
  std::string proc_root = "/proc";
};

// -- checks -------------------------------------------------------------------

/// config_paths: the database's directory exists or can be created, and is
/// writable; an unwritable absolute path outside `cwd` (the container-path
/// trap) gets a fix naming --db and VIGIL_DB.
check_result check_config_paths(const std::string& db_path,
                                const std::string& cwd);

/// broker_reachable: judges a metadata probe.
check_result check_broker_reachable(const broker_probe& probe);

/// topic_exists: the topic is listed, with its partition and message counts.
check_result check_topic_exists(const topic_probe& topic,
                                const broker_probe& broker);

/// consumer_offsets: the group's committed offsets against the watermarks and
/// this node's checkpoints; warns when the group sits at the end of every
/// partition holding messages while this database has no checkpoint for them,
/// and when `--start latest` skips messages.
check_result check_consumer_offsets(const topic_probe& topic,
                                    const node_config& cfg,
                                    const std::vector<checkpoint_position>& cp);

/// event_contract: validates sampled messages with parse_request_event;
/// counts rejections by reason and repaired `+00:00Z` timestamps.
check_result check_event_contract(const std::vector<sampled_message>& samples,
                                  const node_config& cfg,
                                  size_t partitions_sampled);

/// database: the SQLite file opens read-only, has vigil's tables, is in WAL
/// mode, and its write lock can be taken (BEGIN IMMEDIATE, then ROLLBACK);
/// when locked, names the processes holding it from `proc_root`.
check_result check_database(const std::string& db_path,
                            const std::string& proc_root = "/proc",
                            int busy_timeout_ms = 250);

/// database, on PostgreSQL (`url` is the --db URL): connects (the error
/// names the part of the URL to fix), reads the schema version (fails on a
/// newer one), checks the user may write vigil's tables and create tables
/// for migrations, and warns about sessions waiting for a lock
/// (pg_stat_activity wait_event_type 'Lock') naming who blocks them.
check_result check_pg_database(const std::string& url,
                               int connect_timeout_s = 3);

/// The checkpointed offsets of `topic` in the PostgreSQL database `url`;
/// `readable` false if it cannot be read.
std::vector<checkpoint_position> read_pg_checkpoints(const std::string& url,
                                                     const std::string& topic,
                                                     bool& readable);

/// checkpoint_retention: checkpointed offsets against the broker's
/// watermarks; fails when retention removed offsets a checkpoint still needs
/// or when a checkpoint lies beyond the log end (topic recreated). The fix
/// names `bootstrap` in its commands.
check_result check_checkpoint_retention(
    const topic_probe& topic, const std::vector<checkpoint_position>& cp,
    const std::string& db_path, bool db_readable, const std::string& bootstrap);

/// A TCP port the node would listen on.
struct port_spec {
  /// What serves on it, e.g. "http".
  std::string role;
  /// The flag that sets it, e.g. "--http-port".
  std::string flag;
  /// Port number; 0 means not checked.
  uint64_t port = 0;
};

/// ports: binds 127.0.0.1:port for each spec; names the process holding a
/// port in use (from `proc_root`).
check_result check_ports(const std::vector<port_spec>& ports,
                         const std::string& proc_root = "/proc");

/// clock_skew: event times of valid samples against the wall clock `now_ms`
/// and the messages' Kafka timestamps.
check_result check_clock_skew(const std::vector<sampled_message>& samples,
                              const node_config& cfg, int64_t now_ms);

// -- gathering and running ----------------------------------------------------

/// Everything `vigil doctor` learns from Kafka.
struct kafka_facts {
  /// The metadata probe.
  broker_probe broker;
  /// The topic (valid if the broker answered).
  topic_probe topic;
  /// Messages sampled from the end of each partition.
  std::vector<sampled_message> samples;
  /// Partitions that were sampled.
  size_t partitions_sampled = 0;
};

/// Asks the brokers of `opts.node` for metadata, the topic's watermarks and
/// the group's committed offsets, and samples the newest `opts.sample`
/// messages of each partition. Never commits and never creates topics.
kafka_facts gather_kafka(const doctor_options& opts);

/// Reads the checkpointed positions of `topic` from the database at `path`
/// (read-only); `readable` is set false if the file exists but cannot be read.
std::vector<checkpoint_position> read_checkpoints(const std::string& path,
                                                  const std::string& topic,
                                                  bool& readable);

/// Runs every check in order: config_paths, broker_reachable, topic_exists,
/// consumer_offsets, event_contract, database, checkpoint_retention, ports,
/// clock_skew.
std::vector<check_result> run_checks(const doctor_options& opts);

} // namespace vigil::doctor
