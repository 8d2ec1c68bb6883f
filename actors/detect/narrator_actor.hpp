#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>

#include <caf/actor.hpp>
#include <caf/behavior.hpp>
#include <caf/fwd.hpp>

#include "actors/detect/llm_narrator.hpp"
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
  /// The language-model helper (spawn_llm_narrator_actor); null: template
  /// summaries only.
  caf::actor llm;
  /// Its timeout (the narrator gives up a little after it).
  std::chrono::milliseconds llm_timeout{5000};
  /// Requests in flight at most; an incident beyond keeps its template.
  size_t llm_max_in_flight = 4;
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

  /// Requests sent to the language-model helper and not answered yet.
  size_t llm_in_flight() const noexcept {
    return llm_in_flight_;
  }

  /// Incidents that kept their template summary because the bound of
  /// requests in flight was reached.
  uint64_t llm_skipped() const noexcept {
    return llm_skipped_;
  }

private:
  /// Asks the language-model helper for the summary of `row` if it is new
  /// or closed and the bound allows; nothing waits for the answer.
  void maybe_narrate(const incident_row& row);

  caf::stateful_actor<narrator_actor_state>* self_;
  narrator_actor_config cfg_;
  incident_narrator narrator_;
  bool restored_ = true;
  size_t llm_in_flight_ = 0;
  uint64_t llm_skipped_ = 0;
  /// Open incidents already asked about (asked again once closed).
  std::set<int64_t> asked_;
};

/// The language-model helper: answers each `incident_row` with an
/// `llm_reply` from `llm_client` (blocking, on its own thread). Logs one
/// line when requests start failing, whenever the reason changes, and when
/// they succeed again.
caf::actor spawn_llm_narrator_actor(caf::actor_system& sys,
                                    llm_config settings);

/// The narrator actor.
using narrator_actor = caf::stateful_actor<narrator_actor_state>;

/// Spawns the narrator actor.
caf::actor spawn_narrator_actor(caf::actor_system& sys,
                                narrator_actor_config cfg);

} // namespace vigil
