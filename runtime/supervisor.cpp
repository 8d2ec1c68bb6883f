#include "runtime/supervisor.hpp"
#include "runtime/spawn.hpp"

#include <limits>
#include <utility>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/result.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/system_messages.hpp>

#include "runtime/error.hpp"

namespace vigil {

const char* to_string(supervisor_event::kind_t x) {
  switch (x) {
  case supervisor_event::started:
    return "started";
  case supervisor_event::failed:
    return "failed";
  case supervisor_event::restarting:
    return "restarting";
  case supervisor_event::restarted:
    return "restarted";
  case supervisor_event::escalated:
    return "escalated";
  case supervisor_event::stopped:
    return "stopped";
  }
  return "unknown";
}

namespace {

using clock_time = std::chrono::steady_clock::time_point;

constexpr size_t npos = std::numeric_limits<size_t>::max();

/// Derives the backoff seed of the `index`-th child (splitmix64), so that
/// siblings get independent jitter from one supervisor seed.
uint64_t derive_seed(uint64_t seed, uint64_t index) {
  auto z = seed + (index + 1) * 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// True for exit reasons that do not restart a transient child.
bool is_normal(const caf::error& reason) {
  return !reason || reason == caf::exit_reason::normal
         || reason == caf::exit_reason::user_shutdown;
}

/// Renders an exit reason; an actor that simply quit reports no error, which
/// reads as "exit_reason(normal)" rather than "none" (an error with code 0,
/// such as exit_reason::normal, is no error in CAF 0.17).
std::string render(const caf::error& reason) {
  if (!reason)
    return "exit_reason(normal)";
  return caf::to_string(reason);
}

/// One supervised child: its spec and its current instance.
struct child_state {
  child_state(child_spec spec, backoff_policy backoff)
      : spec(std::move(spec)), backoff(backoff) {
    // nop
  }

  /// How to start the child and when to restart it.
  child_spec spec;
  /// The running instance; invalid while a restart is pending.
  caf::actor handle;
  /// Delays between the restarts of this child.
  backoff_policy backoff;
  /// When the current instance was started.
  clock_time started;
  /// Restarts so far.
  uint32_t restarts = 0;
  /// Identifies the pending restart timer; bumped on every start and stop.
  uint64_t token = 0;
};

/// State of a supervisor actor; restart decisions live in backoff_policy and
/// restart_intensity, this class only applies them to the children.
class supervisor_state {
public:
  using actor_type = caf::stateful_actor<supervisor_state>;

  static inline const char* name = "vigil.supervisor";

  explicit supervisor_state(actor_type* self) : self_(self) {
    // nop
  }

  supervisor_state(const supervisor_state&) = delete;
  supervisor_state& operator=(const supervisor_state&) = delete;

  /// Runs only if the supervisor was killed: the orderly paths stop every
  /// child before quitting. Tells the orphans to stop.
  ~supervisor_state() {
    for (auto i = children_.rbegin(); i != children_.rend(); ++i)
      if (i->handle)
        caf::anon_send_exit(i->handle, caf::exit_reason::user_shutdown);
  }

  /// Starts the initial children and returns the supervisor's behavior.
  caf::behavior make_behavior(supervisor_spec spec);

private:
  // -- callbacks --------------------------------------------------------------

  void on_down(caf::down_msg& msg);

  void on_exit(caf::exit_msg& msg);

  void on_restart_timer(const std::string& name, uint64_t token);

  std::vector<child_status> on_children() const;

  caf::result<caf::actor> on_start_child(child_spec spec);

  caf::result<void> on_stop_child(const std::string& name);

  void on_shutdown_timeout(uint64_t token);

  // -- children ---------------------------------------------------------------

  size_t find(const std::string& name) const;

  size_t find(const caf::actor_addr& addr) const;

  void add(child_spec spec);

  /// Spawns and monitors a new instance of child `i`; false if it failed.
  bool start(size_t i);

  /// Stops child `i` without restarting it (demonitors first, so its down
  /// message never arrives) and cancels its pending restart.
  void stop_on_purpose(size_t i);

  /// Records a failure of child `i` (already down) and schedules its restart,
  /// or escalates.
  void schedule_restart(size_t i, const std::string& reason);

  void escalate(size_t i, const std::string& reason);

  // -- shutdown ---------------------------------------------------------------

  /// Stops the children one by one in reverse start order, then quits.
  void begin_shutdown(caf::error reason);

  void stop_next();

  // -- events -----------------------------------------------------------------

  void emit(supervisor_event::kind_t kind, const child_state& child,
            std::string reason, std::chrono::milliseconds delay,
            uint32_t restarts);

  clock_time now() const {
    return self_->clock().now();
  }

  actor_type* self_;
  supervisor_spec spec_;
  std::vector<child_state> children_;
  restart_intensity intensity_{0, std::chrono::milliseconds{0}};
  uint64_t children_added_ = 0;
  bool stopping_ = false;
  caf::error stop_reason_;
  uint64_t stop_token_ = 0;
};

caf::behavior supervisor_state::make_behavior(supervisor_spec spec) {
  spec_ = std::move(spec);
  intensity_ = restart_intensity{spec_.max_restarts, spec_.period};
  self_->set_down_handler([this](caf::down_msg& msg) { on_down(msg); });
  self_->set_exit_handler([this](caf::exit_msg& msg) { on_exit(msg); });
  auto initial = std::move(spec_.children);
  spec_.children.clear();
  for (auto& child : initial) {
    auto name = child.name;
    if (find(name) != npos) {
      begin_shutdown(caf::make_error(ec::duplicate_child, name));
      break;
    }
    add(std::move(child));
    if (!start(children_.size() - 1)) {
      children_.pop_back();
      begin_shutdown(caf::make_error(ec::child_start_failed, name));
      break;
    }
    emit(supervisor_event::started, children_.back(), "", {}, 0);
  }
  return {
      [this](atom::restart, const std::string& name, uint64_t token) {
        on_restart_timer(name, token);
      },
      [this](atom::children) { return on_children(); },
      [this](atom::start_child, child_spec& spec) {
        return on_start_child(std::move(spec));
      },
      [this](atom::stop_child, const std::string& name) {
        return on_stop_child(name);
      },
      [this](atom::shutdown) { begin_shutdown(caf::exit_reason::normal); },
      [this](atom::shutdown, uint64_t token) { on_shutdown_timeout(token); },
  };
}

// -- callbacks ----------------------------------------------------------------

void supervisor_state::on_down(caf::down_msg& msg) {
  auto i = find(msg.source);
  if (i == npos)
    return; // A former instance, stopped on purpose or already replaced.
  auto& child = children_[i];
  child.handle = caf::actor{};
  auto reason = render(msg.reason);
  if (stopping_) {
    // Only the last child is being waited for; others died on their own.
    auto awaited = i + 1 == children_.size();
    emit(supervisor_event::stopped, child, std::move(reason), {},
         child.restarts);
    children_.erase(children_.begin() + static_cast<ptrdiff_t>(i));
    if (awaited)
      stop_next();
    return;
  }
  auto policy = child.spec.policy;
  auto restart
      = policy == restart_policy::permanent
        || (policy == restart_policy::transient && !is_normal(msg.reason));
  if (!restart) {
    emit(supervisor_event::stopped, child, std::move(reason), {},
         child.restarts);
    children_.erase(children_.begin() + static_cast<ptrdiff_t>(i));
    return;
  }
  emit(supervisor_event::failed, child, reason, {}, child.restarts);
  schedule_restart(i, reason);
}

void supervisor_state::on_exit(caf::exit_msg& msg) {
  if (!msg.reason || msg.reason == caf::exit_reason::normal)
    return;
  begin_shutdown(std::move(msg.reason));
}

void supervisor_state::on_restart_timer(const std::string& name,
                                        uint64_t token) {
  if (stopping_)
    return;
  auto i = find(name);
  if (i == npos || children_[i].token != token || children_[i].handle)
    return;
  auto last = spec_.strategy == restart_strategy::rest_for_one
                  ? children_.size()
                  : i + 1;
  for (auto k = i; k < last; ++k) {
    auto& child = children_[k];
    if (child.handle)
      continue;
    if (!start(k)) {
      auto reason
          = render(caf::make_error(ec::child_start_failed, child.spec.name));
      emit(supervisor_event::failed, child, reason, {}, child.restarts);
      schedule_restart(k, reason);
      return;
    }
    ++child.restarts;
    emit(supervisor_event::restarted, child, "", {}, child.restarts);
  }
}

std::vector<child_status> supervisor_state::on_children() const {
  std::vector<child_status> result;
  result.reserve(children_.size());
  for (auto& child : children_)
    result.push_back(child_status{child.spec.name, child.handle, child.restarts,
                                  static_cast<bool>(child.handle)});
  return result;
}

caf::result<caf::actor> supervisor_state::on_start_child(child_spec spec) {
  if (stopping_)
    return caf::make_error(ec::supervisor_stopping, spec_.name);
  if (find(spec.name) != npos)
    return caf::make_error(ec::duplicate_child, spec.name);
  add(std::move(spec));
  if (!start(children_.size() - 1)) {
    auto name = children_.back().spec.name;
    children_.pop_back();
    return caf::make_error(ec::child_start_failed, std::move(name));
  }
  emit(supervisor_event::started, children_.back(), "", {}, 0);
  return children_.back().handle;
}

caf::result<void> supervisor_state::on_stop_child(const std::string& name) {
  auto i = find(name);
  if (i == npos)
    return caf::make_error(ec::no_such_child, name);
  stop_on_purpose(i);
  children_.erase(children_.begin() + static_cast<ptrdiff_t>(i));
  return caf::unit;
}

void supervisor_state::on_shutdown_timeout(uint64_t token) {
  if (stopping_ && token == stop_token_ && !children_.empty()
      && children_.back().handle)
    self_->send_exit(children_.back().handle, caf::exit_reason::kill);
}

// -- children -----------------------------------------------------------------

size_t supervisor_state::find(const std::string& name) const {
  for (size_t i = 0; i < children_.size(); ++i)
    if (children_[i].spec.name == name)
      return i;
  return npos;
}

size_t supervisor_state::find(const caf::actor_addr& addr) const {
  for (size_t i = 0; i < children_.size(); ++i)
    if (children_[i].handle && children_[i].handle.address() == addr)
      return i;
  return npos;
}

void supervisor_state::add(child_spec spec) {
  auto seed = derive_seed(spec_.seed, children_added_++);
  children_.emplace_back(std::move(spec), backoff_policy{spec_.backoff, seed});
}

bool supervisor_state::start(size_t i) {
  auto& child = children_[i];
  auto handle
      = child.spec.start ? child.spec.start(self_->system()) : caf::actor{};
  if (!handle)
    return false;
  self_->monitor(handle);
  child.handle = std::move(handle);
  child.started = now();
  ++child.token;
  return true;
}

void supervisor_state::stop_on_purpose(size_t i) {
  auto& child = children_[i];
  ++child.token;
  std::string reason;
  if (child.handle) {
    self_->demonitor(child.handle);
    self_->send_exit(child.handle, caf::exit_reason::user_shutdown);
    child.handle = caf::actor{};
    reason = render(caf::exit_reason::user_shutdown);
  }
  emit(supervisor_event::stopped, child, std::move(reason), {}, child.restarts);
}

void supervisor_state::schedule_restart(size_t i, const std::string& reason) {
  auto t = now();
  if (!intensity_.record(t)) {
    escalate(i, reason);
    return;
  }
  if (spec_.strategy == restart_strategy::rest_for_one) {
    for (auto j = children_.size(); j-- > i + 1;) {
      stop_on_purpose(j);
      if (children_[j].spec.policy == restart_policy::temporary)
        children_.erase(children_.begin() + static_cast<ptrdiff_t>(j));
    }
  }
  auto& child = children_[i];
  auto delay = child.backoff.next_delay(child.started, t);
  auto token = ++child.token;
  emit(supervisor_event::restarting, child, reason, delay, child.restarts + 1);
  self_->delayed_send(caf::actor_cast<caf::actor>(self_), delay,
                      atom::restart_v, child.spec.name, token);
}

void supervisor_state::escalate(size_t i, const std::string& reason) {
  auto& child = children_[i];
  emit(supervisor_event::escalated, child, reason, {}, child.restarts);
  begin_shutdown(
      caf::make_error(ec::restart_intensity_exceeded, child.spec.name, reason));
}

// -- shutdown -----------------------------------------------------------------

void supervisor_state::begin_shutdown(caf::error reason) {
  if (stopping_)
    return;
  stopping_ = true;
  stop_reason_ = std::move(reason);
  stop_next();
}

void supervisor_state::stop_next() {
  while (!children_.empty()) {
    auto& child = children_.back();
    if (child.handle) {
      self_->send_exit(child.handle, caf::exit_reason::user_shutdown);
      self_->delayed_send(caf::actor_cast<caf::actor>(self_),
                          spec_.shutdown_timeout, atom::shutdown_v,
                          ++stop_token_);
      return;
    }
    emit(supervisor_event::stopped, child, "", {}, child.restarts);
    children_.pop_back();
  }
  self_->quit(stop_reason_);
}

// -- events -------------------------------------------------------------------

void supervisor_state::emit(supervisor_event::kind_t kind,
                            const child_state& child, std::string reason,
                            std::chrono::milliseconds delay,
                            uint32_t restarts) {
  if (!spec_.on_event)
    return;
  supervisor_event event;
  event.kind = kind;
  event.supervisor = spec_.name;
  event.child = child.spec.name;
  event.reason = std::move(reason);
  event.delay = delay;
  event.restarts = restarts;
  spec_.on_event(event);
}

} // namespace

caf::actor spawn_supervisor_actor(caf::actor_system& sys,
                                  supervisor_spec spec) {
  return spawn_stateful<supervisor_state>(sys, std::move(spec));
}

child_spec supervisor_child(supervisor_spec spec, restart_policy policy) {
  child_spec result;
  result.name = spec.name;
  result.policy = policy;
  result.start = [spec = std::move(spec)](caf::actor_system& sys) {
    return spawn_supervisor_actor(sys, spec);
  };
  return result;
}

} // namespace vigil
