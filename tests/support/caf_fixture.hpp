#pragma once

#include <chrono>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/messages.hpp"

namespace vigil::test {

/// An actor system on CAF's deterministic test coordinator: jobs run only when
/// the test says so and time advances only when the test advances it.
struct caf_fixture {
  struct config : caf::actor_system_config {
    config() {
      set("scheduler.policy", caf::atom("testing"));
      set("logger.verbosity", caf::atom("quiet"));
      add_message_types<caf::id_block::vigil>();
    }
  };

  config cfg;
  caf::actor_system sys;
  caf::scheduler::test_coordinator& sched;

  caf_fixture()
      : sys(cfg), sched(dynamic_cast<caf::scheduler::test_coordinator&>(
                      sys.scheduler())) {
    // nop
  }

  /// Runs every ready job, without advancing time.
  void run() {
    sched.run();
  }

  /// Advances virtual time by `d` and runs everything that became ready.
  void advance(std::chrono::milliseconds d) {
    sched.advance_time(d);
    sched.run();
  }
};

} // namespace vigil::test
