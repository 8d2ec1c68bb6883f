#pragma once

// Comparing and describing event-parser outcomes: shared by the parser's unit
// tests and its differential fuzz target (header-only, no test framework).

#include <cstdio>
#include <cstring>
#include <ostream>
#include <string>

#include "actors/ingest/request_event.hpp"

namespace vigil {

/// Prints reasons by name in test diagnostics.
inline std::ostream& operator<<(std::ostream& os, invalid_reason reason) {
  return os << to_string(reason);
}

namespace test {

/// True if the two outcomes are identical, and so are the events when ok.
inline bool same_result(const parse_outcome& a, const request_event& a_ev,
                        const parse_outcome& b, const request_event& b_ev) {
  const bool same_field = a.field == b.field
                          || (a.field != nullptr && b.field != nullptr
                              && std::strcmp(a.field, b.field) == 0);
  if (a.ok != b.ok || a.repaired != b.repaired || !same_field)
    return false;
  if (!a.ok)
    return a.reason == b.reason;
  return a_ev.time_ms == b_ev.time_ms && a_ev.service == b_ev.service
         && a_ev.status_code == b_ev.status_code
         && std::memcmp(&a_ev.latency_ms, &b_ev.latency_ms, sizeof(double))
                == 0;
}

/// Describes an outcome and its event for failure messages.
inline std::string describe(const parse_outcome& outcome,
                            const request_event& ev) {
  if (!outcome.ok)
    return std::string{"rejected "} + to_string(outcome.reason) + " field "
           + (outcome.field ? outcome.field : "-");
  char latency[32];
  std::snprintf(latency, sizeof(latency), "%a", ev.latency_ms);
  return "ok time " + std::to_string(ev.time_ms) + " service '" + ev.service
         + "' status " + std::to_string(ev.status_code) + " latency " + latency
         + (outcome.repaired ? " repaired" : "");
}

} // namespace test
} // namespace vigil
