#pragma once

#include <atomic>

namespace vigil {

/// Set once SIGINT or SIGTERM arrives (after install_stop_signals()).
extern std::atomic<bool> stop_requested;

/// Makes SIGINT and SIGTERM set `stop_requested` instead of killing the
/// process, so commands can stop cleanly.
void install_stop_signals();

} // namespace vigil
