#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "actors/cli/cli_flags.hpp"
#include "actors/cli/commands.hpp"
#include "actors/generator/generator.hpp"

namespace vigil {

namespace {

std::atomic<bool> stop_requested{false};

void on_stop_signal(int) {
  stop_requested.store(true);
}

} // namespace

int run_generate_command(int argc, char** argv) {
  std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
  auto flags = parse_generate_flags(args, wall_clock_ms());
  if (!flags) {
    std::fprintf(stderr, "vigil generate: %s\n", flags.error().c_str());
    return 2;
  }
  if (flags->help) {
    std::fputs(generate_usage(), stdout);
    return 0;
  }
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return run_generator(flags->options, stop_requested);
}

} // namespace vigil
