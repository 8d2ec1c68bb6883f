#include "actors/cli/signals.hpp"

#include <csignal>

namespace vigil {

std::atomic<bool> stop_requested{false};

namespace {

extern "C" void on_stop_signal(int) {
  stop_requested.store(true);
}

} // namespace

void install_stop_signals() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  // The first signal asks for a clean stop; the handler resets itself so that
  // a second one terminates the process at once.
  sa.sa_flags = SA_RESETHAND;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

} // namespace vigil
