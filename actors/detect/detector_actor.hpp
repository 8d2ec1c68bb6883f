#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/fwd.hpp>

#include "actors/detect/detector.hpp"
#include "actors/detect/live_detector.hpp"
#include "actors/messages.hpp"

namespace vigil {

struct kind_schema;

/// Configuration of the detector actor.
struct detector_actor_config {
  /// Which detector runs: "combined" (`combined_detector`, the default) or
  /// "ewma" (`service_detector`).
  std::string detector = combined_detector::name;
  /// Settings of the combined detector.
  live_detection_config live;
  /// An event kind other than request: its rules run (`kind_detector`)
  /// instead of `detector`.
  std::shared_ptr<const kind_schema> kind;
  /// Baselines and guards of the EWMA detector.
  detector_config settings;
  /// Detector state of the last checkpoint (`window_detector::snapshot`);
  /// empty to start fresh.
  std::string restore_state;
  /// The stored windows to replay after the restore (oldest first per
  /// service), for a detector that rebuilds its history from them, given
  /// the number of services restored; sets its second argument to what went
  /// wrong, if anything. Empty: nothing to replay.
  std::function<std::vector<window_row>(size_t services, std::string&)>
      stored_windows;
  /// The next stage, which receives every batch: the incident narrator in a
  /// node (it forwards to the database writer), or the database writer.
  caf::actor downstream;
  /// Wall clock in epoch milliseconds for `detected_at`; the system clock if
  /// empty.
  std::function<int64_t()> now_ms;
  /// Writes one diagnostic line; stderr if empty.
  std::function<void(const std::string&)> log;
};

/// State of the detector actor: adapts `service_detector` to the result
/// batches flowing from the merger to the narrator.
class detector_actor_state {
public:
  static inline const char* name = "detector";

  explicit detector_actor_state(
      caf::stateful_actor<detector_actor_state>* self);

  /// Takes the configuration, restores the state and returns the behavior.
  caf::behavior make_behavior(detector_actor_config cfg);

  /// The wrapped detector.
  const window_detector& detector() const noexcept {
    return *detector_;
  }

  /// Anomalies found so far.
  uint64_t anomalies() const noexcept {
    return anomalies_;
  }

  /// False if a given restore state was malformed and the detector started
  /// fresh.
  bool restored() const noexcept {
    return restored_;
  }

  // -- callbacks
  // ---------------------------------------------------------------

  /// Scores the rows of `batch`, appends the anomalies, snapshots the state if
  /// the batch closes a checkpoint, and forwards it downstream.
  void on_batch(result_batch& batch);

private:
  int64_t now() const;

  caf::stateful_actor<detector_actor_state>* self_;
  detector_actor_config cfg_;
  std::unique_ptr<window_detector> detector_;
  uint64_t anomalies_ = 0;
  bool restored_ = true;
};

/// The detector actor.
using detector_actor = caf::stateful_actor<detector_actor_state>;

/// Spawns the detector actor.
caf::actor spawn_detector_actor(caf::actor_system& sys,
                                detector_actor_config cfg);

} // namespace vigil
