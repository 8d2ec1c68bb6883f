#pragma once

#include <cstdint>

#include <caf/fwd.hpp>

#include "actors/ingest/partition_processor.hpp"

namespace vigil {

/// Spawns the task that owns one Kafka partition: it turns record batches into
/// window partials for `merger`, sends rejected records to `dlq`, and forwards
/// barriers and end-of-partition markers in order.
caf::actor spawn_partition_task_actor(caf::actor_system& sys, int32_t partition,
                                      partition_processor_config settings,
                                      caf::actor merger, caf::actor dlq);

} // namespace vigil
