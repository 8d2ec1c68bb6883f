#pragma once

// Number reading shared by the event parsers (simdjson DOM).

#include <simdjson.h>

namespace vigil {

/// Reads a JSON number as a double: integers are converted, floats taken as
/// they are. False if `value` is not a number.
inline bool json_number(simdjson::dom::element value, double& result) noexcept {
  using simdjson::dom::element_type;
  switch (value.type()) {
  case element_type::INT64:
    result = static_cast<double>(value.get_int64().value_unsafe());
    return true;
  case element_type::UINT64:
    result = static_cast<double>(value.get_uint64().value_unsafe());
    return true;
  case element_type::DOUBLE:
    result = value.get_double().value_unsafe();
    return true;
  default:
    return false;
  }
}

} // namespace vigil
