#include "runtime/exit_watchdog.hpp"

#include <cstdio>
#include <dirent.h>
#include <fstream>
#include <map>
#include <unistd.h>

namespace vigil {

namespace {

std::string first_line(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  std::getline(in, line);
  return line;
}

/// The state letter of /proc/.../stat (the field after the parenthesized
/// name, which may itself contain blanks or parentheses).
std::string state_of(const std::string& stat) {
  auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size())
    return "?";
  return stat.substr(close + 2, 1);
}

} // namespace

std::string describe_threads() {
  std::map<long, std::string> lines;
  if (auto* dir = ::opendir("/proc/self/task")) {
    while (auto* entry = ::readdir(dir)) {
      std::string tid = entry->d_name;
      if (tid.empty() || tid[0] == '.')
        continue;
      auto base = "/proc/self/task/" + tid;
      auto wchan = first_line(base + "/wchan");
      lines[std::stol(tid)]
          = "  " + tid + " " + first_line(base + "/comm") + " (state "
            + state_of(first_line(base + "/stat"))
            + (wchan.empty() || wchan == "0" ? std::string{}
                                             : ", waiting in " + wchan)
            + ")\n";
    }
    ::closedir(dir);
  }
  std::string out;
  for (auto& [tid, line] : lines)
    out += line;
  return out;
}

exit_watchdog::~exit_watchdog() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    disarmed_ = true;
  }
  cv_.notify_all();
  if (timer_.joinable())
    timer_.join();
}

void exit_watchdog::arm(std::chrono::milliseconds grace, int status,
                        std::string what) {
  if (timer_.joinable())
    return;
  timer_ = std::thread{[this, grace, status, what = std::move(what)] {
    std::unique_lock<std::mutex> guard{mtx_};
    if (cv_.wait_for(guard, grace, [this] { return disarmed_; }))
      return;
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%.1f",
                  static_cast<double>(grace.count()) / 1000.0);
    auto text = "vigil: " + what + " did not finish within " + seconds
                + " s; exiting with status " + std::to_string(status)
                + "; threads still running:\n" + describe_threads();
    std::fputs(text.c_str(), stderr);
    std::fflush(stderr);
    std::fflush(stdout);
    ::_exit(status);
  }};
}

} // namespace vigil
