#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "actors/ingest/request_event.hpp"

namespace vigil {

struct kind_schema;

/// One event of a declared kind (runtime/event_kind.hpp), as parsed.
struct kind_event {
  /// Event time, Unix epoch milliseconds.
  int64_t time_ms = 0;
  /// The key values joined by '|', in declaration order.
  std::string key;
  /// One value per declared measure, in declaration order.
  std::vector<double> values;
};

/// Parses one JSON event of `kind` into `out`. Unknown fields are ignored;
/// duplicate fields: the last one wins. The reason of a rejected event is
/// the first that applies, in this order:
///   1. `oversized`: longer than `limits.max_bytes`;
///   2. `not_json` (syntax, UTF-8, truncation, numbers beyond a double) or
///      `too_deep` (nesting beyond `limits.max_depth`);
///   3. `not_object`: the top-level value is not an object;
///   4. `wrong_type`: the time field is neither a string nor a number, a key
///      is not a string, or a measure is not a number (null included);
///   5. `missing_field`: the time field, a key or a measure is absent;
///   6. `bad_timestamp`, then `bad_key` (empty, longer than
///      `limits.max_service_length`, a control character or '|'), then
///      `out_of_range` (outside the declared valid range, or not integral
///      where the declaration says integer).
/// Within 4 to 6 the fields are checked in the order time, keys, measures,
/// and `field` of the outcome names the first offender (a pointer into
/// `kind`, valid as long as it lives). `readable_after` is as for
/// `parse_request_event`.
parse_outcome parse_kind_event(std::string_view json, const kind_schema& kind,
                               kind_event& out, const parse_limits& limits,
                               size_t readable_after = 0);

} // namespace vigil
