#include "actors/ingest/kind_event.hpp"

#include <algorithm>
#include <cmath>

#include <simdjson.h>

#include "actors/ingest/json_number.hpp"
#include "runtime/event_kind.hpp"
#include "runtime/timestamp.hpp"

namespace vigil {

namespace {

/// The calling thread's parser, reused so that parsing does not allocate.
simdjson::dom::parser& kind_parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool acceptable_key(std::string_view v, const parse_limits& limits) {
  if (v.empty() || v.size() > limits.max_service_length)
    return false;
  return std::none_of(v.begin(), v.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f || c == key_separator;
  });
}

parse_outcome rejected(invalid_reason reason, const std::string* field) {
  parse_outcome out;
  out.reason = reason;
  out.field = field != nullptr ? field->c_str() : nullptr;
  return out;
}

} // namespace

parse_outcome parse_kind_event(std::string_view json, const kind_schema& kind,
                               kind_event& out, const parse_limits& limits,
                               size_t readable_after) {
  if (json.size() > limits.max_bytes)
    return rejected(invalid_reason::oversized, nullptr);
  auto& parser = kind_parser();
  const size_t depth = std::max<size_t>(limits.max_depth, 1);
  if (parser.max_depth() != depth
      && parser.allocate(std::max(parser.capacity(), json.size()), depth)
             != simdjson::SUCCESS)
    return rejected(invalid_reason::not_json, nullptr);
  simdjson::dom::element root;
  auto err = parser
                 .parse(json.data(), json.size(),
                        readable_after < simdjson::SIMDJSON_PADDING)
                 .get(root);
  if (err == simdjson::DEPTH_ERROR)
    return rejected(invalid_reason::too_deep, nullptr);
  if (err != simdjson::SUCCESS)
    return rejected(invalid_reason::not_json, nullptr);
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS)
    return rejected(invalid_reason::not_object, nullptr);
  // Slots: 0 = time, 1..k = keys, k+1.. = measures.
  const size_t keys = kind.keys.size();
  const size_t slots = 1 + keys + kind.measures.size();
  thread_local std::vector<simdjson::dom::element> found;
  thread_local std::vector<bool> seen;
  found.assign(slots, simdjson::dom::element{});
  seen.assign(slots, false);
  auto name_of = [&](size_t slot) -> const std::string& {
    if (slot == 0)
      return kind.time_field;
    if (slot <= keys)
      return kind.keys[slot - 1];
    return kind.measures[slot - 1 - keys].name;
  };
  for (const simdjson::dom::key_value_pair field : object) {
    for (size_t s = 0; s < slots; ++s)
      if (field.key == name_of(s)) {
        found[s] = field.value;
        seen[s] = true;
        break;
      }
  }
  using simdjson::dom::element_type;
  // 4. wrong types.
  for (size_t s = 0; s < slots; ++s) {
    if (!seen[s])
      continue;
    auto type = found[s].type();
    bool ok = false;
    if (s == 0)
      ok = type == element_type::STRING || type == element_type::INT64
           || type == element_type::UINT64 || type == element_type::DOUBLE;
    else if (s <= keys)
      ok = type == element_type::STRING;
    else
      ok = type == element_type::INT64 || type == element_type::UINT64
           || type == element_type::DOUBLE;
    if (!ok)
      return rejected(invalid_reason::wrong_type, &name_of(s));
  }
  // 5. missing fields.
  for (size_t s = 0; s < slots; ++s)
    if (!seen[s])
      return rejected(invalid_reason::missing_field, &name_of(s));
  // 6. values.
  parse_outcome result;
  if (found[0].type() == element_type::STRING) {
    auto ts = parse_rfc3339(found[0].get_string().value_unsafe());
    if (!ts)
      return rejected(invalid_reason::bad_timestamp, &name_of(0));
    out.time_ms = ts->epoch_ms;
    result.repaired = ts->repaired;
  } else {
    double number = 0;
    json_number(found[0], number);
    auto ts = parse_epoch_ms(number);
    if (!ts)
      return rejected(invalid_reason::bad_timestamp, &name_of(0));
    out.time_ms = ts->epoch_ms;
  }
  out.key.clear();
  for (size_t k = 0; k < keys; ++k) {
    std::string_view v = found[1 + k].get_string().value_unsafe();
    if (!acceptable_key(v, limits))
      return rejected(invalid_reason::bad_key, &name_of(1 + k));
    if (k > 0)
      out.key.push_back(key_separator);
    out.key.append(v.data(), v.size());
  }
  out.values.resize(kind.measures.size());
  for (size_t m = 0; m < kind.measures.size(); ++m) {
    const auto& spec = kind.measures[m];
    double v = 0;
    json_number(found[1 + keys + m], v);
    if (!std::isfinite(v) || !spec.valid.contains(v)
        || (spec.integer && std::trunc(v) != v))
      return rejected(invalid_reason::out_of_range, &spec.name);
    out.values[m] = v + 0.0; // -0.0 becomes +0.0
  }
  result.ok = true;
  return result;
}

} // namespace vigil
