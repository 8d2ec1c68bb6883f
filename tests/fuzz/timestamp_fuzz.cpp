// libFuzzer target: the RFC 3339 and epoch-millisecond timestamp parsers.
//
// The bytes are parsed as RFC 3339 text and, when at least 8 long, their
// first 8 bytes are reinterpreted as a double for parse_epoch_ms. Every
// accepted instant must lie in years 1..9999 and survive a round trip
// through format_rfc3339.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "runtime/timestamp.hpp"

namespace {

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

/// Checks that an accepted instant is in range and round-trips.
void check_round_trip(int64_t epoch_ms) {
  check(epoch_ms >= min_epoch_ms && epoch_ms <= max_epoch_ms,
        "instant outside years 1..9999");
  const std::string text = vigil::format_rfc3339(epoch_ms);
  check(text.size() == 24, "formatted timestamp is not 24 characters");
  const auto again = vigil::parse_rfc3339(text);
  check(again.has_value(), "formatted timestamp does not parse");
  check(again->epoch_ms == epoch_ms, "round trip changed the instant");
  check(!again->repaired, "formatted timestamp needed a repair");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text{reinterpret_cast<const char*>(data), size};
  if (const auto parsed = vigil::parse_rfc3339(text)) {
    check_round_trip(parsed->epoch_ms);
    // The repair applies to exactly one known defect.
    const std::string_view marker = "+00:00Z";
    check(!parsed->repaired
              || (text.size() >= marker.size()
                  && text.substr(text.size() - marker.size()) == marker),
          "repaired without the +00:00Z marker");
  }
  if (size >= sizeof(double)) {
    double value = 0;
    std::memcpy(&value, data, sizeof(value));
    if (const auto parsed = vigil::parse_epoch_ms(value)) {
      check(std::isfinite(value) && std::trunc(value) == value,
            "accepted a non-integral or non-finite epoch");
      check(static_cast<double>(parsed->epoch_ms) == value,
            "epoch conversion changed the value");
      check(!parsed->repaired, "epoch number reported repaired");
      check_round_trip(parsed->epoch_ms);
    }
  }
  return 0;
}
