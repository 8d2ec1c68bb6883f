#include "runtime/supervisor_history.hpp"

#include <algorithm>
#include <utility>

namespace vigil {

supervisor_history::supervisor_history(size_t capacity)
    : capacity_(std::max<size_t>(1, capacity)) {
  // nop
}

void supervisor_history::record(const supervisor_event& ev, int64_t at_ms) {
  if (ev.kind == supervisor_event::started)
    return;
  supervisor_record x;
  x.at_ms = at_ms;
  x.supervisor = ev.supervisor;
  x.child = ev.child;
  x.what = to_string(ev.kind);
  if (ev.kind == supervisor_event::restarting)
    x.reason = "restart #" + std::to_string(ev.restarts) + " in "
               + std::to_string(ev.delay.count()) + " ms";
  else if (ev.kind == supervisor_event::restarted)
    x.reason = "restart #" + std::to_string(ev.restarts);
  else
    x.reason = ev.reason;
  std::lock_guard<std::mutex> guard{mtx_};
  if (events_.size() == capacity_) {
    events_.pop_front();
    ++dropped_;
  }
  events_.push_back(std::move(x));
}

std::vector<supervisor_record> supervisor_history::latest(size_t limit) const {
  std::lock_guard<std::mutex> guard{mtx_};
  auto n = std::min(limit, events_.size());
  return {events_.end() - static_cast<std::ptrdiff_t>(n), events_.end()};
}

uint64_t supervisor_history::dropped() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return dropped_;
}

} // namespace vigil
