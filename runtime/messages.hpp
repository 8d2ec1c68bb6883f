#pragma once

// Every message type exchanged by vigil's actors, in one place.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/type_id.hpp>

#include "runtime/window.hpp"

namespace vigil {

// -- ingest: source to partition tasks
// -----------------------------------------

/// A batch of raw Kafka records of one partition, in offset order. Payloads
/// are packed into one buffer to keep a batch one allocation.
struct record_batch {
  /// Kafka partition the records come from.
  int32_t partition = 0;
  /// Incarnation of the source that read the records (see rollback).
  uint64_t epoch = 0;
  /// Offset of each record, strictly increasing.
  std::vector<int64_t> offsets;
  /// End position of each record's payload in `bytes` (begin is the previous
  /// end, or 0).
  std::vector<uint32_t> ends;
  /// The concatenated payloads.
  std::string bytes;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, record_batch& x) {
  return f(caf::meta::type_name("record_batch"), x.partition, x.offsets, x.ends,
           x.bytes);
}

/// The source reached the end of a partition's log (or, in drain mode, the end
/// offset seen at start).
struct partition_end {
  /// The partition.
  int32_t partition = 0;
  /// The next offset to read.
  int64_t next_offset = 0;
  /// True in drain mode: the partition delivers nothing more.
  bool finished = false;
  /// Incarnation of the source that sent it.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_end& x) {
  return f(caf::meta::type_name("partition_end"), x.partition, x.next_offset,
           x.finished, x.epoch);
}

/// A checkpoint barrier for one partition, sent by the source behind the last
/// batch before the barrier.
struct partition_barrier {
  /// The checkpoint this barrier belongs to.
  uint64_t checkpoint = 0;
  /// The partition.
  int32_t partition = 0;
  /// The next offset to read after the barrier: recovery starts here.
  int64_t next_offset = 0;
  /// Incarnation of the source that sent it.
  uint64_t epoch = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_barrier& x) {
  return f(caf::meta::type_name("partition_barrier"), x.checkpoint, x.partition,
           x.next_offset);
}

/// One record rejected by a partition task, for the dead-letter topic.
struct dead_letter {
  /// Source partition.
  int32_t partition = 0;
  /// Source offset.
  int64_t offset = 0;
  /// Stable reason name (see invalid_reason), sent as a header.
  std::string reason;
  /// The original payload (truncated to the producer's limit).
  std::string payload;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dead_letter& x) {
  return f(caf::meta::type_name("dead_letter"), x.partition, x.offset, x.reason,
           x.payload);
}

/// A batch of dead letters.
struct dead_letter_batch {
  /// The rejected records.
  std::vector<dead_letter> letters;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, dead_letter_batch& x) {
  return f(caf::meta::type_name("dead_letter_batch"), x.letters);
}

// -- windows: partition tasks to merger
// ----------------------------------------

/// The contribution of some events of one partition to one window of one key.
struct window_partial {
  /// The key, e.g. the service name.
  std::string key;
  /// Window start, epoch milliseconds.
  int64_t window_start = 0;
  /// The aggregate of the contributing events.
  window_aggregate aggregate;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_partial& x) {
  return f(caf::meta::type_name("window_partial"), x.key, x.window_start,
           x.aggregate);
}

/// Counters a partition task reports with each batch (deltas).
struct task_counters {
  /// Valid events consumed.
  uint64_t events = 0;
  /// Events with a repaired timestamp.
  uint64_t repaired = 0;
  /// Late events that still updated their window.
  uint64_t late_accepted = 0;
  /// Invalid events by reason (index: invalid_reason value).
  std::vector<uint64_t> invalid;
  /// Records whose offset did not exceed the previous one (must stay 0).
  uint64_t reorderings = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, task_counters& x) {
  return f(caf::meta::type_name("task_counters"), x.events, x.repaired,
           x.late_accepted, x.invalid, x.reorderings);
}

/// Everything one record batch contributed, sent by a task to the merger.
struct partial_batch {
  /// Source partition.
  int32_t partition = 0;
  /// Incarnation of the source whose batch this was: after a rollback the
  /// merger ignores contributions of earlier incarnations.
  uint64_t epoch = 0;
  /// Offset after the last record of the batch.
  int64_t next_offset = 0;
  /// Largest event time seen in the partition so far (INT64_MIN if none).
  int64_t max_event_time = INT64_MIN;
  /// Window contributions.
  std::vector<window_partial> partials;
  /// Counter deltas.
  task_counters counters;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partial_batch& x) {
  return f(caf::meta::type_name("partial_batch"), x.partition, x.epoch,
           x.next_offset, x.max_event_time, x.partials, x.counters);
}

/// The merger's combined watermark, broadcast to tasks so that they classify
/// events that are too late.
struct watermark_update {
  /// Combined watermark, epoch milliseconds.
  int64_t watermark = INT64_MIN;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, watermark_update& x) {
  return f(caf::meta::type_name("watermark_update"), x.watermark);
}

// -- results: merger to detector to database writer
// -----------------------------

/// One row of `service_metrics`.
struct window_row {
  std::string service;
  int64_t window_start = 0;
  int64_t window_end = 0;
  int64_t request_count = 0;
  int64_t error_count = 0;
  double error_rate = 0;
  double avg_latency_ms = 0;
  double p50_latency_ms = 0;
  double p95_latency_ms = 0;
  double p99_latency_ms = 0;
  double max_latency_ms = 0;
  int64_t late_count = 0;
  int64_t updated_at = 0;
  /// False for an early emission that late events may still update.
  bool final = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, window_row& x) {
  return f(caf::meta::type_name("window_row"), x.service, x.window_start,
           x.window_end, x.request_count, x.error_count, x.error_rate,
           x.avg_latency_ms, x.p50_latency_ms, x.p95_latency_ms,
           x.p99_latency_ms, x.max_latency_ms, x.late_count, x.updated_at,
           x.final);
}

/// One row of `anomalies`.
struct anomaly_row {
  std::string service;
  int64_t window_start = 0;
  /// "error_rate", "p95_latency_ms" or "request_rate".
  std::string metric;
  double observed = 0;
  double expected = 0;
  double score = 0;
  /// "low", "medium", "high" or "critical".
  std::string severity;
  /// Name of the detector, e.g. "ewma".
  std::string detector;
  int64_t detected_at = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anomaly_row& x) {
  return f(caf::meta::type_name("anomaly_row"), x.service, x.window_start,
           x.metric, x.observed, x.expected, x.score, x.severity, x.detector,
           x.detected_at);
}

/// One row of `incidents`: anomalies of one service grouped while they
/// continue (see `incident_narrator`). Upserted by `id`.
struct incident_row {
  /// Incident id, deterministic across replay.
  int64_t id = 0;
  std::string service;
  /// Start of the first anomalous window, epoch milliseconds.
  int64_t started_at = 0;
  /// End of the last anomalous window once the incident closed; 0 (stored as
  /// NULL) while it is open.
  int64_t ended_at = 0;
  /// Highest severity of its anomalies: "low", "medium", "high", "critical".
  std::string severity;
  /// Anomalies (of any metric) absorbed.
  int64_t anomaly_count = 0;
  /// One sentence for the on-call engineer.
  std::string summary;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, incident_row& x) {
  return f(caf::meta::type_name("incident_row"), x.id, x.service, x.started_at,
           x.ended_at, x.severity, x.anomaly_count, x.summary);
}

/// The next offset of one partition, as stored with a checkpoint.
struct partition_offset {
  int32_t partition = 0;
  int64_t next_offset = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, partition_offset& x) {
  return f(caf::meta::type_name("partition_offset"), x.partition,
           x.next_offset);
}

/// Window rows emitted by the merger; with `checkpoint` > 0 it also closes
/// that checkpoint: `offsets` and `merger_state` describe the state at the
/// barrier and the detector and the narrator add their own states before
/// forwarding.
struct result_batch {
  /// Window rows (early, updated and final emissions).
  std::vector<window_row> rows;
  /// Anomalies found so far (filled by the detector).
  std::vector<anomaly_row> anomalies;
  /// The checkpoint this batch closes, or 0.
  uint64_t checkpoint = 0;
  /// Source offsets at the barrier (only with a checkpoint).
  std::vector<partition_offset> offsets;
  /// Serialized merger state at the barrier (only with a checkpoint).
  std::string merger_state;
  /// Serialized detector state at the barrier (only with a checkpoint).
  std::string detector_state;
  /// Who started the checkpoint and gets `checkpoint_durable` once it is
  /// committed (the source incarnation that injected the barriers).
  caf::actor durable_to;
  /// Incidents opened, extended or closed by this batch (filled by the
  /// narrator; each row the incident's latest state).
  std::vector<incident_row> incidents;
  /// Serialized narrator state at the barrier (only with a checkpoint).
  std::string narrator_state;
  /// Positions of the dead-letter topic stored with the checkpoint (filled
  /// by the database writer from the dead-letter producer's flush).
  std::vector<partition_offset> dead_letter_positions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, result_batch& x) {
  return f(caf::meta::type_name("result_batch"), x.rows, x.anomalies,
           x.checkpoint, x.offsets, x.merger_state, x.detector_state,
           x.durable_to, x.incidents, x.narrator_state,
           x.dead_letter_positions);
}

/// The database writer made a checkpoint durable.
struct checkpoint_durable {
  /// The checkpoint.
  uint64_t checkpoint = 0;
  /// The offsets it stored, to commit to Kafka.
  std::vector<partition_offset> offsets;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_durable& x) {
  return f(caf::meta::type_name("checkpoint_durable"), x.checkpoint, x.offsets);
}

// -- checkpoints and control
// ---------------------------------------------------

/// The source started checkpoint `checkpoint`: the merger aligns on the
/// barriers of exactly these partitions.
struct checkpoint_begin {
  /// The checkpoint id, increasing.
  uint64_t checkpoint = 0;
  /// Partitions whose barriers the merger must wait for.
  std::vector<int32_t> partitions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, checkpoint_begin& x) {
  return f(caf::meta::type_name("checkpoint_begin"), x.checkpoint,
           x.partitions);
}

/// Totals of a node's pipeline, for drain summaries, the console and metrics.
struct pipeline_stats {
  /// Valid events consumed.
  uint64_t events = 0;
  /// Invalid events by reason (index: invalid_reason value).
  std::vector<uint64_t> invalid;
  /// Events with a repaired timestamp.
  uint64_t repaired = 0;
  /// Late events that updated their window.
  uint64_t late_accepted = 0;
  /// Windows emitted (first emission).
  uint64_t windows = 0;
  /// Partials lost because their window was already evicted.
  uint64_t late_partials_dropped = 0;
  /// Events refused by the distinct-key cap in the merger.
  uint64_t key_overflow = 0;
  /// Combined watermark.
  int64_t watermark = INT64_MIN;
  /// Windows held in memory.
  uint64_t open_windows = 0;
  /// Last checkpoint made durable.
  uint64_t last_checkpoint = 0;
  /// Records seen out of offset order by a partition task (must stay 0).
  uint64_t reorderings = 0;
  /// Distinct keys (services) with window state in the merger.
  uint64_t tracked_keys = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, pipeline_stats& x) {
  return f(caf::meta::type_name("pipeline_stats"), x.events, x.invalid,
           x.repaired, x.late_accepted, x.windows, x.late_partials_dropped,
           x.key_overflow, x.watermark, x.open_windows, x.last_checkpoint,
           x.reorderings, x.tracked_keys);
}

// -- supervision -------------------------------------------------------------

/// One child of a supervisor, as reported in response to `children`.
struct child_status {
  /// The child's name, unique within its supervisor.
  std::string name;
  /// The running instance; invalid while a restart is pending.
  caf::actor actor;
  /// How often the supervisor restarted this child.
  uint32_t restarts = 0;
  /// False while the child waits for its restart.
  bool alive = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.name, x.actor, x.restarts,
           x.alive);
}

// -- operator console --------------------------------------------------------

/// One command line typed at `vigil console`, sent to a node's console
/// endpoint (parsed by the node, so that a client needs no command list).
struct console_request {
  /// The command and its arguments, e.g. "anomalies checkout 5".
  std::string line;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_request& x) {
  return f(caf::meta::type_name("console_request"), x.line);
}

/// A console endpoint's answer to a `console_request`.
struct console_reply {
  /// False if the command was not understood or could not be answered.
  bool ok = false;
  /// Plain text for the operator, ending with a newline.
  std::string text;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, console_reply& x) {
  return f(caf::meta::type_name("console_reply"), x.ok, x.text);
}

/// The dead-letter producer's reply to a checkpoint's flush: every dead
/// letter sent to it before is acknowledged by the broker, and these are the
/// positions of the dead-letter topic to store with the checkpoint.
struct dead_letter_positions {
  /// Offset by partition of the dead-letter topic.
  std::vector<partition_offset> positions;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f,
                                        dead_letter_positions& x) {
  return f(caf::meta::type_name("dead_letter_positions"), x.positions);
}

} // namespace vigil

// -- type IDs and atoms
// ----------------------------------------------------------

CAF_BEGIN_TYPE_ID_BLOCK(vigil, caf::first_custom_type_id)

CAF_ADD_TYPE_ID(vigil, (vigil::record_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_end))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_barrier))
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter))
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::window_partial))
CAF_ADD_TYPE_ID(vigil, (vigil::task_counters))
CAF_ADD_TYPE_ID(vigil, (vigil::partial_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::watermark_update))
CAF_ADD_TYPE_ID(vigil, (vigil::window_row))
CAF_ADD_TYPE_ID(vigil, (vigil::anomaly_row))
CAF_ADD_TYPE_ID(vigil, (vigil::partition_offset))
CAF_ADD_TYPE_ID(vigil, (vigil::result_batch))
CAF_ADD_TYPE_ID(vigil, (vigil::checkpoint_durable))
CAF_ADD_TYPE_ID(vigil, (vigil::checkpoint_begin))
CAF_ADD_TYPE_ID(vigil, (vigil::pipeline_stats))
CAF_ADD_TYPE_ID(vigil, (vigil::child_status))

// -- supervision
CAF_ADD_ATOM(vigil, vigil::atom, restart, "restart")
CAF_ADD_ATOM(vigil, vigil::atom, children, "children")
CAF_ADD_ATOM(vigil, vigil::atom, start_child, "startchild")
CAF_ADD_ATOM(vigil, vigil::atom, stop_child, "stop_child")

// -- pipeline control
CAF_ADD_ATOM(vigil, vigil::atom, poll, "poll")
CAF_ADD_ATOM(vigil, vigil::atom, tick, "tick")
CAF_ADD_ATOM(vigil, vigil::atom, flush, "flush")
CAF_ADD_ATOM(vigil, vigil::atom, drained, "drained")
CAF_ADD_ATOM(vigil, vigil::atom, stats, "stats")
CAF_ADD_ATOM(vigil, vigil::atom, shutdown, "shutdown")
CAF_ADD_ATOM(vigil, vigil::atom, assign, "assign")
CAF_ADD_ATOM(vigil, vigil::atom, revoke, "revoke")
CAF_ADD_ATOM(vigil, vigil::atom, retry, "retry")
CAF_ADD_ATOM(vigil, vigil::atom, ack, "ack")
CAF_ADD_ATOM(vigil, vigil::atom, rollback, "rollback")

// -- operator console
CAF_ADD_TYPE_ID(vigil, (vigil::console_request))
CAF_ADD_TYPE_ID(vigil, (vigil::console_reply))

// -- incidents
CAF_ADD_TYPE_ID(vigil, (vigil::incident_row))

// -- dead letters
CAF_ADD_TYPE_ID(vigil, (vigil::dead_letter_positions))

CAF_END_TYPE_ID_BLOCK(vigil)
