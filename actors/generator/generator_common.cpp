#include "actors/generator/generator_common.hpp"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vigil {

namespace {

// Days since 1970-01-01 to civil date (Howard Hinnant's algorithm).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2 ? 1 : 0;
}

bool is_measure(const std::string& name) {
  return name == "ph" || name == "temperature_c" || name == "humidity_pct"
         || name == "ec_ms_cm";
}

} // namespace

// -- event kinds --------------------------------------------------------------

const char* to_string(event_kind kind) noexcept {
  switch (kind) {
  case event_kind::request:
    return "request";
  case event_kind::sensor:
    return "sensor";
  case event_kind::trade:
    return "trade";
  }
  return "unknown";
}

expected<event_kind> parse_event_kind(std::string_view text) {
  if (text == "request")
    return event_kind::request;
  if (text == "sensor")
    return event_kind::sensor;
  if (text == "trade")
    return event_kind::trade;
  return make_error_text("--kind expects request, sensor or trade, got '"
                         + std::string{text}
                         + "'; e.g. --kind sensor (default request)");
}

// -- event time ---------------------------------------------------------------

int64_t nominal_time_ms(int64_t start_ms, double rate, uint64_t i) noexcept {
  return start_ms
         + static_cast<int64_t>(
             std::llround(static_cast<double>(i) * 1000.0 / rate));
}

int64_t draw_jitter(std::mt19937_64& rng, int64_t max_jitter_ms) {
  if (max_jitter_ms <= 0)
    return 0;
  return static_cast<int64_t>(rng() % static_cast<uint64_t>(max_jitter_ms + 1));
}

double unit_uniform(std::mt19937_64& rng) {
  return std::uniform_real_distribution<double>{0.0, 1.0}(rng);
}

bool in_window(int64_t start_ms, double start_s, double duration_s,
               int64_t time_ms) noexcept {
  auto rel = static_cast<double>(time_ms - start_ms);
  return rel >= start_s * 1000 && rel < (start_s + duration_s) * 1000;
}

// -- scheduled specs ----------------------------------------------------------

expected<schedule_spec> parse_schedule_spec(std::string_view spec,
                                            bool allow_param,
                                            const std::string& what,
                                            const std::string& expected_form) {
  auto fail = [&](const std::string& reason) {
    return make_error_text("invalid " + what + " '" + std::string{spec}
                           + "': " + reason + "; expected " + expected_form);
  };
  std::vector<std::string> parts;
  size_t begin = 0;
  for (;;) {
    auto pos = spec.find(':', begin);
    parts.emplace_back(spec.substr(begin, pos - begin));
    if (pos == std::string_view::npos)
      break;
    begin = pos + 1;
  }
  if (parts.size() != 4 && !(allow_param && parts.size() == 5))
    return fail("it has " + std::to_string(parts.size())
                + " colon-separated parts instead of "
                + (allow_param ? "4 or 5" : "4"));
  schedule_spec result;
  result.target = parts[0];
  if (result.target.empty())
    return fail("the " + std::string{allow_param ? "target" : "service"}
                + " name is empty");
  result.kind = parts[1];
  auto number = [](const std::string& text, double& out) {
    if (text.empty())
      return false;
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size() && std::isfinite(out) && out >= 0;
  };
  if (!number(parts[2], result.start_s))
    return fail("START_S '" + parts[2] + "' is not a number >= 0");
  if (!number(parts[3], result.duration_s) || result.duration_s <= 0)
    return fail("DURATION_S '" + parts[3] + "' is not a number > 0");
  if (parts.size() == 5)
    result.param = parts[4];
  return result;
}

// -- faults -------------------------------------------------------------------

const char* to_string(fault_kind kind) noexcept {
  switch (kind) {
  case fault_kind::drift:
    return "drift";
  case fault_kind::stuck:
    return "stuck";
  case fault_kind::out_of_range:
    return "out_of_range";
  case fault_kind::missing:
    return "missing";
  case fault_kind::spike:
    return "spike";
  case fault_kind::malformed:
    return "malformed";
  }
  return "unknown";
}

expected<fault> parse_fault(std::string_view spec, event_kind kind) {
  const bool sensor = kind == event_kind::sensor;
  const std::string form
      = sensor ? "SENSOR:KIND:START_S:DURATION_S[:MEASURE] with KIND "
                 "drift|stuck|out_of_range|missing|malformed, SENSOR a "
                 "sensor id or *, MEASURE ph|temperature_c|humidity_pct|"
                 "ec_ms_cm (drift and missing; default ph), e.g. "
                 "sensor-0003:drift:60:300"
               : "SYMBOL:KIND:START_S:DURATION_S[:PERCENT] with KIND "
                 "spike|malformed, SYMBOL a symbol or *, PERCENT the price "
                 "jump of a spike (default 8), e.g. SYM0001:spike:120:60:8";
  if (kind == event_kind::request)
    return make_error_text("--fault is for --kind sensor and --kind trade; "
                           "request events take --incident "
                           "SERVICE:KIND:START_S:DURATION_S");
  auto parsed = parse_schedule_spec(spec, true, "fault", form);
  if (!parsed)
    return make_error_text(parsed.error());
  auto fail = [&](const std::string& reason) {
    return make_error_text("invalid fault '" + std::string{spec}
                           + "': " + reason + "; expected " + form);
  };
  fault result;
  result.target = parsed->target;
  result.start_s = parsed->start_s;
  result.duration_s = parsed->duration_s;
  result.param = parsed->param;
  const auto& k = parsed->kind;
  if (k == "malformed")
    result.kind = fault_kind::malformed;
  else if (sensor && k == "drift")
    result.kind = fault_kind::drift;
  else if (sensor && k == "stuck")
    result.kind = fault_kind::stuck;
  else if (sensor && k == "out_of_range")
    result.kind = fault_kind::out_of_range;
  else if (sensor && k == "missing")
    result.kind = fault_kind::missing;
  else if (!sensor && k == "spike")
    result.kind = fault_kind::spike;
  else
    return fail("unknown kind '" + k + "' for " + to_string(kind) + " events");
  switch (result.kind) {
  case fault_kind::drift:
  case fault_kind::missing:
    if (result.param.empty())
      result.param = "ph";
    if (!is_measure(result.param))
      return fail("unknown measure '" + result.param + "'");
    break;
  case fault_kind::spike: {
    if (result.param.empty())
      result.param = "8";
    char* end = nullptr;
    double pct = std::strtod(result.param.c_str(), &end);
    if (end != result.param.c_str() + result.param.size() || !std::isfinite(pct)
        || pct <= -100 || pct == 0)
      return fail("PERCENT '" + result.param
                  + "' is not a number > -100 and != 0");
    break;
  }
  default:
    if (!result.param.empty())
      return fail("a " + k + " fault takes no fifth part");
  }
  return result;
}

bool fault_active(const fault& f, const std::string& name, int64_t start_ms,
                  int64_t time_ms) noexcept {
  return (f.target == "*" || f.target == name)
         && in_window(start_ms, f.start_s, f.duration_s, time_ms);
}

malformed_variant malformed_variant_of(uint64_t i) noexcept {
  return static_cast<malformed_variant>(i % malformed_variant_count);
}

// -- text ---------------------------------------------------------------------

std::string format_event_time(int64_t epoch_ms, const char* zone) {
  int64_t days = epoch_ms >= 0 ? epoch_ms / 86400000
                               : -((-epoch_ms + 86399999) / 86400000);
  int64_t ms_of_day = epoch_ms - days * 86400000;
  int64_t y = 0;
  unsigned m = 0;
  unsigned d = 0;
  civil_from_days(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof(buf),
                "%04" PRId64 "-%02u-%02uT%02d:%02d:%02d.%03d%s", y, m, d,
                static_cast<int>(ms_of_day / 3600000),
                static_cast<int>(ms_of_day / 60000 % 60),
                static_cast<int>(ms_of_day / 1000 % 60),
                static_cast<int>(ms_of_day % 1000), zone);
  return buf;
}

void append_json_string(std::string& out, const std::string& text) {
  out += '"';
  for (char c : text) {
    switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20) {
        char buf[8];
        std::snprintf(buf, sizeof(buf), "\\u%04x", c);
        out += buf;
      } else {
        out += c;
      }
    }
  }
  out += '"';
}

void append_json_field(std::string& out, const char* name,
                       const std::string& value) {
  out += ",\"";
  out += name;
  out += "\":";
  append_json_string(out, value);
}

std::string format_scaled(int64_t scaled, int decimals) {
  uint64_t magnitude = scaled < 0 ? 0 - static_cast<uint64_t>(scaled)
                                  : static_cast<uint64_t>(scaled);
  uint64_t unit = 1;
  for (int i = 0; i < decimals; ++i)
    unit *= 10;
  auto whole = magnitude / unit;
  auto frac = magnitude % unit;
  int digits = decimals;
  while (digits > 1 && frac % 10 == 0) {
    frac /= 10;
    --digits;
  }
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%s%" PRIu64 ".%0*" PRIu64,
                scaled < 0 ? "-" : "", whole, digits, frac);
  return buf;
}

std::string json_object(const json_fields& fields) {
  std::string out = "{";
  for (const auto& [name, value] : fields) {
    if (out.size() > 1)
      out += ',';
    append_json_string(out, name);
    out += ':';
    out += value;
  }
  out += '}';
  return out;
}

std::string malformed_object(malformed_variant variant,
                             const json_fields& fields,
                             const std::string& numeric_field,
                             const std::string& negative_field) {
  json_fields broken;
  for (const auto& [name, value] : fields) {
    if (variant == malformed_variant::missing_timestamp && name == "timestamp")
      continue;
    if (variant == malformed_variant::non_numeric && name == numeric_field)
      broken.emplace_back(name, "\"n/a\"");
    else if (variant == malformed_variant::negative && name == negative_field)
      broken.emplace_back(name, "-" + value);
    else
      broken.emplace_back(name, value);
  }
  auto text = json_object(broken);
  if (variant == malformed_variant::truncated)
    text.resize(text.size() / 2);
  return text;
}

int32_t key_partition(const std::string& key, int32_t partitions) noexcept {
  if (partitions <= 1)
    return 0;
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int32_t>(h % static_cast<uint64_t>(partitions));
}

} // namespace vigil
