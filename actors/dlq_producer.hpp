#pragma once

#include <memory>
#include <string>

#include <caf/fwd.hpp>

namespace vigil {

class metric_factory;

/// Spawns the dead-letter producer: writes each rejected record to `topic`
/// with its reason, source partition and offset as headers. `flush` waits
/// until every dead letter is acknowledged and replies with the count. Each
/// acknowledged dead letter counts in `vigil_dead_letters_total{reason}` of
/// `metrics` (if not null); delivery reports are served at least every
/// 100 ms while dead letters are in flight.
caf::actor spawn_dlq_producer(caf::actor_system& sys, std::string brokers,
                              std::string topic,
                              std::shared_ptr<metric_factory> metrics
                              = nullptr);

} // namespace vigil
