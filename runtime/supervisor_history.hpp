#pragma once

// What the supervisors of a node did lately, kept for the operator.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "runtime/supervisor.hpp"

namespace vigil {

/// One supervisor event as kept by `supervisor_history` (the console's
/// `restarts`).
struct supervisor_record {
  /// When it happened, epoch ms.
  int64_t at_ms = 0;
  /// The supervisor.
  std::string supervisor;
  /// The child.
  std::string child;
  /// What happened: failed, restarting, restarted, escalated, stopped.
  std::string what;
  /// The exit reason or the restart delay.
  std::string reason;
};

/// A bounded, thread-safe history of supervisor events: supervisors record
/// from their threads, the console endpoint reads.
class supervisor_history {
public:
  /// Events kept by default; older ones are dropped.
  static constexpr size_t default_capacity = 256;

  /// Keeps at most `capacity` events (at least 1).
  explicit supervisor_history(size_t capacity = default_capacity);

  /// Records `ev` at `at_ms`; `started` events are not recorded.
  void record(const supervisor_event& ev, int64_t at_ms);

  /// The newest `limit` events, oldest first.
  std::vector<supervisor_record> latest(size_t limit) const;

  /// Events dropped because the history was full.
  uint64_t dropped() const;

private:
  size_t capacity_;
  mutable std::mutex mtx_;
  std::deque<supervisor_record> events_;
  uint64_t dropped_ = 0;
};

} // namespace vigil
