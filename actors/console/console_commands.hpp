#pragma once

// The operator console's language: parsing a command line and rendering the
// answers as aligned plain-text tables. No actors and no I/O: the console
// endpoint gathers the data and calls these functions.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "actors/messages.hpp"
#include "actors/node/kind_view.hpp"
#include "runtime/expected.hpp"
#include "runtime/supervisor_history.hpp"

namespace vigil {

struct supervisor_event;

/// One parsed console command.
struct console_command {
  /// What the operator asked for.
  enum kind_t {
    /// The command reference.
    help,
    /// Uptime, mode, checkpoint, counters, supervised children.
    status,
    /// Read position, lag and checkpointed offset per assigned partition.
    partitions,
    /// Latest window per service.
    services,
    /// Latest anomalies, optionally of one service.
    anomalies,
    /// Open incidents, then the newest resolved ones.
    incidents,
    /// History of supervisor events (failures, restarts, escalations).
    restarts,
    /// Stored checkpoints and their offsets.
    checkpoint,
    /// Hold consumption: the source stops fetching, keeps its partitions.
    pause,
    /// End the hold.
    resume,
    /// The cluster's nodes (on a store).
    nodes,
  };
  /// The command.
  kind_t kind = help;
  /// `anomalies`: only this service ("" = every service).
  std::string service;
  /// `anomalies`, `incidents` and `restarts`: most rows shown.
  int64_t limit = 20;
};

/// Largest row count a command accepts.
constexpr int64_t console_max_limit = 1000;

/// Parses one command line ("anomalies checkout 5"); the error names what is
/// wrong and ends with the command reference.
expected<console_command> parse_console_command(const std::string& line);

/// The command reference shown by `help` and after every error.
std::string console_help();

// -- what the endpoint gathers ------------------------------------------------

/// One supervised child, as shown by `status`.
struct console_child {
  /// The child's name.
  std::string name;
  /// Restarts so far.
  uint32_t restarts = 0;
  /// False while a restart is pending.
  bool alive = false;
};

/// The facts behind `status`.
struct console_status {
  /// Wall clock of the answer, epoch ms.
  int64_t now_ms = 0;
  /// Which node answers, e.g. "pid 4711, topic raw_events, db ./data/vigil.db".
  std::string identity;
  /// When the node started, epoch ms.
  int64_t started_ms = 0;
  /// Drain mode (`--drain`).
  bool drain = false;
  /// A stop was requested (SIGTERM/SIGINT): the node finishes a checkpoint.
  bool stopping = false;
  /// Last durable checkpoint id (0 = none).
  uint64_t last_checkpoint = 0;
  /// When it was committed, epoch ms (0 = unknown).
  int64_t last_checkpoint_ms = 0;
  /// False until the node's first poll of the pipeline counters answered.
  bool stats_known = false;
  /// Pipeline counters (since the last restored checkpoint's totals).
  pipeline_stats stats;
  /// Services with windows in the database (keys of `kind`'s table).
  size_t services = 0;
  /// The node's event kind; not "request": `services` counts its keys.
  std::string kind = "request";
  /// The cap on distinct services (`--max-services`).
  uint64_t max_services = 0;
  /// Partitions assigned to this node.
  int32_t assigned = 0;
  /// Partitions with lag and no progress for the stall bound.
  int32_t stalled = 0;
  /// Sum of the known per-partition lags.
  int64_t total_lag = 0;
  /// The operator holds consumption (`pause`), since `held_since_ms`.
  bool held = false;
  /// When the hold began, epoch ms.
  int64_t held_since_ms = 0;
  /// Children of the node's supervisor, in start order.
  std::vector<console_child> children;
  /// Why `children` or `services` could not be read ("" = fine).
  std::string problems;
  /// A store: its cluster (the nodes table follows the status).
  bool is_store = false;
  cluster_view cluster;
};

/// One assigned partition, as shown by `partitions`.
struct console_partition {
  /// The partition.
  int32_t partition = 0;
  /// Next offset the source delivers.
  int64_t next_offset = 0;
  /// High watermark (-1 = unknown).
  int64_t end_offset = -1;
  /// True while paused for backpressure.
  bool paused = false;
  /// Batches sent and not yet acknowledged.
  uint32_t in_flight = 0;
  /// Offset stored with the last checkpoint (-1 = none yet).
  int64_t checkpointed = -1;
  /// True while the operator holds consumption (`pause`).
  bool held = false;
  /// Drain mode: read to its end.
  bool finished = false;
  /// Lag without progress for the stall bound.
  bool stalled = false;
  /// How long it has had lag without progress, ms (0: not waiting).
  int64_t waiting_ms = 0;
  /// Whether the consumer was told to pause it (not fetching).
  bool consumer_paused = false;
  /// Epoch of its batches (changes at every rebalance).
  uint64_t epoch = 0;
  /// False while the first fetch after its assignment is pending.
  bool fetched = true;
};

/// One stored checkpoint, as shown by `checkpoint`.
struct console_checkpoint {
  /// Checkpoint id.
  uint64_t id = 0;
  /// When it was committed, epoch ms.
  int64_t created_at = 0;
  /// Bytes of merger and detector state stored with it.
  int64_t state_bytes = 0;
};

// -- rendering
// ------------------------------------------------------------------

/// `status`.
std::string format_status(const console_status& st);

/// `partitions`.
std::string format_partitions(const std::vector<console_partition>& xs);

/// `nodes` (and the end of `status` on a store): every node of the cluster
/// with its role, address, partitions, lag, restarts and last heartbeat.
std::string format_nodes(const cluster_view& view, int64_t now_ms);

/// `services`: the latest window of each service.
std::string format_services(const std::vector<window_row>& rows,
                            int64_t now_ms);

/// `services` of a node of another event kind than request (`view`): the
/// latest window of each key with its event count, events per second and
/// a few value columns (`kind_view::headline_columns`).
std::string format_kind_services(const kind_view& view,
                                 const std::vector<kind_window_row>& rows,
                                 int64_t now_ms);

/// A value of a kind's column for a narrow table: "-" if absent or not
/// finite, integral values without decimals, else 4 decimals (2 from 1000
/// on).
std::string format_kind_value(const std::optional<double>& x);

/// `incidents`: open ones first (as read by read_incidents), with their
/// summaries; `now_ms` for the durations of open incidents.
std::string format_incidents(const std::vector<incident_row>& rows,
                             int64_t now_ms);

/// `anomalies`.
std::string format_anomalies(const std::vector<anomaly_row>& rows,
                             const console_command& cmd);

/// `restarts`; `dropped` events no longer in the history are mentioned.
std::string format_restarts(const std::vector<supervisor_record>& events,
                            uint64_t dropped, int64_t now_ms);

/// `checkpoint`: stored checkpoints (newest first) and the offset stored
/// for each partition.
std::string format_checkpoints(const std::vector<console_checkpoint>& xs,
                               const std::vector<partition_offset>& offsets,
                               int64_t now_ms);

/// "12s", "4m05s", "2h03m", "3d04h": a duration for humans.
std::string format_duration(int64_t ms);

/// "2024-05-01 12:00:03Z": a UTC time of day for humans.
std::string format_time(int64_t epoch_ms);

/// Columns of plain text, aligned: text left, numbers right.
class text_table {
public:
  /// A table with these column headers; a header starting with '>' is right
  /// aligned (the '>' is not shown).
  explicit text_table(std::vector<std::string> headers);

  /// Appends a row (missing cells are blank, extra ones ignored).
  void add(std::vector<std::string> cells);

  /// Rows added so far.
  size_t size() const noexcept {
    return rows_.size();
  }

  /// The header, a rule and the rows, two spaces between columns, no
  /// trailing blanks, each line ending with a newline.
  std::string render() const;

private:
  std::vector<std::string> headers_;
  std::vector<bool> right_;
  std::vector<std::vector<std::string>> rows_;
};

} // namespace vigil
