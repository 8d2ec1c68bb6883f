#pragma once

// Supervision trees for CAF 0.17, which has monitors but no supervisors:
// restart policies (Erlang/OTP), strategies one_for_one and rest_for_one,
// exponential backoff with jitter (Akka's BackoffSupervisor) and restart
// intensity with escalation to the parent.
//
// Protocol of a supervisor actor:
// - `(atom::children)` -> `std::vector<child_status>`, in start order.
// - `(atom::start_child, child_spec)` -> `caf::actor`, or an `ec` error
//   (duplicate_child, child_start_failed, supervisor_stopping).
// - `(atom::stop_child, std::string)` -> `void`, or `ec::no_such_child`; the
//   child is stopped on purpose and never restarted.
// - `(atom::shutdown)`: stops all children in reverse order, then quits
//   normally. An exit_msg with a non-normal reason does the same and quits
//   with that reason. Stop a supervisor with exit_reason::user_shutdown, not
//   kill: kill cannot be trapped, so the children are told to stop only after
//   the supervisor is gone, and not one by one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>
#include <caf/meta/type_name.hpp>

#include "runtime/backoff.hpp"

namespace vigil {

// -- messages -----------------------------------------------------------------

/// One child of a supervisor, as reported in response to `children`.
struct child_status {
  /// The child's name, unique within its supervisor.
  std::string name;
  /// The running instance; invalid while a restart is pending.
  caf::actor actor;
  /// How often the supervisor restarted this child.
  uint32_t restarts = 0;
  /// False while the child waits for its restart.
  bool alive = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, child_status& x) {
  return f(caf::meta::type_name("child_status"), x.name, x.actor, x.restarts,
           x.alive);
}

namespace atom {

// The supervisor's atoms. vigil's type id block (actors/messages.hpp) lists
// the message types; atoms need no id in CAF 0.17.
using restart = caf::atom_constant<caf::atom("restart")>;
constexpr restart restart_v = restart{};
using children = caf::atom_constant<caf::atom("children")>;
constexpr children children_v = children{};
using start_child = caf::atom_constant<caf::atom("startchild")>;
constexpr start_child start_child_v = start_child{};
using stop_child = caf::atom_constant<caf::atom("stop_child")>;
constexpr stop_child stop_child_v = stop_child{};
using shutdown = caf::atom_constant<caf::atom("shutdown")>;
constexpr shutdown shutdown_v = shutdown{};

} // namespace atom

/// When a supervisor restarts a child that terminated.
enum class restart_policy {
  /// Always restart, even after a normal exit.
  permanent,
  /// Restart only after an abnormal exit (anything but normal and
  /// user_shutdown).
  transient,
  /// Never restart; the supervisor forgets the child when it terminates.
  temporary,
};

/// Which children a supervisor restarts when one of them fails.
enum class restart_strategy {
  /// Only the failed child.
  one_for_one,
  /// The failed child and every child started after it; the later ones are
  /// stopped first, in reverse start order.
  rest_for_one,
};

/// Describes one child of a supervisor.
struct child_spec {
  /// Unique name of the child within its supervisor.
  std::string name;
  /// Spawns a new instance; an invalid handle means the start failed.
  std::function<caf::actor(caf::actor_system&)> start;
  /// When to restart the child.
  restart_policy policy = restart_policy::permanent;
};

/// Something a supervisor did, reported through `supervisor_spec::on_event`.
struct supervisor_event {
  /// The kind of event.
  enum kind_t {
    /// A child was started for the first time.
    started,
    /// A child terminated and will be restarted (or the supervisor escalates).
    failed,
    /// A restart is scheduled after `delay`.
    restarting,
    /// A child was restarted; it is a new actor.
    restarted,
    /// The restart intensity was exceeded: the supervisor stops its children
    /// and quits with ec::restart_intensity_exceeded.
    escalated,
    /// A child terminated and will not be restarted: on purpose (stop_child,
    /// shutdown, rest_for_one), or by its policy.
    stopped,
  };
  /// The kind of event.
  kind_t kind = started;
  /// Name of the supervisor.
  std::string supervisor;
  /// Name of the child concerned.
  std::string child;
  /// `caf::to_string` of the child's exit reason, "exit_reason(normal)" for an
  /// actor that quit without error, empty where no exit is involved.
  std::string reason;
  /// Delay before the restart (`restarting` only).
  std::chrono::milliseconds delay{0};
  /// Restarts of the child including the one announced or done.
  uint32_t restarts = 0;
};

/// Returns the name of `x`, e.g. "restarting".
const char* to_string(supervisor_event::kind_t x);

/// Describes a supervisor and its initial children.
struct supervisor_spec {
  /// Name of the supervisor, used in events and errors.
  std::string name;
  /// Which children to restart when one fails.
  restart_strategy strategy = restart_strategy::one_for_one;
  /// Backoff between restarts; each child has its own sequence.
  backoff_config backoff;
  /// More than this many restarts within `period` escalate.
  uint32_t max_restarts = 5;
  /// Sliding window of the restart intensity.
  std::chrono::milliseconds period{30000};
  /// Seed of the backoff jitter; child k uses a seed derived from it and k.
  uint64_t seed = 0;
  /// Initial children, started in order.
  std::vector<child_spec> children;
  /// Called in the supervisor's context for every event; may be empty.
  std::function<void(const supervisor_event&)> on_event;
  /// How long a stopping child may take before it is killed.
  std::chrono::milliseconds shutdown_timeout{5000};
};

/// Spawns a supervisor that starts `spec.children` in order and monitors them.
caf::actor spawn_supervisor_actor(caf::actor_system& sys, supervisor_spec spec);

/// Returns a child spec that runs a nested supervisor, named after it.
child_spec supervisor_child(supervisor_spec spec,
                            restart_policy policy = restart_policy::permanent);

} // namespace vigil

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(vigil::child_spec)
