#include "actors/ingest/request_event.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <string_view>

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "actors/ingest/json_number.hpp"

#include "runtime/timestamp.hpp"

// Validation of one event, streaming over nlohmann/json's SAX interface.
//
// The whole message is always scanned, so that the reason does not depend on
// where in the message the problems are; the reason precedence is documented
// at parse_request_event in the header. nlohmann rejects numbers that overflow
// a double (1e999) as a parse error, so they are not_json, not bad_latency.
// Type rules: timestamp is a string (RFC 3339) or a number (epoch ms, must be
// integral); service is a string; status_code is an integer (200.0 and 2e2
// are floats and so wrong_type); latency_ms is any number. Only top-level
// keys are fields: a "service" key inside a nested object is ignored. For a
// duplicated field the last occurrence wins.
//
// That SAX parse is the reference. In front of it sits a fast path on
// simdjson's DOM parser, which validates the whole message (syntax, UTF-8,
// escapes, trailing bytes) before anything is read from it. The fast path only
// ever answers "valid, with these values"; for anything else (a simdjson error
// of any kind, a wrong type, a bad value, a missing field, nesting beyond the
// limit) it steps aside and the reference decides. So the fast path accepting
// implies the reference accepting with the same values, and every rejection
// comes from the reference. tests/fuzz/event_parser_diff_fuzz.cpp checks this.

namespace vigil {

namespace {

using json = nlohmann::json;

/// The required fields, in precedence order.
enum class field_id : uint8_t { timestamp, service, status_code, latency_ms };

constexpr size_t field_count = 4;

constexpr std::array<const char*, field_count> field_names
    = {"timestamp", "service", "status_code", "latency_ms"};

constexpr std::array<invalid_reason, field_count> bad_value_reasons
    = {invalid_reason::bad_timestamp, invalid_reason::bad_service,
       invalid_reason::bad_status, invalid_reason::bad_latency};

/// What the last occurrence of a field looked like.
enum class field_state : uint8_t { absent, valid, wrong_type, bad_value };

/// Marker for "the next value does not belong to a required field".
constexpr auto no_field = static_cast<uint8_t>(field_count);

/// Maps a top-level key to a field; the four names have distinct lengths.
uint8_t lookup_field(std::string_view key) noexcept {
  auto match = [&key](field_id id) -> uint8_t {
    const auto index = static_cast<size_t>(id);
    return std::memcmp(key.data(), field_names[index], key.size()) == 0
               ? static_cast<uint8_t>(index)
               : no_field;
  };
  switch (key.size()) {
  case 9:
    return match(field_id::timestamp);
  case 7:
    return match(field_id::service);
  case 11:
    return match(field_id::status_code);
  case 10:
    return match(field_id::latency_ms);
  default:
    return no_field;
  }
}

/// True if `text` holds a C0 control byte (< 0x20) or DEL (0x7f). JSON forbids
/// raw C0 bytes in strings but allows them escaped (`\u0000`, `\n`), and
/// allows a raw DEL; service names become database keys and metric labels.
bool has_control_character(std::string_view text) noexcept {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f)
      return true;
  }
  return false;
}

/// SAX handler: records per-field states and writes valid values to `out`.
class event_handler {
public:
  using number_integer_t = json::number_integer_t;
  using number_unsigned_t = json::number_unsigned_t;
  using number_float_t = json::number_float_t;
  using string_t = json::string_t;
  using binary_t = json::binary_t;

  event_handler(request_event& out, const parse_limits& limits) noexcept
      : out_(out), limits_(limits) {
    // nop
  }

  // -- SAX callbacks ----------------------------------------------------------

  bool null() {
    if (at_field())
      set(field_state::wrong_type);
    else
      check_top_level_scalar();
    return true;
  }

  bool boolean(bool) {
    return null();
  }

  bool number_integer(number_integer_t value) {
    if (at_field())
      on_integer(static_cast<double>(value), value >= 100 && value <= 599);
    else
      check_top_level_scalar();
    return true;
  }

  bool number_unsigned(number_unsigned_t value) {
    if (at_field())
      on_integer(static_cast<double>(value), value >= 100 && value <= 599);
    else
      check_top_level_scalar();
    return true;
  }

  bool number_float(number_float_t value, const string_t&) {
    if (!at_field()) {
      check_top_level_scalar();
      return true;
    }
    switch (static_cast<field_id>(current_)) {
    case field_id::timestamp:
      on_epoch_ms(value);
      break;
    case field_id::latency_ms:
      on_latency(value);
      break;
    default:
      set(field_state::wrong_type);
    }
    return true;
  }

  bool string(string_t& value) {
    if (!at_field()) {
      check_top_level_scalar();
      return true;
    }
    switch (static_cast<field_id>(current_)) {
    case field_id::timestamp:
      if (auto ts = parse_rfc3339(value)) {
        out_.time_ms = ts->epoch_ms;
        repaired_ = ts->repaired;
        set(field_state::valid);
      } else {
        set(field_state::bad_value);
      }
      break;
    case field_id::service:
      if (value.empty() || value.size() > limits_.max_service_length
          || has_control_character(value)) {
        set(field_state::bad_value);
      } else {
        out_.service.assign(value.data(), value.size());
        set(field_state::valid);
      }
      break;
    default:
      set(field_state::wrong_type);
    }
    return true;
  }

  bool binary(binary_t&) {
    // Unreachable for JSON text input.
    set_syntax_error();
    return false;
  }

  bool start_object(size_t) {
    return enter(false);
  }

  bool key(string_t& name) {
    current_ = depth_ == 1 ? lookup_field(name) : no_field;
    return true;
  }

  bool end_object() {
    --depth_;
    return true;
  }

  bool start_array(size_t) {
    return enter(true);
  }

  bool end_array() {
    --depth_;
    return true;
  }

  bool parse_error(size_t, const std::string&,
                   const nlohmann::detail::exception&) {
    set_syntax_error();
    return false;
  }

  // -- verdict ----------------------------------------------------------------

  /// Applies the documented precedence to the recorded observations.
  parse_outcome outcome() const noexcept {
    parse_outcome result;
    if (syntax_error_)
      return reject(invalid_reason::not_json, nullptr);
    if (too_deep_)
      return reject(invalid_reason::too_deep, nullptr);
    if (not_object_)
      return reject(invalid_reason::not_object, nullptr);
    for (size_t i = 0; i < field_count; ++i)
      if (states_[i] == field_state::wrong_type)
        return reject(invalid_reason::wrong_type, field_names[i]);
    for (size_t i = 0; i < field_count; ++i)
      if (states_[i] == field_state::absent)
        return reject(invalid_reason::missing_field, field_names[i]);
    for (size_t i = 0; i < field_count; ++i)
      if (states_[i] == field_state::bad_value)
        return reject(bad_value_reasons[i], field_names[i]);
    result.ok = true;
    result.repaired = repaired_;
    return result;
  }

private:
  static parse_outcome reject(invalid_reason reason,
                              const char* field) noexcept {
    parse_outcome result;
    result.reason = reason;
    result.field = field;
    return result;
  }

  /// True if the current value is the value of a required top-level field.
  bool at_field() const noexcept {
    return depth_ == 1 && current_ != no_field;
  }

  void set(field_state state) noexcept {
    states_[current_] = state;
  }

  void check_top_level_scalar() noexcept {
    if (depth_ == 0)
      not_object_ = true;
  }

  void set_syntax_error() noexcept {
    syntax_error_ = true;
  }

  bool enter(bool is_array) {
    if (depth_ == 0 && is_array)
      not_object_ = true;
    else if (at_field())
      set(field_state::wrong_type);
    current_ = no_field;
    if (++depth_ > limits_.max_depth)
      too_deep_ = true;
    return true;
  }

  void on_integer(double value, bool status_in_range) {
    switch (static_cast<field_id>(current_)) {
    case field_id::timestamp:
      on_epoch_ms(value);
      break;
    case field_id::status_code:
      if (status_in_range) {
        out_.status_code = static_cast<int32_t>(value);
        set(field_state::valid);
      } else {
        set(field_state::bad_value);
      }
      break;
    case field_id::latency_ms:
      on_latency(value);
      break;
    default:
      set(field_state::wrong_type);
    }
  }

  void on_epoch_ms(double value) {
    if (auto ts = parse_epoch_ms(value)) {
      out_.time_ms = ts->epoch_ms;
      repaired_ = false;
      set(field_state::valid);
    } else {
      set(field_state::bad_value);
    }
  }

  void on_latency(double value) {
    // nlohmann never reports non-finite numbers; the check guards the contract.
    if (std::isfinite(value) && value >= 0) {
      out_.latency_ms = value + 0.0; // Normalizes -0.0 to +0.0.
      set(field_state::valid);
    } else {
      set(field_state::bad_value);
    }
  }

  request_event& out_;
  const parse_limits& limits_;
  std::array<field_state, field_count> states_{};
  size_t depth_ = 0;
  uint8_t current_ = no_field;
  bool repaired_ = false;
  bool syntax_error_ = false;
  bool too_deep_ = false;
  bool not_object_ = false;
};

// -- fast path ----------------------------------------------------------------

static_assert(parse_padding >= simdjson::SIMDJSON_PADDING,
              "parse_padding must cover simdjson's padding");

/// Largest message the fast path takes: the per-thread parser keeps buffers
/// of about 15 bytes per input byte, so larger messages (rare, and beyond the
/// default max_bytes) go to the reference instead of growing them.
constexpr size_t fast_path_max_bytes = 64 * 1024;

/// Deepest nesting the fast path is configured for; deeper limits are served
/// up to this depth and deeper messages go to the reference.
constexpr size_t fast_path_max_depth = 1024;

/// The calling thread's parser, reused so that parsing does not allocate.
simdjson::dom::parser& thread_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

/// Reads a JSON number as nlohmann does for the reference: integers are
/// converted to double, floats are taken as they are.
bool number_value(simdjson::dom::element value, double& result) noexcept {
  return json_number(value, result);
}

/// Stores one field value into `out`; false unless it is clearly valid.
bool read_field(field_id id, simdjson::dom::element value, request_event& out,
                bool& repaired, const parse_limits& limits) {
  using simdjson::dom::element_type;
  double number = 0;
  switch (id) {
  case field_id::timestamp:
    if (value.type() == element_type::STRING) {
      auto ts = parse_rfc3339(value.get_string().value_unsafe());
      if (!ts)
        return false;
      out.time_ms = ts->epoch_ms;
      repaired = ts->repaired;
      return true;
    }
    if (number_value(value, number)) {
      auto ts = parse_epoch_ms(number);
      if (!ts)
        return false;
      out.time_ms = ts->epoch_ms;
      repaired = false;
      return true;
    }
    return false;
  case field_id::service: {
    if (value.type() != element_type::STRING)
      return false;
    const std::string_view name = value.get_string().value_unsafe();
    if (name.empty() || name.size() > limits.max_service_length
        || has_control_character(name))
      return false;
    out.service.assign(name.data(), name.size());
    return true;
  }
  case field_id::status_code: {
    if (value.type() != element_type::INT64)
      return false;
    const int64_t status = value.get_int64().value_unsafe();
    if (status < 100 || status > 599)
      return false;
    out.status_code = static_cast<int32_t>(status);
    return true;
  }
  case field_id::latency_ms:
    if (!number_value(value, number) || !std::isfinite(number) || number < 0)
      return false;
    out.latency_ms = number + 0.0; // Normalizes -0.0 to +0.0.
    return true;
  }
  return false;
}

/// Parses a clearly valid event into `out` and returns true; returns false
/// for anything else, leaving the verdict to the reference. `out` may be
/// partly written either way.
bool parse_fast(std::string_view json, request_event& out,
                const parse_limits& limits, size_t readable_after,
                bool& repaired) {
  if (json.empty() || json.size() > fast_path_max_bytes
      || limits.max_depth == 0)
    return false;
  auto& parser = thread_parser();
  // simdjson's depth limit counts like ours (the top-level object is depth
  // 1), so exceeding it is a parse error that sends the input to the
  // reference, which decides between too_deep and other reasons.
  const size_t depth = std::min(limits.max_depth, fast_path_max_depth);
  if (parser.max_depth() != depth
      && parser.allocate(std::max(parser.capacity(), json.size()), depth)
             != simdjson::SUCCESS)
    return false;
  simdjson::dom::object root;
  if (parser.parse(json.data(), json.size(), readable_after < parse_padding)
          .get_object()
          .get(root)
      != simdjson::SUCCESS)
    return false;
  std::array<bool, field_count> seen{};
  for (const simdjson::dom::key_value_pair field : root) {
    const auto index = lookup_field(field.key);
    if (index == no_field)
      continue;
    if (!read_field(static_cast<field_id>(index), field.value, out, repaired,
                    limits))
      return false;
    seen[index] = true;
  }
  return seen[0] && seen[1] && seen[2] && seen[3];
}

} // namespace

parse_outcome parse_request_event_reference(std::string_view json,
                                            request_event& out,
                                            const parse_limits& limits) {
  if (json.size() > limits.max_bytes) {
    parse_outcome result;
    result.reason = invalid_reason::oversized;
    return result;
  }
  event_handler handler{out, limits};
  const char* first = json.data();
  nlohmann::json::sax_parse(first, first + json.size(), &handler,
                            nlohmann::json::input_format_t::json,
                            /*strict=*/true, /*ignore_comments=*/false);
  return handler.outcome();
}

parse_outcome parse_request_event(std::string_view json, request_event& out,
                                  const parse_limits& limits,
                                  size_t readable_after) {
  if (json.size() > limits.max_bytes) {
    parse_outcome result;
    result.reason = invalid_reason::oversized;
    return result;
  }
  parse_outcome result;
  if (parse_fast(json, out, limits, readable_after, result.repaired)) {
    result.ok = true;
    return result;
  }
  return parse_request_event_reference(json, out, limits);
}

parse_outcome parse_request_event(std::string_view json, request_event& out,
                                  const parse_limits& limits) {
  return parse_request_event(json, out, limits, 0);
}

} // namespace vigil
