// libFuzzer target: parse_request_event on arbitrary bytes.
//
// Each input is parsed with the default limits and with tiny ones, and the
// documented postconditions are checked; a violation aborts with a message so
// that libFuzzer keeps the input as a crash artifact.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "actors/ingest/request_event.hpp"
#include "runtime/timestamp.hpp"

namespace {

using vigil::invalid_reason;
using vigil::parse_limits;
using vigil::parse_outcome;
using vigil::request_event;

/// Earliest instant of year 1 and last millisecond of year 9999 (UTC).
constexpr int64_t min_epoch_ms = -62'135'596'800'000;
constexpr int64_t max_epoch_ms = 253'402'300'799'999;

/// Aborts with `what` when `condition` does not hold.
void check(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "invariant violated: %s\n", what);
    std::abort();
  }
}

/// Limits so small that every reason is reachable from short inputs.
parse_limits tiny_limits() {
  parse_limits limits;
  limits.max_bytes = 96;
  limits.max_service_length = 4;
  limits.max_depth = 2;
  return limits;
}

/// Checks the postconditions of one outcome under `limits`.
void check_outcome(std::string_view input, const parse_outcome& outcome,
                   const request_event& ev, const parse_limits& limits) {
  if (!outcome.ok) {
    const auto reason = static_cast<size_t>(outcome.reason);
    check(reason >= 1 && reason < vigil::invalid_reason_count,
          "reason out of range");
    check(std::strcmp(to_string(outcome.reason), "unknown") != 0,
          "reason has no name");
    check(outcome.reason != invalid_reason::too_late
              && outcome.reason != invalid_reason::service_overflow,
          "parser returned a pipeline-only reason");
    check((outcome.reason == invalid_reason::oversized)
              == (input.size() > limits.max_bytes),
          "oversized iff longer than max_bytes");
    return;
  }
  check(outcome.field == nullptr, "accepted event names a field");
  check(input.size() <= limits.max_bytes, "accepted an oversized message");
  check(!ev.service.empty(), "empty service");
  check(ev.service.size() <= limits.max_service_length, "service too long");
  for (const char c : ev.service) {
    const auto byte = static_cast<unsigned char>(c);
    check(byte >= 0x20 && byte != 0x7f, "control character in service");
  }
  check(ev.status_code >= 100 && ev.status_code <= 599, "status out of range");
  check(std::isfinite(ev.latency_ms), "latency not finite");
  check(ev.latency_ms >= 0, "negative latency");
  check(!std::signbit(ev.latency_ms), "latency is -0");
  check(ev.time_ms >= min_epoch_ms && ev.time_ms <= max_epoch_ms,
        "time outside years 1..9999");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  static const parse_limits defaults;
  static const parse_limits tiny = tiny_limits();

  request_event full_ev;
  const auto full = vigil::parse_request_event(input, full_ev, defaults);
  check_outcome(input, full, full_ev, defaults);

  request_event tiny_ev;
  const auto small = vigil::parse_request_event(input, tiny_ev, tiny);
  check_outcome(input, small, tiny_ev, tiny);

  // Tiny limits are strictly tighter: what they accept, defaults accept with
  // the same values; syntax errors do not depend on limits.
  if (small.ok) {
    check(full.ok, "accepted under tiny limits only");
    check(full_ev.service == tiny_ev.service
              && full_ev.status_code == tiny_ev.status_code
              && full_ev.time_ms == tiny_ev.time_ms
              && full.repaired == small.repaired,
          "limits changed the parsed values");
  }
  if (input.size() <= tiny.max_bytes)
    check((full.reason == invalid_reason::not_json && !full.ok)
              == (small.reason == invalid_reason::not_json && !small.ok),
          "not_json depends on the limits");

  // Parsing into a reused event gives the same outcome (no stale state).
  const auto again = vigil::parse_request_event(input, tiny_ev, defaults);
  check(again.ok == full.ok && again.reason == full.reason
            && again.field == full.field,
        "reparsing changed the outcome");
  if (again.ok)
    check(tiny_ev.service == full_ev.service
              && tiny_ev.time_ms == full_ev.time_ms,
          "reparsing changed the event");
  return 0;
}
