#pragma once

#include <string>

#include <caf/fwd.hpp>

namespace vigil {

/// Spawns the dead-letter producer: writes each rejected record to `topic`
/// with its reason, source partition and offset as headers. `flush` waits
/// until every dead letter is acknowledged and replies with the count.
caf::actor spawn_dlq_producer(caf::actor_system& sys, std::string brokers,
                              std::string topic);

} // namespace vigil
