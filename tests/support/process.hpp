#pragma once

// Runs vigil's own binary as a child process in integration tests.

#include <chrono>
#include <cstdlib>
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

/// Runs `args` (args[0] is the program) and waits at most `timeout`; a child
/// still running then is killed and status is -1000.
process_result run_process(const std::vector<std::string>& args,
                           std::chrono::milliseconds timeout);

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
