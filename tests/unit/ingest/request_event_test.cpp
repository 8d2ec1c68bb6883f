#define BOOST_TEST_MODULE request_event_test
#include <boost/test/unit_test.hpp>

#include "actors/ingest/request_event.hpp"
#include "runtime/timestamp.hpp"
#include "support/parse_compare.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <ostream>
#include <random>
#include <string>
#include <utility>
#include <vector>

using vigil::invalid_reason;
using vigil::parse_limits;
using vigil::parse_outcome;
using vigil::request_event;
using vigil::test::describe;
using vigil::test::same_result;

namespace {

/// Parses with the fast `parse_request_event`, unpadded and in place from a
/// padded buffer, and with the reference; checks that all three agree and
/// returns the fast outcome. Every input of this file goes through it.
parse_outcome parse_compared(std::string_view text, request_event& ev,
                             const parse_limits& limits = {}) {
  const auto fast = vigil::parse_request_event(text, ev, limits);
  request_event ref_ev;
  const auto ref = vigil::parse_request_event_reference(text, ref_ev, limits);
  BOOST_TEST(same_result(fast, ev, ref, ref_ev),
             "fast path: " << describe(fast, ev)
                           << "; reference: " << describe(ref, ref_ev));
  // In place, with the padding filled with bytes that would change the
  // outcome if they were read as part of the message.
  std::string padded{text};
  padded.append(vigil::parse_padding, '"');
  request_event padded_ev;
  const auto in_place
      = vigil::parse_request_event(std::string_view{padded.data(), text.size()},
                                   padded_ev, limits, vigil::parse_padding);
  BOOST_TEST(same_result(in_place, padded_ev, ref, ref_ev),
             "in place: " << describe(in_place, padded_ev)
                          << "; reference: " << describe(ref, ref_ev));
  return fast;
}

const std::string valid_event
    = R"({"timestamp":"2026-01-11T23:09:52.214Z","service":"checkout",)"
      R"("endpoint":"/api/pay","status_code":503,"latency_ms":87.5,)"
      R"("event_id":"e-1","trace_id":"t-1","region":"eu-west-1","host":"h1"})";

parse_outcome parse(std::string_view text, const parse_limits& limits = {}) {
  request_event ev;
  return parse_compared(text, ev, limits);
}

/// Asserts that `text` is rejected for `reason`, naming `field` (or none).
void check_rejected(std::string_view text, invalid_reason reason,
                    const char* field = nullptr,
                    const parse_limits& limits = {}) {
  BOOST_TEST_CONTEXT(text) {
    auto outcome = parse(text, limits);
    BOOST_TEST(!outcome.ok);
    BOOST_TEST(std::string{to_string(outcome.reason)} == to_string(reason));
    if (field == nullptr)
      BOOST_TEST(outcome.field == nullptr);
    else
      BOOST_TEST(
          (outcome.field != nullptr && std::strcmp(outcome.field, field) == 0),
          "field is " << (outcome.field ? outcome.field : "null")
                      << ", expected " << field);
  }
}

/// Builds an event from its four required field values (raw JSON text, or
/// nullptr to leave the field out).
std::string make_event(const char* timestamp, const char* service,
                       const char* status, const char* latency) {
  std::string out = "{";
  auto add = [&out](const char* name, const char* value) {
    if (value == nullptr)
      return;
    if (out.size() > 1)
      out += ',';
    out += '"';
    out += name;
    out += "\":";
    out += value;
  };
  add("timestamp", timestamp);
  add("service", service);
  add("status_code", status);
  add("latency_ms", latency);
  out += '}';
  return out;
}

constexpr const char* good_ts = R"("2026-01-11T23:09:52.214Z")";
constexpr const char* good_service = R"("checkout")";
constexpr const char* good_status = "200";
constexpr const char* good_latency = "12.5";

} // namespace

// -- valid events
// --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(valid_event_with_all_fields_is_accepted) {
  request_event ev;
  auto outcome = parse_compared(valid_event, ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(!outcome.repaired);
  BOOST_TEST(outcome.field == nullptr);
  BOOST_TEST(ev.time_ms == 1768172992214);
  BOOST_TEST(ev.service == "checkout");
  BOOST_TEST(ev.status_code == 503);
  BOOST_TEST(ev.is_error());
  BOOST_TEST(ev.latency_ms == 87.5);
}

BOOST_AUTO_TEST_CASE(unknown_nested_fields_are_skipped) {
  request_event ev;
  auto outcome = parse_compared(
      R"({"meta":{"service":"decoy","status_code":"x","tags":[1,[2,{"a":null}]]},)"
      R"("timestamp":"2026-01-11T23:09:52Z","service":"cart","extra":[true],)"
      R"("status_code":200,"latency_ms":0,"more":{"latency_ms":-1}})",
      ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(ev.service == "cart");
  BOOST_TEST(ev.status_code == 200);
  BOOST_TEST(!ev.is_error());
  BOOST_TEST(ev.latency_ms == 0.0);
}

BOOST_AUTO_TEST_CASE(epoch_millisecond_timestamps_are_accepted) {
  request_event ev;
  BOOST_REQUIRE(
      parse_compared(
          make_event("1768172992214", good_service, good_status, "3"), ev)
          .ok);
  BOOST_TEST(ev.time_ms == 1768172992214);
  BOOST_TEST(ev.latency_ms == 3.0);
  BOOST_REQUIRE(parse_compared(make_event("1.768172992214e12", good_service,
                                          good_status, good_latency),
                               ev)
                    .ok);
  BOOST_TEST(ev.time_ms == 1768172992214);
  BOOST_REQUIRE(
      parse_compared(
          make_event("-1000", good_service, good_status, good_latency), ev)
          .ok);
  BOOST_TEST(ev.time_ms == -1000);
}

BOOST_AUTO_TEST_CASE(double_zone_marker_is_accepted_and_reported_repaired) {
  request_event ev;
  auto outcome
      = parse_compared(make_event(R"("2026-01-11T23:09:52.214+00:00Z")",
                                  good_service, good_status, good_latency),
                       ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(outcome.repaired);
  BOOST_TEST(ev.time_ms == 1768172992214);
}

BOOST_AUTO_TEST_CASE(duplicate_fields_take_the_last_occurrence) {
  request_event ev;
  auto outcome = parse_compared(
      R"({"timestamp":"bad","service":"a","status_code":"x","latency_ms":1,)"
      R"("timestamp":0,"service":"b","status_code":404,"latency_ms":2})",
      ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(ev.time_ms == 0);
  BOOST_TEST(ev.service == "b");
  BOOST_TEST(ev.status_code == 404);
  BOOST_TEST(ev.latency_ms == 2.0);
  check_rejected(R"({"timestamp":0,"service":"a","status_code":200,)"
                 R"("latency_ms":1,"status_code":700})",
                 invalid_reason::bad_status, "status_code");
}

BOOST_AUTO_TEST_CASE(escaped_keys_and_values_are_unescaped_first) {
  request_event ev;
  auto outcome = parse_compared(
      R"({"timest\u0061mp":"2026-01-11T23:09:52Z","service":"caf\u00e9 \"x\"",)"
      R"("status_code":100,"latency_ms":1e2})",
      ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(ev.service == "caf\xc3\xa9 \"x\"");
  BOOST_TEST(ev.status_code == 100);
  BOOST_TEST(ev.latency_ms == 100.0);
}

BOOST_AUTO_TEST_CASE(boundary_values_are_accepted) {
  const std::string max_service = '"' + std::string(128, 's') + '"';
  request_event ev;
  BOOST_TEST(
      parse_compared(make_event(good_ts, max_service.c_str(), "100", "0"), ev)
          .ok);
  BOOST_TEST(ev.service.size() == 128u);
  BOOST_TEST(
      parse_compared(make_event(good_ts, R"("x")", "599", "-0.0"), ev).ok);
  BOOST_TEST(ev.status_code == 599);
  BOOST_TEST(!std::signbit(ev.latency_ms));
}

BOOST_AUTO_TEST_CASE(reparsing_reuses_the_service_buffer) {
  request_event ev;
  const std::string long_name = '"' + std::string(100, 'a') + '"';
  BOOST_REQUIRE(
      parse_compared(
          make_event(good_ts, long_name.c_str(), good_status, good_latency), ev)
          .ok);
  const char* buffer = ev.service.data();
  for (const char* name : {R"("b")", R"("checkout-service-eu-west-1")"}) {
    BOOST_REQUIRE(
        parse_compared(make_event(good_ts, name, good_status, good_latency), ev)
            .ok);
    BOOST_TEST(static_cast<const void*>(ev.service.data())
               == static_cast<const void*>(buffer));
  }
  BOOST_TEST(ev.service == "checkout-service-eu-west-1");
}

// -- rejected events
// -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(malformed_json_is_not_json) {
  check_rejected("", invalid_reason::not_json);
  check_rejected("   ", invalid_reason::not_json);
  check_rejected("not json", invalid_reason::not_json);
  check_rejected("{timestamp:1}", invalid_reason::not_json);
  check_rejected(R"({"service":'x'})", invalid_reason::not_json);
  check_rejected(valid_event + "{}", invalid_reason::not_json);
  check_rejected(valid_event + ",", invalid_reason::not_json);
  check_rejected(R"({"a":1,})", invalid_reason::not_json);
  check_rejected(R"({"a":1} // comment)", invalid_reason::not_json);
  check_rejected(R"({"a":NaN})", invalid_reason::not_json);
  check_rejected(R"({"a":01})", invalid_reason::not_json);
}

BOOST_AUTO_TEST_CASE(every_truncation_of_a_valid_event_is_not_json) {
  for (size_t n = 0; n < valid_event.size(); ++n)
    check_rejected(std::string_view{valid_event.data(), n},
                   invalid_reason::not_json);
}

BOOST_AUTO_TEST_CASE(invalid_utf8_inside_a_string_is_not_json) {
  // Lone continuation byte, overlong encoding, truncated sequence, surrogate.
  for (const char* bad :
       {"\x80", "\xc0\xaf", "\xe2\x82", "\xed\xa0\x80", "\xff"}) {
    std::string service = "\"svc";
    service += bad;
    service += '"';
    check_rejected(
        make_event(good_ts, service.c_str(), good_status, good_latency),
        invalid_reason::not_json);
  }
  std::string raw_control = "\"a\x01b\"";
  check_rejected(
      make_event(good_ts, raw_control.c_str(), good_status, good_latency),
      invalid_reason::not_json);
}

BOOST_AUTO_TEST_CASE(overflowing_numbers_are_not_json) {
  // nlohmann/json reports a number that overflows a double as a parse error,
  // so 1e999 is not_json rather than bad_latency.
  check_rejected(make_event(good_ts, good_service, good_status, "1e999"),
                 invalid_reason::not_json);
  check_rejected(make_event(good_ts, good_service, good_status, "-1e999"),
                 invalid_reason::not_json);
}

BOOST_AUTO_TEST_CASE(non_object_top_levels_are_not_object) {
  check_rejected("[" + valid_event + "]", invalid_reason::not_object);
  check_rejected("[]", invalid_reason::not_object);
  check_rejected(R"("2026-01-11T23:09:52Z")", invalid_reason::not_object);
  check_rejected("200", invalid_reason::not_object);
  check_rejected("-1.5", invalid_reason::not_object);
  check_rejected("null", invalid_reason::not_object);
  check_rejected("true", invalid_reason::not_object);
}

BOOST_AUTO_TEST_CASE(each_missing_required_field_is_named) {
  check_rejected(make_event(nullptr, good_service, good_status, good_latency),
                 invalid_reason::missing_field, "timestamp");
  check_rejected(make_event(good_ts, nullptr, good_status, good_latency),
                 invalid_reason::missing_field, "service");
  check_rejected(make_event(good_ts, good_service, nullptr, good_latency),
                 invalid_reason::missing_field, "status_code");
  check_rejected(make_event(good_ts, good_service, good_status, nullptr),
                 invalid_reason::missing_field, "latency_ms");
  check_rejected("{}", invalid_reason::missing_field, "timestamp");
}

BOOST_AUTO_TEST_CASE(wrong_json_types_are_wrong_type) {
  for (const char* v : {"true", "null", "{}", "[1]"})
    check_rejected(make_event(v, good_service, good_status, good_latency),
                   invalid_reason::wrong_type, "timestamp");
  for (const char* v : {"42", "null", "false", R"(["a"])", R"({"n":"a"})"})
    check_rejected(make_event(good_ts, v, good_status, good_latency),
                   invalid_reason::wrong_type, "service");
  for (const char* v : {R"("200")", "200.0", "2e2", "200.5", "null", "[200]"})
    check_rejected(make_event(good_ts, good_service, v, good_latency),
                   invalid_reason::wrong_type, "status_code");
  for (const char* v : {R"("12.5")", "null", "true", "{}"})
    check_rejected(make_event(good_ts, good_service, good_status, v),
                   invalid_reason::wrong_type, "latency_ms");
}

BOOST_AUTO_TEST_CASE(bad_timestamps_are_bad_timestamp) {
  for (const char* v :
       {R"("2026-13-01T00:00:00Z")", R"("2026-01-01")", R"("")",
        R"("yesterday")", "1.5", "1e300", "253402300800000", "-62135596800001"})
    check_rejected(make_event(v, good_service, good_status, good_latency),
                   invalid_reason::bad_timestamp, "timestamp");
}

BOOST_AUTO_TEST_CASE(out_of_range_status_codes_are_bad_status) {
  for (const char* v : {"99", "600", "0", "-200", "18446744073709551615"})
    check_rejected(make_event(good_ts, good_service, v, good_latency),
                   invalid_reason::bad_status, "status_code");
}

BOOST_AUTO_TEST_CASE(negative_latency_is_bad_latency) {
  for (const char* v : {"-1", "-0.001", "-1e300"})
    check_rejected(make_event(good_ts, good_service, good_status, v),
                   invalid_reason::bad_latency, "latency_ms");
}

BOOST_AUTO_TEST_CASE(empty_or_overlong_service_is_bad_service) {
  check_rejected(make_event(good_ts, R"("")", good_status, good_latency),
                 invalid_reason::bad_service, "service");
  const std::string long_name = '"' + std::string(200, 'x') + '"';
  check_rejected(
      make_event(good_ts, long_name.c_str(), good_status, good_latency),
      invalid_reason::bad_service, "service");
  parse_limits limits;
  limits.max_service_length = 4;
  check_rejected(make_event(good_ts, R"("abcde")", good_status, good_latency),
                 invalid_reason::bad_service, "service", limits);
}

BOOST_AUTO_TEST_CASE(service_with_a_control_character_is_bad_service) {
  // Escaped C0 controls (raw ones are not JSON), escaped and raw DEL, at the
  // start, in the middle and at the end of the name.
  for (const char* control :
       {R"(\u0000)", R"(\u0001)", R"(\n)", R"(\t)", R"(\r)", R"(\b)", R"(\f)",
        R"(\u001f)", R"(\u001F)", R"(\u007f)", "\x7f"}) {
    for (const char* pattern :
         {"\"%sabc\"", "\"ab%sc\"", "\"abc%s\"", "\"%s\""}) {
      std::string service = pattern;
      service.replace(service.find("%s"), 2, control);
      check_rejected(
          make_event(good_ts, service.c_str(), good_status, good_latency),
          invalid_reason::bad_service, "service");
    }
  }
}

BOOST_AUTO_TEST_CASE(printable_neighbours_of_control_characters_are_accepted) {
  request_event ev;
  for (const char* name : {R"(" ")", R"("a b")", R"("~")", R"("\u0020")",
                           R"("\u007e")", R"("caf\u00e9")", "\"\xc3\xa9\""}) {
    BOOST_TEST_CONTEXT(name) {
      BOOST_TEST(parse_compared(
                     make_event(good_ts, name, good_status, good_latency), ev)
                     .ok);
      BOOST_TEST(!ev.service.empty());
    }
  }
}

BOOST_AUTO_TEST_CASE(control_characters_in_ignored_fields_are_accepted) {
  request_event ev;
  auto outcome = parse_compared(
      R"({"endpoint":"/a\u0000b\n","host":"\u007f","meta":{"service":"\t"},)"
      R"("timestamp":"2026-01-11T23:09:52Z","service":"ok","status_code":200,)"
      R"("latency_ms":1})",
      ev);
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(ev.service == "ok");
}

BOOST_AUTO_TEST_CASE(control_character_service_ranks_as_a_bad_service_value) {
  const char* nul_service = R"("a\u0000")";
  // An earlier field's bad value wins; later ones lose.
  check_rejected(make_event(R"("bad")", nul_service, "99", good_latency),
                 invalid_reason::bad_timestamp, "timestamp");
  check_rejected(make_event(good_ts, nul_service, "99", "-1"),
                 invalid_reason::bad_service, "service");
  // Wrong types and missing fields outrank every bad value.
  check_rejected(make_event(good_ts, nul_service, R"("200")", good_latency),
                 invalid_reason::wrong_type, "status_code");
  check_rejected(make_event(good_ts, nul_service, good_status, nullptr),
                 invalid_reason::missing_field, "latency_ms");
  // The last occurrence decides, in both directions.
  check_rejected(R"({"timestamp":0,"service":"ok","status_code":200,)"
                 R"("latency_ms":1,"service":"a\nb"})",
                 invalid_reason::bad_service, "service");
  request_event ev;
  BOOST_TEST(
      parse_compared(R"({"timestamp":0,"service":"a\nb","status_code":200,)"
                     R"("latency_ms":1,"service":"ok"})",
                     ev)
          .ok);
  BOOST_TEST(ev.service == "ok");
}

BOOST_AUTO_TEST_CASE(offsets_that_leave_years_1_to_9999_are_bad_timestamp) {
  // Found by tests/fuzz/timestamp_fuzz: the local date is in range, the UTC
  // instant is not.
  for (const char* v :
       {R"("0001-01-01T00:00:52+05:30")", R"("9999-12-31T23:59:59.999-00:01")"})
    check_rejected(make_event(v, good_service, good_status, good_latency),
                   invalid_reason::bad_timestamp, "timestamp");
}

BOOST_AUTO_TEST_CASE(nesting_beyond_max_depth_is_too_deep) {
  auto nested = [](size_t depth) {
    // The top-level object counts as depth 1.
    std::string open(depth - 1, '[');
    std::string close(depth - 1, ']');
    return make_event(good_ts, good_service, good_status, good_latency)
        .insert(1, R"("deep":)" + open + close + ",");
  };
  request_event ev;
  BOOST_TEST(parse_compared(nested(32), ev).ok);
  check_rejected(nested(33), invalid_reason::too_deep);
  check_rejected(nested(100), invalid_reason::too_deep);
  check_rejected("[" + std::string(99, '[') + std::string(100, ']'),
                 invalid_reason::too_deep);
}

BOOST_AUTO_TEST_CASE(messages_beyond_max_bytes_are_oversized) {
  std::string big = valid_event;
  big.insert(1, R"("pad":")" + std::string(70 * 1024, 'p') + R"(",)");
  check_rejected(big, invalid_reason::oversized);
  parse_limits limits;
  limits.max_bytes = valid_event.size();
  request_event ev;
  BOOST_TEST(parse_compared(valid_event, ev, limits).ok);
  limits.max_bytes = valid_event.size() - 1;
  check_rejected(valid_event, invalid_reason::oversized, nullptr, limits);
}

// -- precedence
// ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(reasons_follow_the_documented_precedence) {
  parse_limits small;
  small.max_bytes = 16;
  // oversized before not_json.
  check_rejected("{{{{{{{{{{{{{{{{{{{{", invalid_reason::oversized, nullptr,
                 small);
  // not_json wins over an earlier field problem and over depth.
  check_rejected(R"({"status_code":"x","a":[[[[)", invalid_reason::not_json);
  check_rejected("[" + std::string(99, '[') + std::string(99, ']') + "x",
                 invalid_reason::not_json);
  // too_deep before not_object and field problems.
  check_rejected(R"({"status_code":"x","a":)" + std::string(40, '[')
                     + std::string(40, ']') + "}",
                 invalid_reason::too_deep);
  // wrong_type before missing_field, even for a later field.
  check_rejected(make_event(nullptr, good_service, good_status, "true"),
                 invalid_reason::wrong_type, "latency_ms");
  // missing_field before a bad value of an earlier field.
  check_rejected(make_event(R"("bad")", good_service, good_status, nullptr),
                 invalid_reason::missing_field, "latency_ms");
  // Among bad values, the field order decides.
  check_rejected(make_event(R"("bad")", R"("")", "99", "-1"),
                 invalid_reason::bad_timestamp, "timestamp");
  check_rejected(make_event(good_ts, R"("")", "99", "-1"),
                 invalid_reason::bad_service, "service");
  check_rejected(make_event(good_ts, good_service, "99", "-1"),
                 invalid_reason::bad_status, "status_code");
  // Among wrong types too.
  check_rejected(make_event("null", "1", "null", "null"),
                 invalid_reason::wrong_type, "timestamp");
}

// -- robustness
// ----------------------------------------------------------------

namespace {

/// Valid events that the mutation tests start from.
std::vector<std::string> mutation_seeds() {
  return {
      valid_event,
      make_event(R"("2026-01-11T23:09:52.214+00:00Z")", R"("api")", "404",
                 "0.25"),
      make_event("1768172992214", R"("db")", "500", "1200"),
      R"({"x":{"y":[1,2,{"z":"w"}]},"timestamp":"2026-01-11 23:09:52-08:00",)"
      R"("service":"s\u00e9","status_code":201,"latency_ms":1e-3})",
  };
}

/// Seeded generator of 1 to 3 random byte edits of a valid event.
class mutator {
public:
  explicit mutator(uint64_t seed) : rng_(seed), seeds_(mutation_seeds()) {
    // nop
  }

  /// Returns the next mutated event.
  std::string operator()() {
    static constexpr char alphabet[]
        = "{}[]:,\"\\ 0123456789.-+eEtrufalsnZT\x80\xc3\xff";
    std::string text = seeds_[pick(seeds_.size())];
    const size_t mutations = 1 + pick(3);
    for (size_t m = 0; m < mutations && !text.empty(); ++m) {
      const size_t pos = pick(text.size());
      const char c = alphabet[pick(sizeof(alphabet) - 1)];
      switch (pick(5)) {
      case 0:
        text[pos] = c;
        break;
      case 1:
        text.erase(pos, 1);
        break;
      case 2:
        text.insert(pos, 1, c);
        break;
      case 3:
        text.resize(pos);
        break;
      default:
        text.insert(pos, text.substr(pick(text.size()), 1 + pick(8)));
      }
    }
    return text;
  }

private:
  size_t pick(size_t n) {
    return static_cast<size_t>(rng_() % n);
  }

  std::mt19937_64 rng_;
  std::vector<std::string> seeds_;
};

} // namespace

BOOST_AUTO_TEST_CASE(random_mutations_never_crash_and_agree_with_a_dom_oracle) {
  using nlohmann::json;
  mutator mutate{0x5eed};
  size_t ok_count = 0;
  size_t reason_counts[vigil::invalid_reason_count] = {};
  request_event ev;
  for (int i = 0; i < 10000; ++i) {
    const std::string text = mutate();
    BOOST_TEST_CONTEXT(text) {
      const auto outcome = parse_compared(text, ev);
      const bool is_json = json::accept(text);
      BOOST_TEST((!outcome.ok && outcome.reason == invalid_reason::not_json)
                 == !is_json);
      if (!outcome.ok) {
        ++reason_counts[static_cast<size_t>(outcome.reason)];
        BOOST_TEST(std::strcmp(to_string(outcome.reason), "unknown") != 0);
        BOOST_TEST(outcome.reason != invalid_reason::too_late);
        BOOST_TEST(outcome.reason != invalid_reason::service_overflow);
        continue;
      }
      ++ok_count;
      BOOST_TEST(outcome.field == nullptr);
      const auto dom = json::parse(text);
      BOOST_REQUIRE(dom.is_object());
      BOOST_TEST(dom.at("service").get<std::string>() == ev.service);
      BOOST_TEST(dom.at("status_code").get<int64_t>() == ev.status_code);
      BOOST_TEST(dom.at("latency_ms").get<double>() == ev.latency_ms);
      const auto& ts = dom.at("timestamp");
      if (ts.is_string())
        BOOST_TEST(vigil::parse_rfc3339(ts.get<std::string>())->epoch_ms
                   == ev.time_ms);
      else
        BOOST_TEST(ts.get<double>() == static_cast<double>(ev.time_ms));
      BOOST_TEST(!ev.service.empty());
      BOOST_TEST(ev.status_code >= 100);
      BOOST_TEST(ev.status_code <= 599);
      BOOST_TEST(ev.latency_ms >= 0.0);
    }
  }
  // The mutations must exercise both outcomes and several reasons.
  BOOST_TEST(ok_count > 100u);
  BOOST_TEST(reason_counts[static_cast<size_t>(invalid_reason::not_json)]
             > 1000u);
  size_t distinct = 0;
  for (auto n : reason_counts)
    distinct += n > 0 ? 1 : 0;
  BOOST_TEST(distinct >= 5u);
}

// -- fast path against the reference
// -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(fast_path_and_reference_agree_on_random_mutations) {
  // parse_compared checks the fast path, unpadded and in place, against the
  // reference on every input.
  parse_limits tiny;
  tiny.max_bytes = 200;
  tiny.max_service_length = 4;
  tiny.max_depth = 2;
  mutator mutate{0xd1ff};
  size_t ok_count = 0;
  size_t tiny_ok_count = 0;
  request_event ev;
  for (int i = 0; i < 50000; ++i) {
    const std::string text = mutate();
    BOOST_TEST_CONTEXT(text) {
      ok_count += parse_compared(text, ev).ok ? 1 : 0;
      tiny_ok_count += parse_compared(text, ev, tiny).ok ? 1 : 0;
    }
  }
  // Enough valid events that the fast path's answers were compared.
  BOOST_TEST(ok_count > 1000u);
  BOOST_TEST(tiny_ok_count > 0u);
}

BOOST_AUTO_TEST_CASE(fast_path_and_reference_agree_around_every_depth_limit) {
  const auto base
      = make_event(good_ts, good_service, good_status, good_latency);
  request_event ev;
  for (size_t max_depth : {0, 1, 2, 3, 32, 1023, 1024, 1025, 1030}) {
    parse_limits limits;
    limits.max_depth = max_depth;
    const size_t from = max_depth < 3 ? 1 : max_depth - 2;
    for (size_t depth = from; depth <= max_depth + 2; ++depth) {
      // `depth` counts the top-level object; the unknown field adds the rest.
      std::string arrays = R"("deep":)" + std::string(depth - 1, '[')
                           + std::string(depth - 1, ']') + ",";
      std::string objects = R"("deep":)";
      for (size_t d = 1; d < depth; ++d)
        objects += R"({"k":)";
      objects += "0" + std::string(depth - 1, '}') + ",";
      if (depth == 1)
        arrays = objects = "";
      for (const auto& field : {arrays, objects}) {
        const auto text = std::string{base}.insert(1, field);
        BOOST_TEST_CONTEXT("max_depth " << max_depth << ", depth " << depth
                                        << ": " << text.substr(0, 80)) {
          const auto outcome = parse_compared(text, ev, limits);
          BOOST_TEST(outcome.ok == (depth <= max_depth));
          if (!outcome.ok)
            BOOST_TEST(outcome.reason == invalid_reason::too_deep);
        }
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bytes_after_a_message_never_complete_or_change_it) {
  // The bytes after a message parsed in place are readable but not part of
  // it: a truncated event stays not_json whatever follows it.
  const std::string event
      = make_event(good_ts, good_service, good_status, "12");
  for (const char* after : {"}", "5}", "0.5}", R"(","status_code":200})"}) {
    for (size_t cut : {size_t{1}, size_t{2}, size_t{4}}) {
      const std::string_view message{event.data(), event.size() - cut};
      std::string buffer{message};
      buffer += after;
      buffer.append(vigil::parse_padding, ' ');
      BOOST_TEST_CONTEXT(buffer) {
        request_event ev;
        const auto outcome = vigil::parse_request_event(
            std::string_view{buffer.data(), message.size()}, ev, {},
            buffer.size() - message.size());
        BOOST_TEST(!outcome.ok);
        BOOST_TEST(outcome.reason == invalid_reason::not_json);
      }
    }
  }
  // A complete event followed by more bytes is the event alone.
  std::string two = event + "7" + event;
  two.append(vigil::parse_padding, '9');
  request_event ev;
  const auto outcome
      = vigil::parse_request_event(std::string_view{two.data(), event.size()},
                                   ev, {}, two.size() - event.size());
  BOOST_REQUIRE(outcome.ok);
  BOOST_TEST(ev.latency_ms == 12.0);
}

BOOST_AUTO_TEST_CASE(inputs_simdjson_rejects_or_reads_differently_agree) {
  // Each of these either fails in simdjson where the reference accepts or
  // rejects it for another reason, or sits on a number-conversion boundary;
  // parse_compared checks that the outcome is the reference's.
  const std::pair<std::string, bool> cases[] = {
      // nlohmann skips a UTF-8 byte order mark; simdjson does not.
      {"\xef\xbb\xbf" + valid_event, true},
      {make_event("18446744073709551615", good_service, good_status, "1"),
       false},
      {make_event("-0", good_service, good_status, "-0"), true},
      {make_event(good_ts, good_service, good_status, "-1e-400"), true},
      {make_event(good_ts, good_service, good_status,
                  "99999999999999999999999"),
       true},
      {make_event(good_ts, good_service, good_status, "1.7976931348623158e308"),
       true},
      {make_event(good_ts, good_service, "-9223372036854775808", "1"), false},
      {make_event(good_ts, R"("\udc00")", good_status, "1"), false},
      {make_event(good_ts, R"("\u0000")", good_status, "1"), false},
      {make_event(R"("2026-01-11T23:09:52.214+00:00Z")", good_service,
                  good_status, "0.1"),
       true},
      // The last timestamp is not repaired, so the event is not either.
      {R"({"timestamp":"2026-01-11T23:09:52.214+00:00Z","timestamp":0,)"
       R"("service":"a","status_code":200,"latency_ms":1})",
       true},
  };
  request_event ev;
  for (const auto& [text, ok] : cases)
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(parse_compared(text, ev).ok == ok);
    }
}
