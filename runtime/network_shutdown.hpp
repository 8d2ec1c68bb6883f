#pragma once

// CAF's network layer (the BASP broker): its heartbeat, and stopping it
// before the actor system is destroyed, so that the heartbeat cannot outlive
// it.

namespace caf {
class actor_system;
class actor_system_config;
} // namespace caf

namespace vigil {

/// Stops the BASP broker of `sys` and drops every pending timer of its
/// clock. Call it once every actor of the node has stopped, before `sys` is
/// destroyed.
///
/// Why: with a middleman heartbeat, the broker always has one tick pending
/// in the actor clock. CAF 0.17.6 never closes a broker's mailbox when the
/// broker terminates (abstract_broker::cleanup skips the mailbox cleanup of
/// scheduled_actor), so a tick that fires between the middleman's stop and
/// the clock's stop stays in the dead broker's mailbox: the tick refers to
/// the broker as its sender, the broker owns the tick, and neither is ever
/// freed (LeakSanitizer reports the broker, its node id and its behaviour).
/// Dropping the clock's timers, stopping the broker and dropping them again
/// leaves no tick to fire: a tick the broker schedules while it stops is due
/// at least half a heartbeat interval later and the second drop removes it.
void stop_network(caf::actor_system& sys);

/// Every connection sends a heartbeat each second and is closed after 5 s
/// without data from its peer: a frozen peer (SIGSTOP, a partitioned host)
/// is noticed, and each side of a TLS connection reads at least every
/// second. A system with it must be stopped with stop_network (or a
/// network_stopper).
void set_network_heartbeat(caf::actor_system_config& cfg);

/// Calls stop_network on destruction: declare it right after the actor
/// system, so that every return path stops the network first.
class network_stopper {
public:
  explicit network_stopper(caf::actor_system& sys) : sys_(sys) {
    // nop
  }

  network_stopper(const network_stopper&) = delete;
  network_stopper& operator=(const network_stopper&) = delete;

  ~network_stopper() {
    stop_network(sys_);
  }

private:
  caf::actor_system& sys_;
};

} // namespace vigil
