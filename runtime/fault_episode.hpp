#pragma once

// Turns a stream of fault reports and success signals from a dependency (a
// broker, a database) into one log line when a failure episode starts and one
// when it ends, instead of one line per retry.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <unordered_set>

namespace vigil {

/// How old an episode must be before a queued success can end it.
constexpr std::chrono::milliseconds success_settle{1000};

/// Logs failure episodes of one dependency. An episode starts with the first
/// fault reported while none is open ("<prefix>: <what>, retrying with
/// backoff") and ends with a success ("<prefix>: recovered after 10.2 s; 37
/// errors suppressed"); every report in between is only counted.
///
/// Reporters that deliver results through a queue (librdkafka's consumer and
/// delivery-report queues) can hand out results that were queued before the
/// fault: such a result is no evidence of recovery. So a reporter's success
/// ends an episode only after the same reporter delivered a queued fault in
/// that episode (`queued_fault`), i.e. the success was queued after the fault.
///
/// Thread-safe: reports may come from any thread.
class fault_episode_log {
public:
  using clock = std::chrono::steady_clock;

  /// Returns the current time (injectable for tests).
  using clock_function = std::function<clock::time_point()>;

  /// Writes one log line (without a trailing newline).
  using sink_function = std::function<void(const std::string&)>;

  /// Identifies a reporter, e.g. a librdkafka client handle.
  using reporter_id = const void*;

  /// Prefixes every line with `prefix` ("kafka") and writes it to `sink`.
  fault_episode_log(std::string prefix, sink_function sink,
                    clock_function now = clock::now,
                    std::chrono::milliseconds notice_interval
                    = std::chrono::seconds{60});

  /// A fault observed as it happens: opens an episode (logging `what`) if
  /// none is open, else counts it.
  void fault(const std::string& what);

  /// A fault delivered through `who`'s result queue, possibly long after it
  /// happened: never opens an episode; inside one it is counted and lets
  /// `who`'s next success end it.
  void queued_fault(reporter_id who);

  /// A result delivered through `who`'s result queue: ends the open episode
  /// if `who` delivered a queued fault in it and the episode is at least
  /// `success_settle` old. Cheap when no episode is open.
  void success(reporter_id who);

  /// A success observed as it happens (a synchronous round trip): ends the
  /// open episode.
  void recovered();

  /// A warning worth one line: logged ("<prefix>: <text>") unless an episode
  /// is open (then counted) or a notice with the same `key` was logged less
  /// than the notice interval ago (then counted and mentioned with the next
  /// notice of that key).
  void notice(const std::string& key, const std::string& text);

  /// A problem that must always be seen: logged, never suppressed.
  void alert(const std::string& text);

  /// Whether an episode is open.
  bool in_episode() const noexcept {
    return open_.load();
  }

  /// Episodes started so far.
  uint64_t episodes() const;

  /// Reports counted (not logged) in the open episode.
  uint64_t suppressed() const;

private:
  struct notice_state {
    clock::time_point logged;
    uint64_t repeats = 0;
  };

  void end_episode();

  std::string prefix_;
  sink_function sink_;
  clock_function now_;
  std::chrono::milliseconds notice_interval_;
  std::atomic<bool> open_{false};
  mutable std::mutex mtx_;
  clock::time_point started_;
  uint64_t episodes_ = 0;
  uint64_t suppressed_ = 0;
  std::unordered_set<reporter_id> armed_;
  std::map<std::string, notice_state> notices_;
};

} // namespace vigil
