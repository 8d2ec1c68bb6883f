#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <caf/fwd.hpp>

#include "actors/aggregate/window_merger.hpp"

namespace vigil {

/// Settings of the merger actor.
struct window_merger_actor_config {
  /// Window semantics.
  window_merger_config windows;
  /// How often closed windows are emitted.
  std::chrono::milliseconds emit_interval{200};
  /// The last durable checkpoint's merger state ("" for none).
  std::string restore_state;
  /// The last durable checkpoint id (0 for none).
  uint64_t last_checkpoint = 0;
  /// Steady clock for idle detection (injectable for tests).
  std::function<std::chrono::steady_clock::time_point()> now
      = [] { return std::chrono::steady_clock::now(); };
  /// Wall clock in epoch milliseconds (injectable for tests).
  std::function<int64_t()> wall_ms;
};

/// Spawns the merger: merges partials of all partition tasks into windows,
/// aligns checkpoint barriers, and sends window rows (and, at each aligned
/// barrier, its state and the source offsets) to `detector`.
caf::actor spawn_window_merger_actor(caf::actor_system& sys,
                                     window_merger_actor_config settings,
                                     caf::actor detector);

} // namespace vigil
