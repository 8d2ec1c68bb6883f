#define BOOST_TEST_MODULE kind_event
#include <boost/test/unit_test.hpp>

// parse_kind_event (actors/ingest/kind_event.hpp): events of the built-in
// sensor and trade kinds, each dead-letter reason with the field it names,
// the documented order of reasons, and a partition processor configured with
// a kind turning a record batch into window partials and dead letters.

#include <string>
#include <vector>

#include "actors/ingest/kind_event.hpp"
#include "actors/ingest/partition_processor.hpp"
#include "runtime/event_kind.hpp"
#include "support/records.hpp"

using namespace vigil;

namespace {

const kind_schema& sensor() {
  static const kind_schema k = [] {
    auto r = load_kind_schema("sensor");
    if (!r)
      throw std::runtime_error(r.error());
    return *r;
  }();
  return k;
}

const kind_schema& trade() {
  static const kind_schema k = [] {
    auto r = load_kind_schema("trade");
    if (!r)
      throw std::runtime_error(r.error());
    return *r;
  }();
  return k;
}

/// 2026-01-01T00:00:00Z in epoch ms.
constexpr int64_t jan1 = 1'767'225'600'000;

/// A sensor reading; `extra` is spliced in before the closing brace.
std::string sensor_event(const std::string& ts = "\"2026-01-01T00:00:01Z\"",
                         const std::string& id = "\"s-1\"",
                         const std::string& ph = "7.1",
                         const std::string& extra = "") {
  return R"({"timestamp":)" + ts + R"(,"sensor_id":)" + id
         + R"(,"site":"north","ph":)" + ph
         + R"(,"temperature_c":21.5,"humidity_pct":55,"ec_ms_cm":1.2)" + extra
         + "}";
}

std::string trade_event(const std::string& ts, const std::string& symbol,
                        const std::string& price, const std::string& size,
                        const std::string& exchange = "\"XNYS\"") {
  return R"({"timestamp":)" + ts + R"(,"symbol":)" + symbol + R"(,"exchange":)"
         + exchange + R"(,"price":)" + price + R"(,"size":)" + size + "}";
}

struct result {
  parse_outcome outcome;
  kind_event event;
};

result parse(const std::string& json, const kind_schema& kind,
             const parse_limits& limits = {}) {
  result r;
  r.outcome = parse_kind_event(json, kind, r.event, limits);
  return r;
}

/// Checks that `json` is rejected for `reason`, naming `field` (nullptr:
/// none).
void check_rejected(const std::string& json, const kind_schema& kind,
                    invalid_reason reason, const char* field,
                    const parse_limits& limits = {}) {
  BOOST_TEST_CONTEXT("event " << json) {
    auto r = parse(json, kind, limits);
    BOOST_TEST(!r.outcome.ok);
    BOOST_TEST(to_string(r.outcome.reason) == to_string(reason));
    if (field == nullptr)
      BOOST_TEST(r.outcome.field == nullptr);
    else {
      BOOST_REQUIRE(r.outcome.field != nullptr);
      BOOST_TEST(std::string{r.outcome.field} == field);
    }
  }
}

} // namespace

// -- valid events -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_valid_sensor_reading_is_parsed) {
  auto r = parse(sensor_event(), sensor());
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(!r.outcome.repaired);
  BOOST_TEST(r.event.time_ms == jan1 + 1000);
  BOOST_TEST(r.event.key == "s-1|north");
  BOOST_TEST(r.event.values == (std::vector<double>{7.1, 21.5, 55, 1.2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(fields_may_come_in_any_order) {
  auto r = parse(R"({"ec_ms_cm":2,"humidity_pct":41.5,"site":"b","ph":6,)"
                 R"("temperature_c":-3,"sensor_id":"a",)"
                 R"("timestamp":"2026-01-01T01:00:00.250+01:00"})",
                 sensor());
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(r.event.time_ms == jan1 + 250);
  BOOST_TEST(r.event.key == "a|b");
  BOOST_TEST(r.event.values == (std::vector<double>{6, -3, 41.5, 2}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_valid_trade_with_an_epoch_ms_timestamp_is_parsed) {
  auto r = parse(trade_event("1767225601234", "\"ACME\"", "101.25", "300"),
                 trade());
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(r.event.time_ms == jan1 + 1234);
  BOOST_TEST(r.event.key == "ACME|XNYS");
  BOOST_TEST(r.event.values == (std::vector<double>{101.25, 300}),
             boost::test_tools::per_element());
  // An integral number written with a fraction or exponent is still ms.
  auto d
      = parse(trade_event("1767225601234.0", "\"ACME\"", "1", "1e2"), trade());
  BOOST_REQUIRE(d.outcome.ok);
  BOOST_TEST(d.event.time_ms == jan1 + 1234);
  BOOST_TEST(d.event.values[1] == 100.0);
  // RFC 3339 with the known-bad double zone marker: repaired.
  auto rep = parse(
      trade_event("\"2026-01-01T00:00:02+00:00Z\"", "\"ACME\"", "1", "2"),
      trade());
  BOOST_REQUIRE(rep.outcome.ok);
  BOOST_TEST(rep.outcome.repaired);
  BOOST_TEST(rep.event.time_ms == jan1 + 2000);
}

BOOST_AUTO_TEST_CASE(the_event_is_reused_without_leftovers) {
  kind_event e;
  parse_limits limits;
  BOOST_REQUIRE(parse_kind_event(sensor_event(), sensor(), e, limits).ok);
  BOOST_TEST(e.key == "s-1|north");
  BOOST_REQUIRE(
      parse_kind_event(trade_event("1767225601234", "\"B\"", "2", "3", "\"X\""),
                       trade(), e, limits)
          .ok);
  BOOST_TEST(e.key == "B|X");
  BOOST_TEST(e.values.size() == 2u);
}

BOOST_AUTO_TEST_CASE(unknown_fields_are_ignored) {
  auto r = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7.1",
                              R"(,"note":{"a":[1,2,{"b":null}]},"ph2":"x")"),
                 sensor());
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(r.event.values[0] == 7.1);
}

BOOST_AUTO_TEST_CASE(duplicate_fields_last_wins) {
  auto r = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7.1",
                              R"(,"ph":6.5,"site":"south")"),
                 sensor());
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(r.event.values[0] == 6.5);
  BOOST_TEST(r.event.key == "s-1|south");
  // A wrong type overridden by a valid value is fine...
  auto fixed = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"",
                                  "\"high\"", R"(,"ph":6.0)"),
                     sensor());
  BOOST_REQUIRE(fixed.outcome.ok);
  BOOST_TEST(fixed.event.values[0] == 6.0);
  // ...and a valid value overridden by a wrong type is not.
  check_rejected(
      sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7", R"(,"ph":"x")"),
      sensor(), invalid_reason::wrong_type, "ph");
  // An out-of-range value overridden by a valid one is fine.
  auto range = parse(
      sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "15", R"(,"ph":7)"),
      sensor());
  BOOST_REQUIRE(range.outcome.ok);
  BOOST_TEST(range.event.values[0] == 7.0);
}

BOOST_AUTO_TEST_CASE(bounds_of_the_valid_range_are_accepted) {
  for (auto ph : {"0", "14", "0.0", "14.0", "-0.0", "-0"}) {
    BOOST_TEST_CONTEXT("ph " << ph) {
      auto r = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", ph),
                     sensor());
      BOOST_REQUIRE(r.outcome.ok);
      BOOST_TEST(!std::signbit(r.event.values[0]));
    }
  }
  auto big = parse(
      trade_event("1767225601234", "\"A\"", "1e-300", "9007199254740992"),
      trade());
  BOOST_REQUIRE(big.outcome.ok);
  BOOST_TEST(big.event.values[1] == 9007199254740992.0);
}

BOOST_AUTO_TEST_CASE(keys_of_the_maximum_length_and_non_ascii_are_accepted) {
  parse_limits limits;
  limits.max_service_length = 8;
  auto r = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"12345678\""),
                 sensor(), limits);
  BOOST_REQUIRE(r.outcome.ok);
  BOOST_TEST(r.event.key == "12345678|north");
  auto u = parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"caf\\u00e9\""),
                 sensor());
  BOOST_REQUIRE(u.outcome.ok);
  BOOST_TEST(u.event.key == "caf\xc3\xa9|north");
}

// -- each reason with its field
// -------------------------------------------------

BOOST_AUTO_TEST_CASE(truncated_or_broken_json_is_not_json) {
  auto full = sensor_event();
  for (size_t cut : {size_t{1}, size_t{20}, full.size() - 1})
    check_rejected(full.substr(0, cut), sensor(), invalid_reason::not_json,
                   nullptr);
  check_rejected("", sensor(), invalid_reason::not_json, nullptr);
  check_rejected(full + "x", sensor(), invalid_reason::not_json, nullptr);
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "NaN"),
                 sensor(), invalid_reason::not_json, nullptr);
  // A number beyond a double.
  check_rejected(trade_event("1767225601234", "\"A\"", "1e400", "1"), trade(),
                 invalid_reason::not_json, nullptr);
  // Invalid UTF-8.
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s\xff\""),
                 sensor(), invalid_reason::not_json, nullptr);
}

BOOST_AUTO_TEST_CASE(a_top_level_value_other_than_an_object_is_not_object) {
  for (auto json : {"[1,2]", "\"x\"", "42", "null", "true"})
    check_rejected(json, sensor(), invalid_reason::not_object, nullptr);
}

BOOST_AUTO_TEST_CASE(wrong_types_name_their_field) {
  check_rejected(trade_event("1767225601234", "\"A\"", "\"101.2\"", "1"),
                 trade(), invalid_reason::wrong_type, "price");
  check_rejected(trade_event("1767225601234", "42", "101.2", "1"), trade(),
                 invalid_reason::wrong_type, "symbol");
  check_rejected(trade_event("1767225601234", "\"A\"", "101.2", "1", "null"),
                 trade(), invalid_reason::wrong_type, "exchange");
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "null"),
                 sensor(), invalid_reason::wrong_type, "ph");
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "[7]"),
                 sensor(), invalid_reason::wrong_type, "ph");
  check_rejected(sensor_event("true"), sensor(), invalid_reason::wrong_type,
                 "timestamp");
  check_rejected(sensor_event("null"), sensor(), invalid_reason::wrong_type,
                 "timestamp");
  check_rejected(sensor_event("{}"), sensor(), invalid_reason::wrong_type,
                 "timestamp");
  check_rejected(trade_event("1767225601234", "\"A\"", "1", "false"), trade(),
                 invalid_reason::wrong_type, "size");
}

BOOST_AUTO_TEST_CASE(missing_fields_name_their_field) {
  check_rejected(
      R"({"sensor_id":"s-1","site":"n","ph":7,"temperature_c":20,"humidity_pct":50,"ec_ms_cm":1})",
      sensor(), invalid_reason::missing_field, "timestamp");
  check_rejected(
      R"({"timestamp":1767225601234,"sensor_id":"s-1","ph":7,"temperature_c":20,"humidity_pct":50,"ec_ms_cm":1})",
      sensor(), invalid_reason::missing_field, "site");
  check_rejected(
      R"({"timestamp":1767225601234,"site":"n","sensor_id":"s-1","ph":7,"temperature_c":20,"ec_ms_cm":1})",
      sensor(), invalid_reason::missing_field, "humidity_pct");
  check_rejected(
      R"({"timestamp":1767225601234,"symbol":"A","exchange":"X","price":1})",
      trade(), invalid_reason::missing_field, "size");
  check_rejected("{}", trade(), invalid_reason::missing_field, "timestamp");
  // Field names are case-sensitive.
  check_rejected(
      R"({"timestamp":1767225601234,"Symbol":"A","exchange":"X","price":1,"size":1})",
      trade(), invalid_reason::missing_field, "symbol");
}

BOOST_AUTO_TEST_CASE(bad_timestamps_are_refused) {
  for (auto ts :
       {"\"yesterday\"", "\"2026-13-01T00:00:00Z\"", "\"2026-01-01T00:00:00\"",
        "\"\"", "1767225601234.5", "1e300", "-1e300"})
    check_rejected(sensor_event(ts), sensor(), invalid_reason::bad_timestamp,
                   "timestamp");
}

BOOST_AUTO_TEST_CASE(bad_keys_are_refused) {
  parse_limits limits;
  limits.max_service_length = 8;
  for (auto id : {"\"\"", "\"a|b\"", "\"|\"", "\"s\\u0001\"", "\"s\\n1\"",
                  "\"s\\u0000\"", "\"s\x7f\"", "\"123456789\""})
    check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", id), sensor(),
                   invalid_reason::bad_key, "sensor_id", limits);
  check_rejected(trade_event("1767225601234", "\"A\"", "1", "1", "\"X|Y\""),
                 trade(), invalid_reason::bad_key, "exchange");
  // The default limit is 128 bytes.
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"",
                              "\"" + std::string(129, 'k') + "\""),
                 sensor(), invalid_reason::bad_key, "sensor_id");
  BOOST_TEST(parse(sensor_event("\"2026-01-01T00:00:01Z\"",
                                "\"" + std::string(128, 'k') + "\""),
                   sensor())
                 .outcome.ok);
}

BOOST_AUTO_TEST_CASE(values_outside_the_declared_range_are_out_of_range) {
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "15"),
                 sensor(), invalid_reason::out_of_range, "ph");
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "-0.01"),
                 sensor(), invalid_reason::out_of_range, "ph");
  check_rejected(
      R"({"timestamp":1767225601234,"sensor_id":"s-1","site":"n","ph":7,"temperature_c":20,"humidity_pct":-1,"ec_ms_cm":1})",
      sensor(), invalid_reason::out_of_range, "humidity_pct");
  check_rejected(trade_event("1767225601234", "\"A\"", "10", "0"), trade(),
                 invalid_reason::out_of_range, "size");
  check_rejected(trade_event("1767225601234", "\"A\"", "10", "1.5"), trade(),
                 invalid_reason::out_of_range, "size");
  check_rejected(trade_event("1767225601234", "\"A\"", "10", "-3"), trade(),
                 invalid_reason::out_of_range, "size");
  check_rejected(trade_event("1767225601234", "\"A\"", "0", "3"), trade(),
                 invalid_reason::out_of_range, "price");
  check_rejected(trade_event("1767225601234", "\"A\"", "-0.0", "3"), trade(),
                 invalid_reason::out_of_range, "price");
}

BOOST_AUTO_TEST_CASE(oversized_and_too_deep_events_are_refused) {
  parse_limits small;
  small.max_bytes = 64;
  auto event = sensor_event();
  BOOST_REQUIRE(event.size() > 64u);
  check_rejected(event, sensor(), invalid_reason::oversized, nullptr, small);
  // Oversized wins over anything else (the message is not even parsed).
  check_rejected(std::string(100, '{'), sensor(), invalid_reason::oversized,
                 nullptr, small);
  small.max_bytes = event.size();
  BOOST_TEST(parse(event, sensor(), small).outcome.ok);

  std::string deep = std::string(40, '[') + std::string(40, ']');
  check_rejected(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7",
                              ",\"x\":" + deep),
                 sensor(), invalid_reason::too_deep, nullptr);
  // Within the limit: fine (the top-level object is depth 1).
  parse_limits deep_ok;
  deep_ok.max_depth = 42;
  BOOST_TEST(parse(sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7",
                                ",\"x\":" + deep),
                   sensor(), deep_ok)
                 .outcome.ok);
  // And the default parser again after another depth.
  BOOST_TEST(parse(sensor_event(), sensor()).outcome.ok);
}

// -- the order of reasons
// -------------------------------------------------------

BOOST_AUTO_TEST_CASE(reasons_come_in_the_documented_order) {
  // wrong_type before missing_field, whatever the fields' order.
  check_rejected(R"({"price":"1","exchange":"X"})", trade(),
                 invalid_reason::wrong_type, "price");
  check_rejected(R"({"symbol":1})", trade(), invalid_reason::wrong_type,
                 "symbol");
  // Within wrong_type: time, keys, measures.
  check_rejected(R"({"size":"1","price":"1","symbol":2,"timestamp":true})",
                 trade(), invalid_reason::wrong_type, "timestamp");
  check_rejected(R"({"size":"1","price":"1","exchange":2})", trade(),
                 invalid_reason::wrong_type, "exchange");
  check_rejected(R"({"size":"1","price":"1","symbol":"A"})", trade(),
                 invalid_reason::wrong_type, "price");
  // Within missing_field: time, keys, measures in declaration order.
  check_rejected(R"({"ec_ms_cm":1,"ph":7})", sensor(),
                 invalid_reason::missing_field, "timestamp");
  check_rejected(R"({"timestamp":1767225601234,"site":"x"})", sensor(),
                 invalid_reason::missing_field, "sensor_id");
  check_rejected(
      R"({"timestamp":1767225601234,"site":"x","sensor_id":"y","ec_ms_cm":1})",
      sensor(), invalid_reason::missing_field, "ph");
  // missing_field before bad values.
  check_rejected(R"({"timestamp":"soon","symbol":"","price":0})", trade(),
                 invalid_reason::missing_field, "exchange");
  // bad_timestamp before bad_key before out_of_range.
  check_rejected(trade_event("\"soon\"", "\"\"", "0", "0"), trade(),
                 invalid_reason::bad_timestamp, "timestamp");
  check_rejected(sensor_event("\"soon\"", "\"s-1\"", "15"), sensor(),
                 invalid_reason::bad_timestamp, "timestamp");
  check_rejected(trade_event("1767225601234", "\"A|B\"", "0", "0"), trade(),
                 invalid_reason::bad_key, "symbol");
  check_rejected(trade_event("1767225601234", "\"A\"", "1", "1", "\"\""),
                 trade(), invalid_reason::bad_key, "exchange");
  // Within out_of_range: measures in declaration order.
  check_rejected(trade_event("1767225601234", "\"A\"", "0", "0.5"), trade(),
                 invalid_reason::out_of_range, "price");
  check_rejected(
      R"({"humidity_pct":101,"timestamp":1767225601234,"site":"x","sensor_id":"y","ph":15,"temperature_c":20,"ec_ms_cm":1})",
      sensor(), invalid_reason::out_of_range, "ph");
  // not_object before anything about fields; not_json before not_object.
  check_rejected("[{\"timestamp\":1}]", sensor(), invalid_reason::not_object,
                 nullptr);
  check_rejected("[1,", sensor(), invalid_reason::not_json, nullptr);
}

// -- partition processor with a kind
// --------------------------------------------

namespace {

partition_processor_config trade_settings() {
  auto s = test::processor_settings(); // 10 s windows, 5 s lateness
  s.kind = std::make_shared<const kind_schema>(trade());
  return s;
}

std::string at(int64_t ms_after_jan1) {
  return std::to_string(jan1 + ms_after_jan1);
}

} // namespace

BOOST_AUTO_TEST_CASE(trades_become_partials_per_key_and_window) {
  partition_processor p{2, trade_settings()};
  auto out = p.process(
      test::make_batch(
          500,
          {trade_event(at(3'000), "\"ACME\"", "101", "10"),
           trade_event(at(1'000), "\"ACME\"", "100", "20"),
           trade_event(at(5'000), "\"ACME\"", "104", "5"),
           trade_event(at(2'000), "\"ACME\"", "99", "50", "\"XLON\""),
           trade_event(at(9'999), "\"ACME\"", "102", "30"),
           trade_event(at(10'000), "\"ACME\"", "103", "1"),
           trade_event(at(4'000), "\"ACME\"", "0", "1"),
           trade_event(at(4'000), "\"AC|ME\"", "1", "1"),
           trade_event(at(4'000), "\"ACME\"", "1", "1.5"),
           R"({"timestamp":1,"symbol":"ACME","exchange":"XNYS","price":1})",
           trade_event(at(4'000), "\"ACME\"", "\"1\"", "1"),
           "{\"timestamp\":", trade_event("\"later\"", "\"A\"", "1", "1")}),
      INT64_MIN);
  const auto& pb = out.partials;
  BOOST_TEST(pb.partition == 2);
  BOOST_TEST(pb.next_offset == 513);
  BOOST_TEST(pb.counters.events == 6u);
  BOOST_TEST(pb.max_event_time == jan1 + 10'000);
  // Dead letters in offset order, with their reasons.
  std::vector<std::string> reasons;
  std::vector<int64_t> offsets;
  for (const auto& d : out.dead_letters) {
    reasons.push_back(d.reason);
    offsets.push_back(d.offset);
    BOOST_TEST(d.partition == 2);
  }
  BOOST_TEST(reasons
                 == (std::vector<std::string>{
                     "out_of_range", "bad_key", "out_of_range", "missing_field",
                     "wrong_type", "not_json", "bad_timestamp"}),
             boost::test_tools::per_element());
  BOOST_TEST(offsets
                 == (std::vector<int64_t>{506, 507, 508, 509, 510, 511, 512}),
             boost::test_tools::per_element());
  BOOST_TEST(out.dead_letters[1].payload
             == trade_event(at(4'000), "\"AC|ME\"", "1", "1"));
  const auto& inv = pb.counters.invalid;
  BOOST_TEST(inv.at(static_cast<size_t>(invalid_reason::out_of_range)) == 2u);
  BOOST_TEST(inv.at(static_cast<size_t>(invalid_reason::bad_key)) == 1u);
  BOOST_TEST(inv.at(static_cast<size_t>(invalid_reason::missing_field)) == 1u);

  // Partials by (window, key): ACME|XLON and ACME|XNYS in the first window,
  // ACME|XNYS in the second.
  BOOST_REQUIRE_EQUAL(pb.partials.size(), 3u);
  const auto& lon = pb.partials[0];
  const auto& nys = pb.partials[1];
  const auto& nys2 = pb.partials[2];
  BOOST_TEST(lon.key == "ACME|XLON");
  BOOST_TEST(lon.window_start == jan1);
  BOOST_TEST(nys.key == "ACME|XNYS");
  BOOST_TEST(nys.window_start == jan1);
  BOOST_TEST(nys2.key == "ACME|XNYS");
  BOOST_TEST(nys2.window_start == jan1 + 10'000);
  BOOST_TEST(lon.aggregate.count == 1u);
  BOOST_TEST(nys.aggregate.count == 4u);
  BOOST_TEST(nys2.aggregate.count == 1u);
  BOOST_REQUIRE_EQUAL(nys.aggregate.measures.size(), 2u);
  auto v = window_values(trade(), nys.aggregate);
  // open (t=1s) 100, high 104, low 100, close (t=9.999s) 102.
  BOOST_TEST(v.at(0) == 100.0);
  BOOST_TEST(v.at(1) == 104.0);
  BOOST_TEST(v.at(2) == 100.0);
  BOOST_TEST(v.at(3) == 102.0);
  double pv = 101.0 * 10 + 100.0 * 20 + 104.0 * 5 + 102.0 * 30;
  BOOST_TEST(v.at(4) == pv / 65, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(v.at(5) == 65.0);
  auto l = window_values(trade(), lon.aggregate);
  BOOST_TEST(l == (std::vector<double>{99, 99, 99, 99, 99, 50}),
             boost::test_tools::per_element());
  // Trades are not errors.
  BOOST_TEST(nys.aggregate.errors == 0u);
}

BOOST_AUTO_TEST_CASE(sensor_readings_are_aggregated_per_measure) {
  auto s = test::processor_settings();
  s.kind = std::make_shared<const kind_schema>(sensor());
  partition_processor p{0, s};
  auto out = p.process(
      test::make_batch(
          0, {sensor_event("\"2026-01-01T00:00:01Z\"", "\"s-1\"", "7.0"),
              sensor_event("\"2026-01-01T00:00:03Z\"", "\"s-1\"", "6.0"),
              sensor_event("\"2026-01-01T00:00:02Z\"", "\"s-1\"", "8.0"),
              sensor_event("\"2026-01-01T00:00:02Z\"", "\"s-1\"", "14.5")}),
      INT64_MIN);
  BOOST_REQUIRE_EQUAL(out.dead_letters.size(), 1u);
  BOOST_TEST(out.dead_letters[0].reason == "out_of_range");
  BOOST_REQUIRE_EQUAL(out.partials.partials.size(), 1u);
  const auto& agg = out.partials.partials[0].aggregate;
  BOOST_TEST(out.partials.partials[0].key == "s-1|north");
  BOOST_REQUIRE_EQUAL(agg.measures.size(), 4u);
  auto v = window_values(sensor(), agg);
  BOOST_REQUIRE_EQUAL(v.size(), 16u);
  BOOST_TEST(v[0] == 7.0);   // ph_mean
  BOOST_TEST(v[1] == 6.0);   // ph_min
  BOOST_TEST(v[2] == 8.0);   // ph_max
  BOOST_TEST(v[3] == 6.0);   // ph_last (t = 3 s)
  BOOST_TEST(v[4] == 21.5);  // temperature_c_mean
  BOOST_TEST(v[11] == 55.0); // humidity_pct_last
  BOOST_TEST(v[12] == 1.2, boost::test_tools::tolerance(1e-12)); // ec mean
}

BOOST_AUTO_TEST_CASE(kind_events_are_late_capped_and_too_late_like_requests) {
  auto s = trade_settings();
  s.max_services = 2;
  partition_processor p{0, s};
  // Watermark at 20 s: window [0, 10 s) closed more than the 5 s lateness
  // ago, window [10 s, 20 s) just closed.
  auto out = p.process(
      test::make_batch(0, {trade_event(at(5'000), "\"A\"", "1", "1"),
                           trade_event(at(15'000), "\"A\"", "1", "1"),
                           trade_event(at(25'000), "\"B\"", "1", "1"),
                           trade_event(at(25'000), "\"C\"", "1", "1"),
                           trade_event(at(26'000), "\"A\"", "1", "1")}),
      jan1 + 20'000);
  std::vector<std::string> reasons;
  for (const auto& d : out.dead_letters)
    reasons.push_back(d.reason);
  BOOST_TEST(reasons
                 == (std::vector<std::string>{"too_late", "service_overflow"}),
             boost::test_tools::per_element());
  BOOST_TEST(out.partials.counters.events == 3u);
  BOOST_TEST(out.partials.counters.late_accepted == 1u);
  BOOST_REQUIRE_EQUAL(out.partials.partials.size(), 3u);
  BOOST_TEST(out.partials.partials[0].key == "A|XNYS");
  BOOST_TEST(out.partials.partials[0].aggregate.late == 1u);
  BOOST_TEST(out.partials.partials[1].key == "A|XNYS");
  BOOST_TEST(out.partials.partials[1].aggregate.late == 0u);
  BOOST_TEST(out.partials.partials[2].key == "B|XNYS");
}

BOOST_AUTO_TEST_CASE(the_same_batch_parses_alike_with_and_without_padding) {
  // kafka_source leaves spare capacity after the records; the parser may
  // read it. The outcome must not depend on it.
  std::vector<std::string> events{
      trade_event(at(1'000), "\"ACME\"", "100", "2"),
      trade_event(at(2'000), "\"ACME\"", "101", "3"), "{\"timestamp\":"};
  auto tight = test::make_batch(0, events);
  tight.bytes.shrink_to_fit();
  auto padded = test::make_batch(0, events);
  padded.bytes.reserve(padded.bytes.size() + 4096);
  partition_processor a{0, trade_settings()};
  partition_processor b{0, trade_settings()};
  auto x = a.process(tight, INT64_MIN);
  auto y = b.process(padded, INT64_MIN);
  BOOST_REQUIRE_EQUAL(x.partials.partials.size(), 1u);
  BOOST_REQUIRE_EQUAL(y.partials.partials.size(), 1u);
  BOOST_TEST(
      (x.partials.partials[0].aggregate == y.partials.partials[0].aggregate));
  BOOST_REQUIRE_EQUAL(x.dead_letters.size(), 1u);
  BOOST_REQUIRE_EQUAL(y.dead_letters.size(), 1u);
  BOOST_TEST(x.dead_letters[0].reason == "not_json");
  BOOST_TEST(y.dead_letters[0].reason == "not_json");
}
