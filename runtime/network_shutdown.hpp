#pragma once

// Stopping CAF's network layer (the BASP broker) before the actor system is
// destroyed, so that its heartbeat cannot outlive it.

namespace caf {
class actor_system;
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

} // namespace vigil
