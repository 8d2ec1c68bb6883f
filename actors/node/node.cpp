#include "actors/node/node.hpp"

#include "runtime/event_kind.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sys/resource.h>
#include <tuple>
#include <utility>

#include <sys/stat.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_actor.hpp>

#include "actors/aggregate/window_merger_actor.hpp"
#include "actors/cluster/coordinator_actor.hpp"
#include "actors/console/console.hpp"
#include "actors/console/console_commands.hpp"
#include "actors/detect/detector_actor.hpp"
#include "actors/detect/narrator_actor.hpp"
#include "actors/ingest/dead_letter_file.hpp"
#include "actors/ingest/dlq_producer.hpp"
#include "actors/ingest/file_source.hpp"
#include "actors/ingest/kafka_source.hpp"
#include "actors/ingest/partition_task.hpp"
#include "actors/ingest/request_event.hpp"
#include "actors/messages.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"
#include "actors/sink/db_writer.hpp"
#include "actors/sink/store.hpp"
#include "runtime/db_location.hpp"
#include "runtime/error.hpp"
#include "runtime/exit_watchdog.hpp"
#include "runtime/http_server.hpp"
#include "runtime/log.hpp"
#include "runtime/network_shutdown.hpp"
#include "runtime/options.hpp"
#include "runtime/supervisor.hpp"

namespace vigil {

namespace {

/// Peak resident set size of this process in MiB: VmHWM of
/// /proc/self/status. getrusage's ru_maxrss is only the fallback, because it
/// survives exec: a node started by a large parent would report the
/// parent's peak.
double peak_rss_mb() {
  if (auto* f = std::fopen("/proc/self/status", "r")) {
    std::array<char, 256> line{};
    long long kib = -1;
    while (kib < 0 && std::fgets(line.data(), line.size(), f) != nullptr)
      if (std::sscanf(line.data(), "VmHWM: %lld kB", &kib) != 1)
        kib = -1;
    std::fclose(f);
    if (kib >= 0)
      return static_cast<double>(kib) / 1024.0;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0; // KiB on Linux
}

/// Directory of the running executable ("" if /proc is unavailable).
std::string executable_dir() {
  std::array<char, 4096> buf{};
  auto n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0)
    return {};
  std::string path{buf.data(), static_cast<size_t>(n)};
  auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string{} : path.substr(0, slash);
}

/// The registry key of `name` (at most 10 characters).
caf::atom_value registry_key(const char* name) {
  return caf::atom_from_string(caf::string_view{name, std::strlen(name)});
}

caf::actor lookup(caf::actor_system& sys, const char* name) {
  return caf::actor_cast<caf::actor>(sys.registry().get(registry_key(name)));
}

/// Wraps a start function so that each new instance is registered under the
/// child's name, where its siblings look it up when they (re)start.
child_spec registered(const char* name,
                      std::function<caf::actor(caf::actor_system&)> start) {
  child_spec spec;
  spec.name = name;
  spec.start = [name, start = std::move(start)](caf::actor_system& sys) {
    auto a = start(sys);
    if (a) {
      // CAF 0.17's registry neither replaces an existing entry nor drops the
      // entry of an actor that terminated: without the erase, a restarted
      // child's siblings (and the node's own stop request) would keep
      // reaching its dead predecessor.
      auto key = registry_key(name);
      sys.registry().erase(key);
      sys.registry().put(key, caf::actor_cast<caf::strong_actor_ptr>(a));
    }
    return a;
  };
  return spec;
}

/// Reads the latest durable checkpoint with the offsets stored for `topic`
/// (default: the source topic) over a short-lived connection.
std::optional<stored_checkpoint>
load_checkpoint(const node_config& cfg, std::string& error,
                const std::string& topic = {}) {
  auto store = open_result_store(cfg.db);
  if (!store) {
    error = store.error().message;
    return std::nullopt;
  }
  auto ck = (*store)->load_latest_checkpoint(topic.empty() ? cfg.topic : topic);
  if (!ck) {
    error = ck.error().message;
    return std::nullopt;
  }
  return ck.value() ? std::move(ck.value()) : stored_checkpoint{};
}

/// Where a source resumes from a stored checkpoint.
source_resume to_resume(stored_checkpoint&& ck) {
  source_resume out;
  out.checkpoint = ck.id;
  out.merger_state = std::move(ck.merger_state);
  for (const auto& po : ck.offsets)
    out.offsets[po.partition] = po.next_offset;
  return out;
}

/// How long tearing the runtime down may take once the node stopped.
constexpr auto shutdown_grace = std::chrono::seconds(10);

/// How often the node polls the merger's counters for the metrics.
constexpr auto metrics_poll_interval = std::chrono::milliseconds(500);

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void log_event(const supervisor_event& ev) {
  if (ev.kind == supervisor_event::started)
    return;
  logf(log_level::info, "supervisor " + ev.supervisor, "%s %s%s%s",
       ev.child.c_str(), to_string(ev.kind), ev.reason.empty() ? "" : ": ",
       ev.reason.c_str());
}

} // namespace

void add_node_options(option_set& opts, node_config& cfg) {
  opts.add("source",
           "where events come from: kafka (--topic on --brokers) or "
           "file:PATH, a file of JSON lines (gzip if PATH ends in .gz) read "
           "to its end, then the node exits like --drain",
           &cfg.source);
  opts.add("partitions",
           "file source: partitions the file's lines are dealt to (line k "
           "to partition k mod N), each with its own partition task",
           &cfg.partitions);
  opts.add("brokers",
           "Kafka bootstrap servers (host:port,...); with a file source "
           "optional: the dead-letter topic's broker",
           &cfg.brokers);
  opts.add("topic", "topic of request events", &cfg.topic);
  opts.add("dlq-topic", "dead-letter topic (default <topic>.dlq)",
           &cfg.dlq_topic);
  opts.add("group", "Kafka consumer group", &cfg.group);
  opts.add("db",
           "SQLite database file, or PostgreSQL URL "
           "postgresql://user[:pass]@host[:port]/dbname",
           &cfg.db);
  opts.add("http-host",
           "address of the HTTP server (health, readiness, metrics, API)",
           &cfg.http_host);
  opts.add("http-port", "port of the HTTP server (0 = any free port)",
           &cfg.http_port);
  opts.add("web-root",
           "directory of the dashboard served at / (default: the web "
           "directory next to the vigil binary)",
           &cfg.web_root);
  opts.add("console-host",
           "address of the operator console endpoint (CAF BASP has no "
           "authentication: keep it on loopback)",
           &cfg.console_host);
  opts.add("console-port",
           "port of the operator console endpoint (0 = any free port)",
           &cfg.console_port);
  opts.add("kind",
           "event kind of the topic: request, sensor, trade, or the path of "
           "an event-kind declaration (docs/event-kinds.md)",
           &cfg.kind);
  opts.add("window", "tumbling window size", &cfg.window);
  opts.add("out-of-order", "out-of-orderness bound of watermarks",
           &cfg.out_of_order);
  opts.add("lateness", "allowed lateness after a window closes", &cfg.lateness);
  opts.add("idle-timeout",
           "a partition at its end this long stops holding windows open",
           &cfg.idle_timeout);
  opts.add("checkpoint-interval", "interval between checkpoints",
           &cfg.checkpoint_interval);
  opts.add("stall-timeout",
           "a partition with lag and no progress this long is reported "
           "stalled (0 = never)",
           &cfg.stall_timeout);
  opts.add("session-timeout",
           "how long the consumer group waits for a silent member before "
           "moving its partitions (6s..30m)",
           &cfg.session_timeout);
  opts.add("max-services", "cap on distinct services tracked",
           &cfg.max_services);
  opts.add("max-event-bytes", "largest accepted event", &cfg.max_event_bytes);
  opts.add("batch-size", "records per batch handed to a partition task",
           &cfg.batch_size);
  opts.add("credit", "unacknowledged batches per partition before pausing it",
           &cfg.credit);
  opts.add("start",
           "where partitions without a checkpoint start: "
           "earliest or latest",
           &cfg.start);
  opts.add("workers", "scheduler threads (0 = one per core)", &cfg.workers);
  opts.add("drain",
           "consume to the end offsets seen at start, flush, commit, exit",
           &cfg.drain);
  opts.add("seed", "seed of the supervisors' backoff jitter", &cfg.seed);
  opts.add("role",
           "what this node runs: all (one node), ingest (source and "
           "partition tasks, sending partials to --store) or store (merger, "
           "detector, database, dashboard and the cluster's coordinator)",
           &cfg.role);
  opts.add("store", "role ingest: the store's cluster address HOST:PORT",
           &cfg.store);
  opts.add("cluster-host",
           "role store: address of the cluster endpoint (loopback unless "
           "--tls-* are set)",
           &cfg.cluster_host);
  opts.add("cluster-port", "role store: port of the cluster endpoint",
           &cfg.cluster_port);
  opts.add("node-name", "this node's name in the cluster (default host:pid)",
           &cfg.node_name);
  opts.add("tls-ca",
           "mutual TLS: PEM certificate of the cluster's CA (with "
           "--tls-cert and --tls-key; required to bind a non-loopback "
           "address)",
           &cfg.tls_ca);
  opts.add("tls-cert", "mutual TLS: this node's PEM certificate",
           &cfg.tls_cert);
  opts.add("tls-key", "mutual TLS: this node's PEM private key", &cfg.tls_key);
  opts.add("narrator-url",
           "an Ollama-compatible server http://HOST:PORT asked for a "
           "two-sentence summary of each incident (the template summary "
           "stays the default and the fallback; nothing waits for it)",
           &cfg.narrator_url);
  opts.add("narrator-model", "the model --narrator-url runs",
           &cfg.narrator_model);
  opts.add("narrator-timeout", "how long one --narrator-url summary may take",
           &cfg.narrator_timeout);
  opts.add("detector",
           "the live detector: combined (robust baseline, seasonality, "
           "spike and change-point detectors) or ewma",
           &cfg.detector);
  for (auto [prefix, m] :
       {std::pair{"error-rate", &cfg.error_rate_detection},
        std::pair{"latency", &cfg.latency_detection},
        std::pair{"request-rate", &cfg.request_rate_detection}}) {
    std::string p = prefix;
    opts.add(p + "-detectors",
             "detectors that report on " + p
                 + ": all, off, or a list of spike, level_shift, "
                   "variance_change",
             &m->detectors);
    opts.add(p + "-sensitivity",
             p + " sensitivity: 2 reports half the deviation, 0.5 twice it",
             &m->sensitivity);
    opts.add(p + "-min-history",
             "windows of a service seen before its " + p
                 + " anomalies are reported",
             &m->min_history);
  }
  opts.add("fault-task-throw-at",
           "TESTING ONLY: the partition task that receives the Nth batch of "
           "the process throws once (0 = off)",
           &cfg.fault_task_throw_at);
  opts.add("fault-task-throw-always",
           "TESTING ONLY: every partition task throws on its Nth batch, "
           "N = --fault-task-throw-at (a fault that persists)",
           &cfg.fault_task_throw_always);
  opts.add("fault-task-delay-ms",
           "TESTING ONLY: every partition task spends this long on each "
           "batch (a slow consumer, for backpressure tests)",
           &cfg.fault_task_delay_ms);
}

namespace {

/// The combined detector's settings from `cfg`; returns what is wrong or "".
std::string live_detection(const node_config& cfg, live_detection_config& out) {
  out = live_detection_config{};
  out.max_services = cfg.max_services;
  if (cfg.detector != combined_detector::name
      && cfg.detector != service_detector::name)
    return "--detector must be combined or ewma (got '" + cfg.detector + "')";
  for (auto [prefix, from, to] :
       {std::tuple{"error-rate", &cfg.error_rate_detection, &out.error_rate},
        std::tuple{"latency", &cfg.latency_detection, &out.latency},
        std::tuple{"request-rate", &cfg.request_rate_detection,
                   &out.request_rate}}) {
    std::string p = prefix;
    if (auto err = parse_detector_list(from->detectors, *to); !err.empty())
      return "--" + p + "-detectors: " + err + ", e.g. --" + p
             + "-detectors spike,level_shift";
    if (auto err
        = parse_sensitivity(from->sensitivity, to->detection.sensitivity);
        !err.empty())
      return "--" + p + "-sensitivity: " + err;
    if (from->min_history < 1 || from->min_history > 100000)
      return "--" + p + "-min-history must be in 1..100000 windows, e.g. 12";
    to->detection.min_history = from->min_history;
  }
  return "";
}

} // namespace

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]"
         || host.rfind("127.", 0) == 0;
}

std::string source_file(const node_config& cfg) {
  return cfg.source.rfind("file:", 0) == 0 ? cfg.source.substr(5)
                                           : std::string{};
}

namespace {

/// Checks --source and --partitions; returns what is wrong or "".
std::string validate_source(const node_config& cfg) {
  if (cfg.source != "kafka" && cfg.source.rfind("file:", 0) != 0)
    return "--source must be kafka or file:PATH (got '" + cfg.source
           + "'), e.g. --source file:./events.jsonl or --source "
             "file:./events.jsonl.gz";
  if (cfg.source == "kafka")
    return {};
  auto path = source_file(cfg);
  if (path.empty())
    return "--source file: needs a path, e.g. --source file:./events.jsonl";
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || ::access(path.c_str(), R_OK) != 0)
    return "cannot read the file of --source file:" + path + ": "
           + std::strerror(errno)
           + "; check the path (relative paths start at the current "
             "directory) and its permissions";
  if (S_ISDIR(st.st_mode))
    return "--source file:" + path
           + " is a directory; give a file of JSON lines (one event per "
             "line, .gz for gzip)";
  if (cfg.role != "all")
    return "--source file: runs on a single node (--role all), not with "
           "--role "
           + cfg.role;
  if (cfg.partitions < 1 || cfg.partitions > 1024)
    return "--partitions must be in 1..1024 (got "
           + std::to_string(cfg.partitions) + "), e.g. --partitions 4";
  return {};
}

} // namespace

std::string validate(const node_config& cfg) {
  if (auto err = validate_source(cfg); !err.empty())
    return err;
  const bool file = !source_file(cfg).empty();
  if (cfg.role != "all" && cfg.role != "ingest" && cfg.role != "store")
    return "--role must be all, ingest or store (got '" + cfg.role + "')";
  int tls_parts
      = !cfg.tls_ca.empty() + !cfg.tls_cert.empty() + !cfg.tls_key.empty();
  if (tls_parts != 0 && tls_parts != 3)
    return "mutual TLS needs all of --tls-ca, --tls-cert and --tls-key "
           "(docs/deploy.md, \"Cluster certificates\", shows how to make "
           "them)";
  for (const auto* f : {&cfg.tls_ca, &cfg.tls_cert, &cfg.tls_key})
    if (!f->empty() && ::access(f->c_str(), R_OK) != 0)
      return "cannot read TLS file " + *f + ": " + std::strerror(errno);
  if (tls_parts == 0) {
    // CAF's BASP has no authentication of its own.
    if (cfg.role == "store" && !is_loopback(cfg.cluster_host))
      return "refusing to serve the cluster endpoint on " + cfg.cluster_host
             + " without mutual TLS: anyone reaching it could join the "
               "cluster; pass --tls-ca, --tls-cert and --tls-key, or keep "
               "--cluster-host 127.0.0.1";
    if (!is_loopback(cfg.console_host))
      return "refusing to serve the console on " + cfg.console_host
             + " without mutual TLS: anyone reaching it could steer the "
               "node; pass --tls-ca, --tls-cert and --tls-key, or keep "
               "--console-host 127.0.0.1";
  }
  if (cfg.role == "ingest") {
    auto colon = cfg.store.rfind(':');
    bool ok = colon != std::string::npos && colon > 0
              && colon + 1 < cfg.store.size()
              && cfg.store.find_first_not_of("0123456789", colon + 1)
                     == std::string::npos
              && cfg.store.size() - colon - 1 <= 5
              && std::stoul(cfg.store.substr(colon + 1)) >= 1
              && std::stoul(cfg.store.substr(colon + 1)) <= 65535;
    if (!ok)
      return "role ingest needs --store HOST:PORT, the store's "
             "--cluster-host and --cluster-port (got '"
             + cfg.store + "')";
  } else if (!cfg.store.empty()) {
    return "--store is for role ingest (this node's --role is " + cfg.role
           + ")";
  }
  if (cfg.cluster_port == 0 || cfg.cluster_port > 65535)
    return "--cluster-port must be in 1..65535";
  if (cfg.brokers.empty() && !file)
    return "no Kafka brokers: pass --brokers HOST:PORT (or set "
           "VIGIL_BROKERS); for a local broker run 'vigil broker'";
  if (cfg.topic.empty())
    return "empty --topic: name the topic of request events";
  if (cfg.db.empty())
    return "empty --db: give a database file such as ./data/vigil.db";
  if (auto err = db_setting_error(cfg.db); !err.empty())
    return err;
  if (auto kind = load_kind_schema(cfg.kind); !kind)
    return "--kind: " + kind.error();
  else if (!kind->is_request() && cfg.role != "all")
    return "--kind " + cfg.kind
           + " runs on a single node (--role all) in this version; the "
             "cluster roles process request events";
  if (cfg.window.count() <= 0)
    return "--window must be positive, e.g. --window 10s";
  if (cfg.checkpoint_interval.count() <= 0)
    return "--checkpoint-interval must be positive, e.g. 1s";
  if (!cfg.narrator_url.empty()) {
    std::string host;
    int port = 0;
    std::string error;
    if (!parse_llm_url(cfg.narrator_url, host, port, error))
      return error + ", e.g. --narrator-url http://127.0.0.1:11434";
    if (cfg.narrator_model.empty())
      return "empty --narrator-model: name the model the server runs";
    if (cfg.narrator_timeout.count() <= 0)
      return "--narrator-timeout must be positive, e.g. 5s";
  }
  {
    live_detection_config live;
    if (auto err = live_detection(cfg, live); !err.empty())
      return err;
  }
  if (cfg.stall_timeout.count() < 0)
    return "--stall-timeout must be 0 (off) or positive, e.g. 30s";
  if (cfg.session_timeout < std::chrono::seconds(6)
      || cfg.session_timeout > std::chrono::minutes(30))
    return "--session-timeout must be between 6s and 30m (Kafka brokers "
           "refuse others by default), e.g. --session-timeout 10s";
  if (cfg.batch_size == 0 || cfg.credit == 0)
    return "--batch-size and --credit must be at least 1";
  if (cfg.max_services == 0)
    return "--max-services must be at least 1";
  if (cfg.http_host.empty())
    return "empty --http-host: give an address such as 127.0.0.1";
  if (cfg.http_port > 65535)
    return "--http-port must be in 0..65535 (0 = any free port)";
  if (cfg.console_host.empty())
    return "empty --console-host: give an address such as 127.0.0.1";
  if (cfg.console_port > 65535)
    return "--console-port must be in 0..65535 (0 = any free port)";
  if (cfg.start != "earliest" && cfg.start != "latest")
    return "--start must be 'earliest' or 'latest' (got '" + cfg.start + "')";
  return {};
}

std::string default_web_root() {
  auto dir = executable_dir();
  if (dir.empty())
    return {};
  auto web = dir + "/web";
  struct stat st {};
  if (::stat(web.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return {};
  return web;
}

namespace {

// -- the supervision tree -----------------------------------------------------

/// What the children of a node's supervision tree share.
struct node_parts {
  node_config cfg;
  /// The dead-letter topic.
  std::string dlq_topic;
  /// Settings of every partition task.
  partition_processor_config processor;
  std::shared_ptr<metric_factory> metrics;
  /// Published by the source for the HTTP handlers and the metrics poll.
  std::shared_ptr<source_status> source;
  /// Where the source reports `drained`: the node's receive loop.
  caf::actor listener;
  /// The language-model helper of the narrator (null without
  /// --narrator-url).
  caf::actor llm;
};

/// Settings of every partition task.
partition_processor_config processor_config(const node_config& cfg) {
  partition_processor_config proc;
  proc.window_ms = cfg.window.count();
  proc.lateness_ms = cfg.lateness.count();
  proc.limits.max_bytes = cfg.max_event_bytes;
  proc.max_services = cfg.max_services;
  proc.kind = cfg.schema;
  proc.fault_throw_at = cfg.fault_task_throw_at;
  proc.fault_always = cfg.fault_task_throw_always;
  proc.fault_delay = std::chrono::milliseconds(cfg.fault_task_delay_ms);
  // An ingest node sends its partials over the network to the store: it
  // combines up to half the credit of batches per message (the other half
  // keeps the partition fetching while they wait), so that the store
  // deserializes and merges one sketch per service and window per several
  // batches instead of one per batch.
  if (cfg.role == "ingest")
    proc.coalesce_batches
        = std::max<uint32_t>(1, static_cast<uint32_t>(cfg.credit / 2));
  return proc;
}

child_spec dlq_child(const node_parts& p) {
  return registered("dlq", [p](caf::actor_system& sys) {
    auto file = source_file(p.cfg);
    if (!file.empty() && p.cfg.brokers.empty()) {
      // No broker for a dead-letter topic: a file next to the input.
      dead_letter_file_config fs;
      fs.path = file + ".dead.jsonl";
      fs.partitions = static_cast<int32_t>(p.cfg.partitions);
      fs.metrics = p.metrics;
      std::string err;
      if (auto ck = load_checkpoint(p.cfg, err))
        fs.replay_from = ck->offsets;
      return spawn_dead_letter_file_actor(sys, std::move(fs));
    }
    dlq_producer_config ds;
    ds.brokers = p.cfg.brokers;
    ds.topic = p.dlq_topic;
    ds.metrics = p.metrics;
    std::string err;
    if (auto ck = load_checkpoint(p.cfg, err))
      ds.replay_from = ck->offsets;
    if (auto ck = load_checkpoint(p.cfg, err, p.dlq_topic))
      ds.positions = ck->offsets;
    return spawn_dlq_producer_actor(sys, std::move(ds));
  });
}

child_spec db_writer_child(const node_parts& p) {
  return registered("db_writer", [p](caf::actor_system& sys) {
    db_writer_config wc;
    wc.metrics = p.metrics;
    wc.path = p.cfg.db;
    wc.topic = p.cfg.topic;
    wc.kind = p.cfg.schema;
    wc.seed = p.cfg.seed;
    wc.dead_letters = [&sys] { return lookup(sys, "dlq"); };
    wc.dlq_topic = p.dlq_topic;
    return spawn_db_writer_actor(sys, std::move(wc));
  });
}

child_spec narrator_child(const node_parts& p) {
  return registered("narrator",
                    [cfg = p.cfg, llm = p.llm](caf::actor_system& sys) {
                      std::string err;
                      auto ck = load_checkpoint(cfg, err);
                      narrator_actor_config nc;
                      nc.settings.max_services = cfg.max_services;
                      if (ck) {
                        nc.restore_state = ck->narrator_state;
                        // Without a usable state, new incidents never reuse a
                        // stored id.
                        nc.settings.first_id = ck->last_incident_id + 1;
                      }
                      nc.db_writer = lookup(sys, "db_writer");
                      nc.llm = llm;
                      nc.llm_timeout = cfg.narrator_timeout;
                      return spawn_narrator_actor(sys, std::move(nc));
                    });
}

child_spec detector_child(const node_parts& p) {
  return registered("detector", [cfg = p.cfg](caf::actor_system& sys) {
    std::string err;
    auto ck = load_checkpoint(cfg, err);
    detector_actor_config dc;
    dc.detector = cfg.detector;
    dc.kind = cfg.schema;
    live_detection(cfg, dc.live); // validated at start
    dc.settings.max_services = cfg.max_services;
    if (ck)
      dc.restore_state = ck->detector_state;
    if (!cfg.schema)
      dc.stored_windows
          = [db = cfg.db, window_ms = cfg.window.count(),
             live = dc.live](size_t services, std::string& error) {
              auto rows = read_replay_windows(db, window_ms,
                                              live.replay_span(services));
              if (!rows) {
                error = rows.error().message;
                return std::vector<window_row>{};
              }
              return std::move(rows.value());
            };
    dc.downstream = lookup(sys, "narrator");
    return spawn_detector_actor(sys, std::move(dc));
  });
}

child_spec merger_child(const node_parts& p) {
  return registered("merger", [cfg = p.cfg](caf::actor_system& sys) {
    std::string err;
    auto ck = load_checkpoint(cfg, err);
    window_merger_actor_config ms;
    ms.windows.window_ms = cfg.window.count();
    ms.windows.bound_ms = cfg.out_of_order.count();
    ms.windows.lateness_ms = cfg.lateness.count();
    ms.windows.idle_timeout = cfg.idle_timeout;
    ms.windows.max_keys = cfg.max_services;
    ms.windows.kind = cfg.schema;
    if (ck) {
      ms.restore_state = ck->merger_state;
      ms.last_checkpoint = ck->id;
    }
    return spawn_window_merger_actor(sys, std::move(ms),
                                     lookup(sys, "detector"));
  });
}

/// How an ingest node reaches the store's published gateway.
caf::expected<caf::actor> connect_store(caf::actor_system& sys,
                                        const std::string& host, uint16_t port,
                                        bool tls) {
  if (tls)
    return caf::openssl::remote_actor(sys, host, port);
  return sys.middleman().remote_actor(host, port);
}

std::string default_node_name() {
  std::array<char, 256> host{};
  ::gethostname(host.data(), host.size() - 1);
  return std::string{host.data()} + ":" + std::to_string(::getpid());
}

child_spec source_child(const node_parts& p) {
  return registered("source", [p](caf::actor_system& sys) {
    const auto& cfg = p.cfg;
    const bool ingest = cfg.role == "ingest";
    std::string err;
    // An ingest node has no database: the store names the offsets.
    auto ck = ingest ? std::optional<stored_checkpoint>{}
                     : load_checkpoint(cfg, err);
    auto make_task = [&sys, proc = p.processor](int32_t partition,
                                                const caf::actor& merger,
                                                const caf::actor& dlq) {
      return spawn_partition_task_actor(sys, partition, proc, merger, dlq);
    };
    if (auto file = source_file(cfg); !file.empty()) {
      file_source_config fs;
      fs.path = file;
      fs.partitions = static_cast<int32_t>(cfg.partitions);
      fs.max_batch = cfg.batch_size;
      fs.credit = static_cast<uint32_t>(cfg.credit);
      fs.checkpoint_interval = cfg.checkpoint_interval;
      fs.metrics = p.metrics;
      fs.status = p.source;
      if (ck)
        fs.resume = to_resume(std::move(*ck));
      return spawn_file_source_actor(sys, std::move(fs), lookup(sys, "merger"),
                                     lookup(sys, "dlq"), std::move(make_task),
                                     p.listener);
    }
    kafka_source_config ss;
    ss.brokers = cfg.brokers;
    ss.topic = cfg.topic;
    ss.group = cfg.group;
    ss.drain = cfg.drain;
    ss.max_batch = cfg.batch_size;
    ss.credit = static_cast<uint32_t>(cfg.credit);
    ss.checkpoint_interval = cfg.checkpoint_interval;
    ss.stall_timeout = cfg.stall_timeout;
    // A restarted source rejoins the group as a new member; the group
    // hands out partitions once the old member is gone, at the latest
    // after the session timeout (librdkafka's default is 45 s).
    const auto session_ms = cfg.session_timeout.count();
    ss.kafka["session.timeout.ms"] = std::to_string(session_ms);
    ss.kafka["heartbeat.interval.ms"]
        = std::to_string(std::min<int64_t>(3000, session_ms / 3));
    ss.metrics = p.metrics;
    ss.status = p.source;
    ss.start = cfg.start == "latest" ? start_position::latest
                                     : start_position::earliest;
    if (ck)
      ss.resume = to_resume(std::move(*ck));
    if (ingest) {
      ss.store = cfg.store;
      ss.node_name
          = cfg.node_name.empty() ? default_node_name() : cfg.node_name;
      ss.connect_store = [tls = !cfg.tls_ca.empty()](caf::actor_system& sys,
                                                     const std::string& host,
                                                     uint16_t port) {
        return connect_store(sys, host, port, tls);
      };
    } else {
      ss.reload = [cfg](source_resume& out, std::string& error) {
        auto latest = load_checkpoint(cfg, error);
        if (latest)
          out = to_resume(std::move(*latest));
        return latest.has_value();
      };
    }
    auto merger = ingest ? caf::actor{} : lookup(sys, "merger");
    auto dlq = ingest ? caf::actor{} : lookup(sys, "dlq");
    return spawn_kafka_source_actor(sys, std::move(ss), merger, dlq,
                                    std::move(make_task), p.listener);
  });
}

child_spec coordinator_child(const node_parts& p) {
  return registered("coord", [p](caf::actor_system& sys) {
    coordinator_config cc;
    cc.checkpoint_interval = p.cfg.checkpoint_interval;
    cc.drain = p.cfg.drain;
    cc.metrics = p.metrics;
    cc.status = p.source;
    cc.reload = [cfg = p.cfg](source_resume& out, std::string& error) {
      auto latest = load_checkpoint(cfg, error);
      if (latest)
        out = to_resume(std::move(*latest));
      return latest.has_value();
    };
    cc.merger = [&sys] { return lookup(sys, "merger"); };
    cc.dead_letters = [&sys] { return lookup(sys, "dlq"); };
    return spawn_coordinator_actor(sys, std::move(cc), p.listener);
  });
}

/// The supervision tree of a node. Every child is permanent and registered
/// under its name, where its siblings look it up when they (re)start. The
/// children start in this order, the sink first and the source last, so
/// that each stage's downstream runs before anything sends to it.
supervisor_spec node_tree(const node_parts& p,
                          std::shared_ptr<supervisor_history> history) {
  supervisor_spec root;
  root.name = "node";
  // A failed child restarts together with every child started after it,
  // i.e. with every stage upstream of it: all of them resume from the same
  // durable checkpoint, so nothing is counted twice or lost.
  root.strategy = restart_strategy::rest_for_one;
  root.seed = p.cfg.seed;
  root.on_event = [metrics = p.metrics, history](const supervisor_event& ev) {
    log_event(ev);
    history->record(ev, wall_ms());
    // Runs in the supervisor's thread; prometheus counters are atomic.
    if (ev.kind == supervisor_event::restarted)
      metrics->actor_restarts(ev.child).Increment();
  };
  if (p.cfg.role == "ingest") {
    // The store holds everything durable: the source alone, restarted
    // with backoff, joins the store's next generation.
    root.children = {source_child(p)};
    return root;
  }
  root.children = {
      // First: when it restarts, so does everything after it, and no
      // checkpoint whose dead letters it held is committed by the writer.
      dlq_child(p),
      db_writer_child(p),
      // Between the writer and the detector: its restart restarts the
      // detector (which sends to it) and everything upstream with it.
      narrator_child(p),
      detector_child(p),
      merger_child(p),
      // Last, so restarted alone: it rolls the merger back to the checkpoint
      // it resumes from (in a store, the coordinator does, at every new
      // generation of the cluster).
      p.cfg.role == "store" ? coordinator_child(p) : source_child(p),
  };
  return root;
}

// -- assembly -----------------------------------------------------------------

/// Starts the HTTP server with the node's routes and says where it serves.
std::unique_ptr<http_server>
start_http(const node_config& cfg, std::shared_ptr<metric_factory> metrics,
           std::shared_ptr<node_http_context> ctx) {
  http_options http_opts;
  http_opts.metrics = [metrics] { return metrics->serialize(); };
  http_opts.static_dir
      = cfg.web_root.empty() ? default_web_root() : cfg.web_root;
  auto http_opts_dir = http_opts.static_dir;
  auto http
      = http_server::start(cfg.http_host, static_cast<uint16_t>(cfg.http_port),
                           std::move(http_opts));
  if (!http) {
    logf(log_level::error, "vigil run", "%s", http.error().c_str());
    return nullptr;
  }
  install_node_routes(*http.value(), std::move(ctx));
  logf(log_level::info, "vigil", "http on http://%s:%u",
       http.value()->host().c_str(),
       static_cast<unsigned>(http.value()->port()));
  if (http_opts_dir.empty())
    logf(log_level::info, "vigil",
         "no dashboard: %s/web is missing (build the vigil_web target or pass "
         "--web-root DIR)",
         executable_dir().c_str());
  else
    logf(log_level::info, "vigil", "dashboard on http://%s:%u/ from %s",
         http.value()->host().c_str(),
         static_cast<unsigned>(http.value()->port()), http_opts_dir.c_str());
  return std::move(http.value());
}

/// The actor system's settings: vigil's messages and errors, the network
/// (for the console) and the scheduler's threads.
void configure_actor_system(caf::actor_system_config& sys_cfg,
                            const node_config& cfg) {
  sys_cfg.add_message_types<caf::id_block::vigil>();
  add_error_category(sys_cfg);
  sys_cfg.load<caf::io::middleman>();
  if (!cfg.tls_ca.empty()) {
    // Mutual TLS: peers must present a certificate signed by the CA.
    sys_cfg.load<caf::openssl::manager>();
    sys_cfg.openssl_cafile = cfg.tls_ca;
    sys_cfg.openssl_certificate = cfg.tls_cert;
    sys_cfg.openssl_key = cfg.tls_key;
  }
  // A frozen peer (SIGSTOP, a partitioned host) sends no heartbeat: its
  // connection is closed after the timeout, and its actors are down.
  set_network_heartbeat(sys_cfg);
  if (cfg.workers > 0)
    sys_cfg.set("scheduler.max-threads", static_cast<size_t>(cfg.workers));
  // An idle CAF worker polls its queue 100 times, then 500 times 50 us
  // apart (25 ms of sleeps and wake-ups) before it waits on its condition
  // variable, where an enqueue wakes it. A node's actors get work in bursts
  // (a poll round, a partial batch, a timer), so most of that polling found
  // nothing: 10 moderate attempts (0.5 ms) halved a single node's CPU per
  // event (2.44 -> 1.20 s per 1M events) and cut an idle store's CPU 6-fold
  // (docs/performance.md, "Cluster"), at the same drain time.
  sys_cfg.set("work-stealing.moderate-poll-attempts", size_t{10});
  sys_cfg.set("logger.console", caf::atom("none"));
}

/// Spawns the console and publishes it; an invalid handle if it cannot
/// listen (the reason is logged).
caf::actor start_console(caf::actor_system& sys, const node_config& cfg,
                         const std::atomic<bool>& stop,
                         std::shared_ptr<node_http_context> node,
                         std::shared_ptr<supervisor_history> history,
                         const stored_checkpoint& initial) {
  console_context console_ctx;
  console_ctx.identity
      = "pid " + std::to_string(::getpid()) + ", topic " + cfg.topic
        + ", group " + cfg.group
        + (cfg.role == "ingest"
               ? ", role ingest, store " + cfg.store
               : ", db " + redact_db_url(cfg.db)
                     + (cfg.role == "store" ? ", role store" : std::string{}));
  console_ctx.started_ms = wall_ms();
  console_ctx.drain = cfg.drain;
  console_ctx.stop = &stop;
  console_ctx.db = cfg.role == "ingest" ? std::string{} : cfg.db;
  console_ctx.topic = cfg.topic;
  console_ctx.max_services = cfg.max_services;
  console_ctx.node = std::move(node);
  console_ctx.history = std::move(history);
  console_ctx.initial_checkpoint = initial.id;
  console_ctx.initial_checkpoint_ms = initial.created_at;
  auto console = spawn_console_actor(sys, std::move(console_ctx));
  auto console_port = publish_console(sys, console, cfg.console_host,
                                      static_cast<uint16_t>(cfg.console_port),
                                      !cfg.tls_ca.empty());
  if (!console_port) {
    logf(log_level::error, "vigil run", "%s", console_port.error().c_str());
    caf::anon_send_exit(console, caf::exit_reason::user_shutdown);
    return {};
  }
  logf(log_level::info, "vigil",
       "console on %s:%u (vigil console --connect %s:%u)",
       cfg.console_host.c_str(), static_cast<unsigned>(*console_port),
       cfg.console_host.c_str(), static_cast<unsigned>(*console_port));
  return console;
}

/// Prints the drain summary line that `vigil run --drain` ends with.
void print_drain_summary(const pipeline_stats& st, uint64_t checkpoint,
                         double secs, double store_secs,
                         const source_status& source) {
  uint64_t invalid = 0;
  for (size_t i = 0; i < st.invalid.size(); ++i)
    if (i != static_cast<size_t>(invalid_reason::too_late))
      invalid += st.invalid[i];
  auto late_idx = static_cast<size_t>(invalid_reason::too_late);
  uint64_t too_late = st.invalid.size() > late_idx ? st.invalid[late_idx] : 0;
  std::printf("drained: events=%llu windows=%llu invalid=%llu "
              "late=%llu too_late=%llu repaired=%llu reorderings=%llu "
              "checkpoint=%llu seconds=%.2f events/s=%.0f "
              "peak_rss_mb=%.0f credit_pauses=%llu peak_in_flight=%llu "
              "store_seconds=%.3f\n",
              static_cast<unsigned long long>(st.events),
              static_cast<unsigned long long>(st.windows),
              static_cast<unsigned long long>(invalid),
              static_cast<unsigned long long>(st.late_accepted),
              static_cast<unsigned long long>(too_late),
              static_cast<unsigned long long>(st.repaired),
              static_cast<unsigned long long>(st.reorderings),
              static_cast<unsigned long long>(checkpoint), secs,
              secs > 0 ? static_cast<double>(st.events) / secs : 0.0,
              peak_rss_mb(),
              static_cast<unsigned long long>(source.credit_pauses.load()),
              static_cast<unsigned long long>(source.peak_in_flight.load()),
              store_secs);
  std::fflush(stdout);
}

/// The node's own loop while the tree runs: polls the merger's counters for
/// the metrics, turns the first stop signal into a graceful stop, prints the
/// drain summary and waits for the tree to terminate.
class node_loop {
public:
  node_loop(caf::actor_system& sys, caf::scoped_actor& self,
            const std::atomic<bool>& stop, node_parts& parts,
            std::shared_ptr<node_http_context> ctx, int64_t initial_ms)
      : sys_(sys), self_(self), stop_(stop), parts_(parts),
        ctx_(std::move(ctx)), pipeline_(parts.metrics),
        initial_checkpoint_ms_(initial_ms) {
    // nop
  }

  /// Runs until `tree` terminated; returns the exit code of the node.
  int run(const caf::actor& tree) {
    tree_ = tree;
    started_ = std::chrono::steady_clock::now();
    last_poll_ = started_;
    self_->monitor(tree_);
    while (!done_) {
      self_->receive(
          [&](atom::drained, uint64_t checkpoint) { on_drained(checkpoint); },
          [&](caf::down_msg& down) { on_down(down); },
          caf::after(std::chrono::milliseconds(100)) >> [&] { on_idle(); });
    }
    return rc_;
  }

private:
  void on_drained(uint64_t checkpoint) {
    if (parts_.cfg.role == "ingest") {
      // The store holds the results; it reports the drain.
      logf(log_level::info, "vigil",
           graceful_ ? "stopped (the store replays what this node read "
                       "after checkpoint %llu)"
                     : "the cluster drained the topic (checkpoint %llu)",
           static_cast<unsigned long long>(checkpoint));
      stop_tree();
      return;
    }
    if (graceful_) {
      // A graceful stop: everything read is durable in `checkpoint`.
      self_
          ->request(lookup(sys_, "dlq"), std::chrono::seconds(30),
                    atom::flush_v)
          .receive([&](uint64_t) {}, [&](caf::error&) {});
      logf(log_level::info, "vigil", "stopped cleanly at checkpoint %llu",
           static_cast<unsigned long long>(checkpoint));
      stop_tree();
      return;
    }
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now()
                                              - started_)
                    .count();
    pipeline_stats st;
    self_
        ->request(lookup(sys_, "merger"), std::chrono::seconds(10),
                  atom::stats_v)
        .receive([&](pipeline_stats& x) { st = std::move(x); },
                 [&](caf::error&) {});
    self_->request(lookup(sys_, "dlq"), std::chrono::seconds(30), atom::flush_v)
        .receive([&](uint64_t) {},
                 [&](caf::error& err) {
                   logf(log_level::error, "vigil",
                        "dead-letter flush failed: %s",
                        caf::to_string(err).c_str());
                   rc_ = 1;
                 });
    // The writer has committed the last checkpoint by now (it was durable).
    db_writer_stats writer;
    self_
        ->request(lookup(sys_, "db_writer"), std::chrono::seconds(10),
                  atom::stats_v)
        .receive([&](db_writer_stats& x) { writer = x; }, [&](caf::error&) {});
    print_drain_summary(st, checkpoint, secs, writer.commit_seconds,
                        *parts_.source);
    stop_tree();
  }

  void on_down(const caf::down_msg& down) {
    if (!stopping_ && down.reason) {
      logf(log_level::error, "vigil", "node stopped: %s",
           sys_.render(down.reason).c_str());
      rc_ = 1;
    }
    done_ = true;
  }

  void on_idle() {
    auto now = std::chrono::steady_clock::now();
    if (!stopping_ && now - last_poll_ >= metrics_poll_interval) {
      last_poll_ = now;
      poll_metrics();
    }
    if (stop_.load() && !stopping_ && !graceful_) {
      // First SIGINT/SIGTERM: stop reading and finish a checkpoint (a
      // second signal ends the process at once; recovery covers that too).
      log(log_level::info, "vigil",
          "stopping: finishing the checkpoint in flight");
      graceful_ = true;
      graceful_since_ = now;
      if (auto source = lookup(sys_, "source"))
        self_->send(source, atom::shutdown_v);
      else
        graceful_since_ = now - graceful_timeout;
    }
    if (graceful_ && !stopping_ && now - graceful_since_ >= graceful_timeout) {
      log(log_level::info, "vigil",
          "stopping without a final checkpoint (none became durable in time; "
          "the next start replays from the last one)");
      stop_tree();
    }
  }

  void poll_metrics() {
    if (auto coord = lookup(sys_, "coord")) {
      self_->request(coord, std::chrono::milliseconds(200), atom::nodes_v)
          .receive(
              [&](cluster_view& view) {
                std::lock_guard<std::mutex> guard{ctx_->mtx};
                ctx_->cluster = std::move(view);
                ctx_->have_cluster = true;
              },
              [&](caf::error&) {});
    }
    if (auto merger = lookup(sys_, "merger")) {
      self_->request(merger, std::chrono::milliseconds(200), atom::stats_v)
          .receive(
              [&](pipeline_stats& st) {
                pipeline_.update(st, wall_ms());
                std::lock_guard<std::mutex> guard{ctx_->mtx};
                ctx_->pipeline = std::move(st);
                ctx_->have_pipeline = true;
              },
              [&](caf::error&) {
                // A restarting or busy merger: the next poll catches up.
              });
    }
    // Before the first durable checkpoint of this run, its age counts from
    // the loaded one (or from the start of the node).
    auto durable = parts_.source->last_durable_ms.load();
    auto since = durable != 0 ? durable : initial_checkpoint_ms_;
    parts_.metrics->checkpoint_age().Set(
        static_cast<double>(std::max<int64_t>(0, wall_ms() - since)) / 1000.0);
  }

  void stop_tree() {
    self_->send_exit(tree_, caf::exit_reason::user_shutdown);
    stopping_ = true;
  }

  static constexpr auto graceful_timeout = std::chrono::seconds(30);

  caf::actor_system& sys_;
  caf::scoped_actor& self_;
  const std::atomic<bool>& stop_;
  node_parts& parts_;
  std::shared_ptr<node_http_context> ctx_;
  pipeline_metrics pipeline_;
  int64_t initial_checkpoint_ms_;
  caf::actor tree_;
  std::chrono::steady_clock::time_point started_;
  std::chrono::steady_clock::time_point last_poll_;
  std::chrono::steady_clock::time_point graceful_since_;
  int rc_ = 0;
  bool done_ = false;
  bool stopping_ = false;
  bool graceful_ = false;
};

} // namespace

int run_node(const node_config& given, const std::atomic<bool>& stop) {
  if (auto err = validate(given); !err.empty()) {
    logf(log_level::error, "vigil run", "%s", err.c_str());
    return 2;
  }
  node_config cfg = given;
  if (auto kind = load_kind_schema(cfg.kind); kind && !kind->is_request())
    cfg.schema = std::make_shared<const kind_schema>(std::move(kind.value()));
  if (auto file = source_file(given); !file.empty()) {
    // A file is read to its end; its checkpoints store the offsets of its
    // virtual partitions under the file's own key instead of the topic's.
    cfg.drain = true;
    cfg.topic = file_source_key(file);
  }
  std::string error;
  const bool ingest = cfg.role == "ingest";
  auto initial = ingest ? std::optional<stored_checkpoint>{stored_checkpoint{}}
                        : load_checkpoint(cfg, error);
  if (!initial && names_newer_schema(error)) {
    logf(log_level::error, "vigil run", "cannot open database %s: %s",
         redact_db_url(cfg.db).c_str(), error.c_str());
    return 1;
  }
  if (!initial && is_postgres_url(cfg.db)) {
    // The error names the part of the --db URL to fix.
    logf(log_level::error, "vigil run", "cannot open database %s: %s",
         redact_db_url(cfg.db).c_str(), error.c_str());
    return 1;
  }
  if (!initial) {
    logf(log_level::error, "vigil run",
         "cannot open database %s: %s\n  check that its directory is writable "
         "and that no other vigil node writes to it ('vigil doctor' tells "
         "which process holds it)",
         cfg.db.c_str(), error.c_str());
    return 1;
  }
  // Declared before everything it guards: destroyed after them.
  exit_watchdog watchdog;
  node_parts parts;
  parts.cfg = cfg;
  parts.dlq_topic
      = given.dlq_topic.empty() ? given.topic + ".dlq" : given.dlq_topic;
  parts.processor = processor_config(cfg);
  parts.metrics = cfg.metrics
                      ? cfg.metrics
                      : std::make_shared<metric_factory>(node_label_sets());
  parts.source = std::make_shared<source_status>();
  auto ctx = std::make_shared<node_http_context>();
  ctx->brokers = cfg.brokers;
  ctx->db = ingest ? std::string{} : cfg.db;
  ctx->role = cfg.role;
  ctx->schema = cfg.schema;
  ctx->metrics = parts.metrics;
  ctx->source = parts.source;
  auto http = start_http(cfg, parts.metrics, ctx);
  if (!http)
    return 1;
  if (initial->id != 0)
    logf(log_level::info, "vigil",
         "resuming from checkpoint %llu (%zu partitions)",
         static_cast<unsigned long long>(initial->id), initial->offsets.size());
  caf::actor_system_config sys_cfg;
  configure_actor_system(sys_cfg, cfg);
  caf::actor_system sys{sys_cfg};
  // Stops the network before `sys` goes, on every return below (after the
  // exit watchdog is armed on the normal one).
  network_stopper stopper{sys};
  caf::scoped_actor self{sys};
  parts.listener = caf::actor{self};
  auto history = std::make_shared<supervisor_history>();
  auto console = start_console(sys, cfg, stop, ctx, history, *initial);
  if (!console)
    return 1;
  caf::actor gateway;
  if (cfg.role == "store") {
    gateway = spawn_cluster_gateway_actor(sys);
    auto port = static_cast<uint16_t>(cfg.cluster_port);
    auto bound = cfg.tls_ca.empty()
                     ? sys.middleman().publish(gateway, port,
                                               cfg.cluster_host.c_str(), true)
                     : caf::openssl::publish(gateway, port,
                                             cfg.cluster_host.c_str(), true);
    if (!bound) {
      logf(log_level::error, "vigil run",
           "cannot serve the cluster endpoint on %s:%u: %s (another process "
           "may hold the port: choose another with --cluster-port N)",
           cfg.cluster_host.c_str(), static_cast<unsigned>(port),
           sys.render(bound.error()).c_str());
      caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
      caf::anon_send_exit(console, caf::exit_reason::user_shutdown);
      return 1;
    }
    logf(log_level::info, "vigil",
         "cluster endpoint on %s:%u%s (ingest "
         "nodes: vigil run --role ingest --store %s:%u)",
         cfg.cluster_host.c_str(), static_cast<unsigned>(*bound),
         cfg.tls_ca.empty() ? "" : " with mutual TLS", cfg.cluster_host.c_str(),
         static_cast<unsigned>(*bound));
  }
  // Before the first durable checkpoint of this run, the checkpoint age
  // counts from the loaded one (or from the start of the node).
  auto initial_ms = initial->id != 0 ? initial->created_at : wall_ms();
  if (!cfg.narrator_url.empty() && !ingest) {
    llm_config lc;
    lc.url = cfg.narrator_url;
    lc.model = cfg.narrator_model;
    lc.timeout = cfg.narrator_timeout;
    parts.llm = spawn_llm_narrator_actor(sys, lc);
    logf(log_level::info, "vigil",
         "narrator asks %s (model %s) for incident summaries; the template "
         "summary stays when it does not answer within %lld ms",
         cfg.narrator_url.c_str(), cfg.narrator_model.c_str(),
         static_cast<long long>(cfg.narrator_timeout.count()));
  }
  node_loop loop{sys, self, stop, parts, ctx, initial_ms};
  auto tree = spawn_supervisor_actor(sys, node_tree(parts, history));
  sys.registry().put(registry_key(console_tree_name),
                     caf::actor_cast<caf::strong_actor_ptr>(tree));
  auto rc = loop.run(tree);
  // The registry holds strong references; detached actors (the source) only
  // release their thread once nothing refers to them.
  for (const auto* name : {"dlq", "db_writer", "narrator", "detector", "merger",
                           "source", "coord"})
    sys.registry().erase(registry_key(name));
  sys.registry().erase(registry_key(console_tree_name));
  self->send_exit(console, caf::exit_reason::user_shutdown);
  if (parts.llm)
    self->send_exit(parts.llm, caf::exit_reason::user_shutdown);
  if (gateway)
    self->send_exit(gateway, caf::exit_reason::user_shutdown);
  // Everything the node read is durable or replayed by the next start: the
  // teardown below (actor system, network, HTTP server, Kafka clients) must
  // not keep the process alive past a supervisor's stop timeout.
  watchdog.arm(shutdown_grace, rc,
               "the runtime's shutdown after the node stopped");
  return rc;
}

} // namespace vigil
