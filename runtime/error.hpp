#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>
#include <caf/fwd.hpp>
#include <caf/make_message.hpp>

namespace vigil {

/// Error codes of vigil, category `vigil`. Values are pinned: errors travel
/// between nodes and into logs, so never renumber, only append.
enum class ec : uint8_t {
  /// Not an error (CAF treats code 0 as "no error").
  none = 0,
  /// A supervisor saw more restarts than its intensity allows and gave up;
  /// context: (child name, last exit reason of that child).
  restart_intensity_exceeded = 1,
  /// A child's start function returned no actor; context: (child name).
  child_start_failed = 2,
  /// No supervised child has the given name; context: (child name).
  no_such_child = 3,
  /// A supervisor already has a child of the given name; context: (name).
  duplicate_child = 4,
  /// The supervisor is shutting down and accepts no new children.
  supervisor_stopping = 5,
  /// No Kafka broker answered within the configured timeout.
  broker_unreachable = 6,
  /// The database could not be opened or written.
  database_unavailable = 7,
  /// A configuration value is missing, malformed or out of range.
  invalid_config = 8,
};

/// Returns the name of `x`, e.g. "restart_intensity_exceeded".
std::string to_string(ec x);

/// Registers the `vigil` error category so that `actor_system::render`
/// prints code names instead of numbers.
void add_error_category(caf::actor_system_config& cfg);

} // namespace vigil

CAF_ERROR_CODE_ENUM(vigil::ec, "vigil")
