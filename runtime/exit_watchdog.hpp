#pragma once

// A last line of defence for process exit: once a node has stopped and its
// last checkpoint is durable, tearing down the runtime (actor system,
// network, HTTP server, Kafka clients) must not keep the process alive.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace vigil {

/// One line per thread of this process: "  tid NAME (state S, waiting in
/// WCHAN)", read from /proc/self/task.
std::string describe_threads();

/// Ends the process with a given status if what follows `arm` does not
/// finish in time. Construct it before the objects whose destruction it
/// guards (so that it is destroyed after them); its destructor disarms it.
class exit_watchdog {
public:
  exit_watchdog() = default;

  exit_watchdog(const exit_watchdog&) = delete;
  exit_watchdog& operator=(const exit_watchdog&) = delete;

  /// Disarms and joins the timer thread.
  ~exit_watchdog();

  /// Starts the timer: unless this watchdog is destroyed within `grace`, it
  /// writes "vigil: <what> did not finish within N.N s; exiting with
  /// status S" and the threads still running (describe_threads) to standard
  /// error and calls _exit(status). Arming twice has no effect.
  void arm(std::chrono::milliseconds grace, int status, std::string what);

private:
  std::mutex mtx_;
  std::condition_variable cv_;
  bool disarmed_ = false;
  std::thread timer_;
};

} // namespace vigil
