#pragma once

// Pieces shared by the seeded event generators (request, sensor, trade):
// event-time spacing and jitter, scheduled fault windows and their spec
// syntax, JSON text helpers and exact decimal formatting.

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "runtime/expected.hpp"

namespace vigil {

// -- event kinds --------------------------------------------------------------

/// What `vigil generate` produces.
enum class event_kind : uint8_t {
  /// Request events (the event contract of design.md).
  request,
  /// IoT sensor readings.
  sensor,
  /// Market trades.
  trade,
};

/// Returns "request", "sensor" or "trade".
const char* to_string(event_kind kind) noexcept;

/// Parses "request", "sensor" or "trade".
expected<event_kind> parse_event_kind(std::string_view text);

// -- event time ---------------------------------------------------------------

/// Nominal time of event `i` when events start at `start_ms` and come at
/// `rate` per second of event time.
int64_t nominal_time_ms(int64_t start_ms, double rate, uint64_t i) noexcept;

/// Draws a jitter in [0, max_jitter_ms] (0 without drawing if max is 0).
int64_t draw_jitter(std::mt19937_64& rng, int64_t max_jitter_ms);

/// A uniform number in [0, 1).
double unit_uniform(std::mt19937_64& rng);

/// True if `time_ms` lies in [start + start_s, start + start_s + duration_s).
bool in_window(int64_t start_ms, double start_s, double duration_s,
               int64_t time_ms) noexcept;

// -- scheduled specs ----------------------------------------------------------

/// A parsed "TARGET:KIND:START_S:DURATION_S[:PARAM]" text.
struct schedule_spec {
  /// Service, sensor, symbol, or "*".
  std::string target;
  /// The kind, as written.
  std::string kind;
  /// Start, seconds after the generator's start time.
  double start_s = 0;
  /// Length in seconds (> 0).
  double duration_s = 0;
  /// The optional fifth part ("" if absent).
  std::string param;
};

/// Splits and checks a scheduled spec with 4 parts, or 5 if `allow_param`.
/// Errors read "invalid WHAT 'SPEC': REASON; expected EXPECTED".
expected<schedule_spec> parse_schedule_spec(std::string_view spec,
                                            bool allow_param,
                                            const std::string& what,
                                            const std::string& expected_form);

// -- faults of sensor and trade events ----------------------------------------

/// What goes wrong with a sensor or a symbol during a fault.
enum class fault_kind : uint8_t {
  /// Sensor: a measure drifts linearly out of its healthy band.
  drift,
  /// Sensor: the sensor repeats exactly its last reading.
  stuck,
  /// Sensor: physically impossible readings (dead letters).
  out_of_range,
  /// Sensor: a measure field is absent.
  missing,
  /// Trade: the price jumps by PARAM percent (default 8).
  spike,
  /// Any kind: every event is replaced by a malformed one.
  malformed,
};

/// Returns "drift", "stuck", "out_of_range", "missing", "spike" or
/// "malformed".
const char* to_string(fault_kind kind) noexcept;

/// A scripted fault on one sensor or symbol ("*": all of them).
struct fault {
  /// Sensor id, symbol, or "*".
  std::string target;
  /// What happens.
  fault_kind kind = fault_kind::malformed;
  /// Start, seconds after the generator's start time.
  double start_s = 0;
  /// Length in seconds.
  double duration_s = 0;
  /// drift/missing: the measure (default ph); spike: percent (default 8).
  std::string param;
};

/// Parses "TARGET:KIND:START_S:DURATION_S[:PARAM]" for `kind` (sensor or
/// trade), e.g. "sensor-0003:drift:60:300" or "SYM0001:spike:120:30:8".
expected<fault> parse_fault(std::string_view spec, event_kind kind);

/// True if `f` applies to `name` at `time_ms`.
bool fault_active(const fault& f, const std::string& name, int64_t start_ms,
                  int64_t time_ms) noexcept;

// -- generated messages -------------------------------------------------------

/// One message of a sensor or trade generator.
struct generated_message {
  /// Partition key (sensor id or symbol).
  std::string key;
  /// The message text (usually JSON).
  std::string json;
  /// Event time, epoch ms (after jitter).
  int64_t time_ms = 0;
  /// True if a correct reader accepts it: parseable, every field present,
  /// values within the physical ranges.
  bool valid = true;
  /// True if a fault (or --malformed-every) shaped this message.
  bool faulted = false;
  /// The fault that shaped it (meaningful if `faulted`).
  fault_kind fault = fault_kind::malformed;
};

/// The calls every sensor and trade generator offers, derived from its own
/// `next(out, base_time_ms)`, `index()` and `settings()` (start_ms, rate).
template <class Derived>
class message_generator {
public:
  /// Nominal event time of event `i` (before jitter).
  int64_t nominal_time_ms(uint64_t i) const noexcept {
    const auto& s = self().settings();
    return vigil::nominal_time_ms(s.start_ms, s.rate, i);
  }

  /// Returns event number index() at its nominal event time.
  generated_message next() {
    generated_message out;
    next(out);
    return out;
  }

  /// Fills `out` with event number index() at its nominal event time.
  void next(generated_message& out) {
    self().next(out, nominal_time_ms(self().index()));
  }

  /// Appends the next `n` events to `batch`.
  void fill(std::vector<generated_message>& batch, size_t n) {
    for (size_t i = 0; i < n; ++i)
      batch.push_back(next());
  }

private:
  Derived& self() noexcept {
    return static_cast<Derived&>(*this);
  }

  const Derived& self() const noexcept {
    return static_cast<const Derived&>(*this);
  }
};

/// What is wrong with a malformed sensor or trade message, in cycle order.
enum class malformed_variant : uint8_t {
  /// Text cut off in the middle: not JSON.
  truncated,
  /// A measure or the price is a string that is not a number.
  non_numeric,
  /// A negative size (trade) or conductivity (sensor).
  negative,
  /// No `timestamp` field.
  missing_timestamp,
};

/// Number of malformed variants.
constexpr size_t malformed_variant_count = 4;

/// The variant of malformed message number `i`.
malformed_variant malformed_variant_of(uint64_t i) noexcept;

// -- text ---------------------------------------------------------------------

/// Formats epoch ms as `YYYY-MM-DDTHH:MM:SS.mmm` followed by `zone`.
std::string format_event_time(int64_t epoch_ms, const char* zone = "Z");

/// Appends `text` as a JSON string literal.
void append_json_string(std::string& out, const std::string& text);

/// Appends `,"name":"value"`.
void append_json_field(std::string& out, const char* name,
                       const std::string& value);

/// Formats `scaled` / 10^`decimals` exactly, without trailing zeros but with
/// at least one decimal ("101.25", "-3.5", "7.0"): the text parses back to
/// the double nearest to the value.
std::string format_scaled(int64_t scaled, int decimals);

/// The fields of a JSON object in order: name and value as JSON text.
using json_fields = std::vector<std::pair<std::string, std::string>>;

/// Renders `fields` as a JSON object.
std::string json_object(const json_fields& fields);

/// Renders `fields` broken as `variant` says: cut off in the middle
/// (truncated), `numeric_field` as the string "n/a" (non_numeric),
/// `negative_field` negated (negative), or without "timestamp".
std::string malformed_object(malformed_variant variant,
                             const json_fields& fields,
                             const std::string& numeric_field,
                             const std::string& negative_field);

/// Partition of `key` among `partitions` (FNV-1a; stable across runs).
int32_t key_partition(const std::string& key, int32_t partitions) noexcept;

} // namespace vigil
