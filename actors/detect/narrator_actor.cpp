#include "actors/detect/narrator_actor.hpp"

#include "runtime/stage_log.hpp"

#include <iterator>

#include "runtime/spawn.hpp"
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>

namespace vigil {

narrator_actor_state::narrator_actor_state(narrator_actor* self) : self_(self) {
  // nop
}

caf::behavior narrator_actor_state::make_behavior(narrator_actor_config cfg) {
  cfg_ = std::move(cfg);
  narrator_ = incident_narrator{cfg_.settings};
  // Open incidents of the lost state stay open in the database; new ids
  // start at `first_id`, which the node sets past the stored ones.
  restored_ = restore_stage(narrator_, cfg_.restore_state, cfg_.log, [this] {
    return "narrator: malformed checkpoint state, starting without open "
           "incidents at id "
           + std::to_string(narrator_.next_id());
  });
  return {
      [this](result_batch& batch) { on_batch(batch); },
      [this](atom::flush flush) {
        return self_->delegate(cfg_.db_writer, flush);
      },
  };
}

void narrator_actor_state::on_batch(result_batch& batch) {
  auto found = narrator_.observe(batch.rows, batch.anomalies);
  batch.incidents.insert(batch.incidents.end(),
                         std::make_move_iterator(found.begin()),
                         std::make_move_iterator(found.end()));
  if (batch.checkpoint > 0)
    batch.narrator_state = narrator_.snapshot();
  self_->send(cfg_.db_writer, std::move(batch));
}

caf::actor spawn_narrator_actor(caf::actor_system& sys,
                                narrator_actor_config cfg) {
  return spawn_stateful<narrator_actor_state>(sys, std::move(cfg));
}

} // namespace vigil
