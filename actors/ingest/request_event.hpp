#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil {

/// One request observed by a service: the event contract of docs/events.md.
struct request_event {
  /// Event time, Unix epoch milliseconds.
  int64_t time_ms = 0;
  /// Name of the service that served the request.
  std::string service;
  /// HTTP-style status code, 100..599; >= 500 is an error.
  int32_t status_code = 0;
  /// Request latency in milliseconds, >= 0.
  double latency_ms = 0;

  bool is_error() const noexcept {
    return status_code >= 500;
  }
};

/// Why an event was rejected. The set is closed so that it can label metrics
/// and dead-letter headers; values are pinned.
enum class invalid_reason : uint8_t {
  /// Not valid JSON (syntax error, invalid UTF-8, truncated).
  not_json = 1,
  /// Valid JSON, but not an object.
  not_object = 2,
  /// A required field is absent.
  missing_field = 3,
  /// A field has the wrong JSON type.
  wrong_type = 4,
  /// The timestamp is not RFC 3339 nor an epoch-millisecond number.
  bad_timestamp = 5,
  /// The status code is not an integer in 100..599.
  bad_status = 6,
  /// The latency is negative, NaN or infinite.
  bad_latency = 7,
  /// The service name is empty, longer than the limit, or holds a control
  /// character (a byte < 0x20 or 0x7f, escaped or not).
  bad_service = 8,
  /// The message is larger than the configured maximum.
  oversized = 9,
  /// Nesting deeper than the limit.
  too_deep = 10,
  /// The event is older than its window's allowed lateness.
  too_late = 11,
  /// The per-node cap of distinct services is reached.
  service_overflow = 12,
  /// A measure of an event kind lies outside its declared valid range (or
  /// is not integral where the declaration says integer).
  out_of_range = 13,
  /// A key field of an event kind is empty, longer than the limit, holds a
  /// control character or the key separator '|'.
  bad_key = 14,
};

/// Number of distinct invalid reasons (for arrays indexed by reason).
constexpr size_t invalid_reason_count = 15;

/// Returns the stable snake_case name of a reason, e.g. "bad_timestamp".
const char* to_string(invalid_reason reason) noexcept;

/// Limits applied while parsing.
struct parse_limits {
  /// Largest accepted message in bytes.
  size_t max_bytes = size_t{64} * 1024;
  /// Longest accepted service name in bytes.
  size_t max_service_length = 128;
  /// Deepest accepted nesting of arrays and objects (in ignored fields).
  size_t max_depth = 32;
};

/// Outcome of parsing one message.
struct parse_outcome {
  /// True if the event is valid and `event` was filled.
  bool ok = false;
  /// The reason when not ok.
  invalid_reason reason = invalid_reason::not_json;
  /// True if the timestamp was repaired (e.g. `+00:00Z`).
  bool repaired = false;
  /// The name of the offending field, when one is known (static string).
  const char* field = nullptr;
};

/// Parses one JSON event of the contract into `out`.
/// Unknown fields are ignored; duplicate known fields: the last one wins.
/// The whole message is scanned, and when it has several problems the reason
/// is the first that applies, in this order:
///   1. `oversized`: longer than `limits.max_bytes` (not parsed at all);
///   2. `not_json`: syntax error, invalid UTF-8, truncation, trailing bytes,
///      NaN/Infinity tokens, numbers that overflow a double;
///   3. `too_deep`: nesting deeper than `limits.max_depth` (the top-level
///      object is depth 1);
///   4. `not_object`: the top-level value is not an object;
///   5. `wrong_type`: a required field has the wrong JSON type (or null);
///   6. `missing_field`: a required field is absent;
///   7. `bad_timestamp`, `bad_service`, `bad_status`, `bad_latency`: a
///      required field has a bad value; a service is bad when empty, longer
///      than `limits.max_service_length` bytes, or holding a control byte
///      (< 0x20 or 0x7f: raw C0 bytes are already `not_json`, so this
///      catches escapes such as `\u0000` or `\n` and a raw DEL).
/// Within 5, 6 and 7 fields are checked in the order timestamp, service,
/// status_code, latency_ms, and `field` of the outcome names the first
/// offender. On success, `out` holds a service of 1..max_service_length bytes
/// without control bytes, a status in 100..599, a finite latency >= 0, and a
/// time within years 1..9999 (UTC). On failure, `out` is unspecified.
///
/// Valid events take a fast path (simdjson's validating DOM parser); any
/// input it does not accept as a clearly valid event is decided by
/// `parse_request_event_reference`, so the outcome and `out` are always those
/// of the reference.
parse_outcome parse_request_event(std::string_view json, request_event& out,
                                  const parse_limits& limits = {});

/// Bytes after a message that the fast path reads when it parses in place
/// (at least simdjson::SIMDJSON_PADDING); their content does not matter.
constexpr size_t parse_padding = 64;

/// As above, where the caller guarantees that `readable_after` bytes after
/// `json` may be read; with at least `parse_padding` of them the message is
/// parsed in place, otherwise it is first copied into a padded buffer.
parse_outcome parse_request_event(std::string_view json, request_event& out,
                                  const parse_limits& limits,
                                  size_t readable_after);

/// The reference (slow) path: a streaming nlohmann/json SAX parse that
/// defines the outcome of every input. `parse_request_event` returns exactly
/// what this returns; it is public so that tests can compare the two.
parse_outcome parse_request_event_reference(std::string_view json,
                                            request_event& out,
                                            const parse_limits& limits = {});

} // namespace vigil
