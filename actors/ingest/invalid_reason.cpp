#include "actors/ingest/request_event.hpp"

namespace vigil {

const char* to_string(invalid_reason reason) noexcept {
  switch (reason) {
  case invalid_reason::not_json:
    return "not_json";
  case invalid_reason::not_object:
    return "not_object";
  case invalid_reason::missing_field:
    return "missing_field";
  case invalid_reason::wrong_type:
    return "wrong_type";
  case invalid_reason::bad_timestamp:
    return "bad_timestamp";
  case invalid_reason::bad_status:
    return "bad_status";
  case invalid_reason::bad_latency:
    return "bad_latency";
  case invalid_reason::bad_service:
    return "bad_service";
  case invalid_reason::oversized:
    return "oversized";
  case invalid_reason::too_deep:
    return "too_deep";
  case invalid_reason::too_late:
    return "too_late";
  case invalid_reason::service_overflow:
    return "service_overflow";
  case invalid_reason::out_of_range:
    return "out_of_range";
  case invalid_reason::bad_key:
    return "bad_key";
  }
  return "unknown";
}

} // namespace vigil
