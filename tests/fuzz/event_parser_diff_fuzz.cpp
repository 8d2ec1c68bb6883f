// libFuzzer target: the fast parse_request_event against the reference.
//
// Each input is parsed by parse_request_event (copied into a padded buffer,
// and in place with arbitrary bytes after it) and by
// parse_request_event_reference, under several limits; any difference in
// ok, reason, field, repaired or the event's values aborts, so that libFuzzer
// keeps the input as a crash artifact.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "actors/ingest/request_event.hpp"
#include "support/parse_compare.hpp"

namespace {

using vigil::parse_limits;
using vigil::parse_outcome;
using vigil::request_event;

/// Prints one outcome and its event.
void print(const char* name, const parse_outcome& outcome,
           const request_event& ev) {
  std::fprintf(stderr, "%s: %s\n", name,
               vigil::test::describe(outcome, ev).c_str());
}

/// Aborts unless the fast path agrees with the reference on `input`.
void compare(std::string_view input, const parse_limits& limits,
             const char* limits_name) {
  request_event ref_ev;
  const auto ref = vigil::parse_request_event_reference(input, ref_ev, limits);

  // Copied into the parser's padded buffer.
  request_event fast_ev;
  const auto fast = vigil::parse_request_event(input, fast_ev, limits);

  // In place, followed by bytes that would matter if they were parsed: the
  // input again, then closing characters.
  std::string buffer{input};
  buffer.append(input.substr(0, vigil::parse_padding));
  buffer.append(vigil::parse_padding, '}');
  request_event in_place_ev;
  const auto in_place = vigil::parse_request_event(
      std::string_view{buffer.data(), input.size()}, in_place_ev, limits,
      buffer.size() - input.size());

  const bool fast_ok = vigil::test::same_result(fast, fast_ev, ref, ref_ev);
  const bool in_place_ok
      = vigil::test::same_result(in_place, in_place_ev, ref, ref_ev);
  if (fast_ok && in_place_ok)
    return;
  std::fprintf(stderr, "fast path and reference differ (%s limits)\n",
               limits_name);
  print("reference", ref, ref_ev);
  print("fast", fast, fast_ev);
  print("in place", in_place, in_place_ev);
  std::abort();
}

/// Limits so small that every reason is reachable from short inputs.
parse_limits tiny_limits() {
  parse_limits limits;
  limits.max_bytes = 96;
  limits.max_service_length = 4;
  limits.max_depth = 2;
  return limits;
}

/// Only the top-level object is allowed: any nested value is too deep.
parse_limits flat_limits() {
  parse_limits limits;
  limits.max_depth = 1;
  return limits;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input{reinterpret_cast<const char*>(data), size};
  static const parse_limits defaults;
  static const parse_limits tiny = tiny_limits();
  static const parse_limits flat = flat_limits();
  compare(input, defaults, "default");
  compare(input, tiny, "tiny");
  compare(input, flat, "flat");
  return 0;
}
