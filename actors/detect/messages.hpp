#pragma once

// Messages of the detect stage (detector, narrator) and the results they
// hand to the sink. Every type id is announced in actors/messages.hpp.
//
// Contract:
// - merger -> detector -> narrator -> db_writer: `result_batch`. The
//   detector appends its `anomaly_row`s, the narrator its `incident_row`s;
//   a batch that closes a checkpoint carries each stage's snapshot, added
//   before it is forwarded.
// - `(atom::flush)` is delegated down the same chain, so that its answer
//   comes after every batch forwarded before it.

#include <cstdint>
#include <string>
#include <vector>

#include <caf/meta/type_name.hpp>

#include <caf/actor.hpp>

#include "actors/aggregate/messages.hpp"
#include "actors/ingest/messages.hpp"

namespace vigil {

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

/// The language-model narrator's answer for incident `id` (narrator ->
/// llm helper: the `incident_row`; back: this). `ok` false: `why` says what
/// failed and the template summary stays.
struct llm_reply {
  int64_t id = 0;
  bool ok = false;
  std::string summary;
  std::string why;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, llm_reply& x) {
  return f(caf::meta::type_name("llm_reply"), x.id, x.ok, x.summary, x.why);
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

} // namespace vigil
