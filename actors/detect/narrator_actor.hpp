#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/fwd.hpp>

#include "actors/detect/narrator.hpp"
#include "actors/messages.hpp"

namespace vigil {

/// Configuration of the narrator actor.
struct narrator_actor_config {
  /// Gap tolerance and limits.
  narrator_config settings;
  /// Narrator state of the last checkpoint (`incident_narrator::snapshot`);
  /// empty to start fresh with `settings.first_id`.
  std::string restore_state;
  /// The database writer, which receives every batch.
  caf::actor db_writer;
  /// Writes one diagnostic line; stderr if empty.
  std::function<void(const std::string&)> log;
};

/// State of the narrator actor: adapts `incident_narrator` to the result
/// batches flowing from the detector to the database writer.
class narrator_actor_state {
public:
  static inline const char* name = "narrator";

  explicit narrator_actor_state(
      caf::stateful_actor<narrator_actor_state>* self);

  /// Takes the configuration, restores the state and returns the behavior.
  caf::behavior make_behavior(narrator_actor_config cfg);

  /// The wrapped narrator.
  const incident_narrator& narrator() const noexcept {
    return narrator_;
  }

  /// False if a given restore state was malformed and the narrator started
  /// fresh.
  bool restored() const noexcept {
    return restored_;
  }

  // -- callbacks
  // ---------------------------------------------------------------

  /// Groups the anomalies of `batch` into incidents, appends the incident
  /// rows, snapshots the state if the batch closes a checkpoint, and
  /// forwards it to the database writer.
  void on_batch(result_batch& batch);

private:
  caf::stateful_actor<narrator_actor_state>* self_;
  narrator_actor_config cfg_;
  incident_narrator narrator_;
  bool restored_ = true;
};

/// The narrator actor.
using narrator_actor = caf::stateful_actor<narrator_actor_state>;

/// Spawns the narrator actor.
caf::actor spawn_narrator_actor(caf::actor_system& sys,
                                narrator_actor_config cfg);

} // namespace vigil
