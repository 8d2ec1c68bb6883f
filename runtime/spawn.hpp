#pragma once

// One way to spawn an actor: a state class plus a behavior (broker's style).
//
//   class X_state {
//   public:
//     static inline const char* name = "X";
//     explicit X_state(caf::stateful_actor<X_state>* self);
//     caf::behavior make_behavior(X_config cfg);
//   };
//   using X_actor = caf::stateful_actor<X_state>;
//
// CAF 0.17's stateful_actor hands the state nothing but its actor and never
// calls the state's make_behavior, so the configuration reaches the state
// through make_behavior's arguments, passed by `spawn_stateful`.

#include <type_traits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/behavior.hpp>
#include <caf/spawn_options.hpp>
#include <caf/stateful_actor.hpp>

namespace vigil {

/// The behavior of `caf::stateful_actor<State>`: its state's.
template <class State, class... Ts>
caf::behavior state_behavior(caf::stateful_actor<State>* self, Ts... xs) {
  return self->state.make_behavior(std::move(xs)...);
}

/// Spawns `caf::stateful_actor<State>` with the behavior
/// `State::make_behavior(xs...)`.
template <class State, caf::spawn_options Os = caf::no_spawn_options,
          class... Ts>
caf::actor spawn_stateful(caf::actor_system& sys, Ts&&... xs) {
  return sys.spawn<Os>(&state_behavior<State, std::decay_t<Ts>...>,
                       std::forward<Ts>(xs)...);
}

} // namespace vigil
