#pragma once

// Runs vigil's own binary as a child process in integration tests.

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

namespace vigil::test {

/// The outcome of a child process.
struct process_result {
  /// Exit status, or -signal if killed by a signal, or -1000 on timeout.
  int status = -1;
  /// Everything written to standard output.
  std::string out;
  /// Everything written to standard error.
  std::string err;
};

/// Path of the `vigil` binary under test (VIGIL_BIN, set by CTest).
std::string vigil_binary();

/// Directory of the vigil binary under test: the build directory (holds
/// web-npm/ with the browser tests' drivers and node_modules).
std::string build_dir();

/// Full path of `name` on PATH ("" if absent): the process helpers exec
/// without a PATH search.
std::string find_program(const std::string& name);

/// Runs `args` (args[0] is the program) and waits at most `timeout`; a child
/// still running then is killed and status is -1000.
process_result run_process(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout);

/// A child process running in the background, its output sent to files.
class background_process {
public:
  /// Starts `args` (args[0] is the program); stdout and stderr go to
  /// `out_file` and `err_file`.
  background_process(const std::vector<std::string>& args,
                     const std::string& out_file, const std::string& err_file);

  /// Kills the process if it still runs.
  ~background_process();

  background_process(const background_process&) = delete;
  background_process& operator=(const background_process&) = delete;

  /// Sends a signal.
  void signal(int sig);

  /// Waits at most `timeout` for the exit; returns the status as
  /// run_process does (-1000 on timeout, the process keeps running).
  int wait(std::chrono::milliseconds timeout);

  /// True while the process has not been reaped.
  bool running() const noexcept {
    return pid_ > 0;
  }

private:
  int pid_ = -1;
};

/// Checks `ready` every `every` until it holds or `timeout` passes; returns
/// its last value. For integration tests against real time (a running demo),
/// never as a substitute for the test coordinator.
bool wait_until(std::chrono::milliseconds timeout,
                const std::function<bool()>& ready,
                std::chrono::milliseconds every
                = std::chrono::milliseconds(250));

/// Binds a loopback TCP socket to a free port, listening on it if `listen`;
/// returns the descriptor (the caller closes it) and sets `port`. Throws
/// std::runtime_error if no socket can be bound.
int bind_loopback(bool listen, int& port);

/// A loopback TCP port that was free a moment ago (bound, then released):
/// nothing listens on it.
int free_loopback_port();

/// Keeps a real-time fault in place for `d` (a broker down, a database
/// lock) in an integration test; never used to wait for a result.
void hold_for(std::chrono::milliseconds d);

/// Reads a whole file ("" if missing).
std::string read_file(const std::string& path);

/// A unique, empty temporary directory, removed by the destructor.
class temp_dir {
public:
  temp_dir();
  ~temp_dir();
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;

  const std::string& path() const noexcept {
    return path_;
  }

  /// `path()/name`.
  std::string file(const std::string& name) const {
    return path_ + "/" + name;
  }

private:
  std::string path_;
};

} // namespace vigil::test
