#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil {

/// The result of parsing a timestamp.
struct parsed_timestamp {
  /// Unix epoch milliseconds (fractions below 1 ms are truncated toward
  /// negative infinity).
  int64_t epoch_ms = 0;
  /// True if the input had a known defect that was repaired, e.g. the double
  /// zone marker `+00:00Z`.
  bool repaired = false;
};

/// Parses an RFC 3339 timestamp:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`. Accepts `t` or a space
/// for `T`, `z` for `Z`, 1 to 9 fraction digits, and the known-bad double
/// marker `+00:00Z` (reported as repaired). Rejects anything else, including
/// out-of-range fields (month 13, Feb 30, hour 24, offset beyond 23:59),
/// missing zone, trailing garbage, and instants outside years 1..9999 UTC once
/// the offset is applied (0001-01-01T00:00:00+01:00).
std::optional<parsed_timestamp> parse_rfc3339(std::string_view text) noexcept;

/// Accepts an epoch-milliseconds number; rejects NaN, infinities, values with
/// a magnitude beyond year 9999 and non-integral values.
std::optional<parsed_timestamp> parse_epoch_ms(double value) noexcept;

/// Formats epoch milliseconds as RFC 3339 UTC with milliseconds,
/// e.g. `2026-01-11T23:09:52.214Z`.
std::string format_rfc3339(int64_t epoch_ms);

/// Formats the UTC second of epoch milliseconds (floored, also before 1970)
/// with a strftime `layout`, e.g. "%Y-%m-%d %H:%M:%SZ" or "%H:%M:%S"; for
/// operator-facing text (console, doctor, incident summaries).
std::string format_utc(int64_t epoch_ms, const char* layout);

} // namespace vigil
