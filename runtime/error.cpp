#include "runtime/error.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/atom.hpp>
#include <caf/message.hpp>

namespace vigil {

std::string to_string(ec x) {
  switch (x) {
  case ec::none:
    return "none";
  case ec::restart_intensity_exceeded:
    return "restart_intensity_exceeded";
  case ec::child_start_failed:
    return "child_start_failed";
  case ec::no_such_child:
    return "no_such_child";
  case ec::duplicate_child:
    return "duplicate_child";
  case ec::supervisor_stopping:
    return "supervisor_stopping";
  case ec::broker_unreachable:
    return "broker_unreachable";
  case ec::database_unavailable:
    return "database_unavailable";
  case ec::invalid_config:
    return "invalid_config";
  }
  return "unknown_vigil_error(" + std::to_string(static_cast<int>(x)) + ")";
}

// The templated add_error_category<T> of CAF 0.17.6 does not compile (its
// lambda has the wrong signature), hence the explicit renderer.
void add_error_category(caf::actor_system_config& cfg) {
  auto render = [](uint8_t code, caf::atom_value, const caf::message& ctx) {
    auto result = "vigil::" + to_string(static_cast<ec>(code));
    if (!ctx.empty())
      result += caf::to_string(ctx);
    return result;
  };
  cfg.add_error_category(caf::atom("vigil"), render);
}

} // namespace vigil
