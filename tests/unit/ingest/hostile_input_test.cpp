#define BOOST_TEST_MODULE hostile_input_test
#include <boost/test/unit_test.hpp>

#include "actors/ingest/partition_processor.hpp"
#include "actors/ingest/request_event.hpp"
#include "support/parse_compare.hpp"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <set>
#include <string>
#include <string_view>

// Inputs an attacker or a broken producer can put on the topic: huge or deep
// messages, invalid encodings, non-JSON numbers, and floods of distinct keys.
// Each must be rejected with the documented reason, quickly and with bounded
// memory, and must never crash the parser.

using vigil::invalid_reason;
using vigil::parse_limits;
using vigil::parse_outcome;
using vigil::parse_request_event;
using vigil::request_event;

namespace {

constexpr size_t mib = 1024 * 1024;

/// The four required fields, valid, without the braces.
const std::string valid_fields
    = R"("timestamp":"2026-01-11T23:09:52Z","service":"checkout",)"
      R"("status_code":200,"latency_ms":12.5)";

/// A valid event with `extra` (a `"key":value` member) before the fields.
std::string event_with(std::string_view extra) {
  std::string out = "{";
  out += extra;
  out += ',';
  out += valid_fields;
  out += '}';
  return out;
}

/// A valid event whose field `name` has the raw JSON text `value` instead.
std::string event_where(const char* name, std::string_view value) {
  std::string out = R"({"timestamp":"2026-01-11T23:09:52Z","service":"x",)"
                    R"("status_code":200,"latency_ms":1})";
  const std::string key = std::string{"\""} + name + "\":";
  const auto begin = out.find(key) + key.size();
  const auto end = out.find_first_of(",}", begin);
  out.replace(begin, end - begin, value);
  return out;
}

/// `depth` nested arrays, e.g. `[[[]]]` for 3.
std::string nested_arrays(size_t depth) {
  return std::string(depth, '[') + std::string(depth, ']');
}

/// `depth` nested objects, e.g. `{"a":{"a":{"a":1}}}` for 3.
std::string nested_objects(size_t depth) {
  std::string out;
  out.reserve(depth * 6 + 1);
  for (size_t i = 0; i < depth; ++i)
    out += R"({"a":)";
  out += '1';
  out.append(depth, '}');
  return out;
}

parse_outcome parse(std::string_view text, const parse_limits& limits = {}) {
  request_event ev;
  return parse_request_event(text, ev, limits);
}

/// Asserts that `text` is rejected for `reason`.
void check_rejected(std::string_view text, invalid_reason reason,
                    const parse_limits& limits = {}) {
  BOOST_TEST_CONTEXT(text.substr(0, 120)) {
    const auto outcome = parse(text, limits);
    BOOST_TEST(!outcome.ok);
    BOOST_TEST(outcome.reason == reason);
  }
}

/// Limits large enough that size is not what stops a message.
parse_limits two_mib_limits() {
  parse_limits limits;
  limits.max_bytes = 2 * mib;
  return limits;
}

} // namespace

// -- size -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(ten_megabyte_string_field_is_oversized_and_not_parsed) {
  const std::string big_service = R"({"timestamp":0,"service":")"
                                  + std::string(10 * mib, 's')
                                  + R"(","status_code":200,"latency_ms":1})";
  request_event ev;
  ev.service = "sentinel";
  const auto outcome = parse_request_event(big_service, ev);
  BOOST_TEST(!outcome.ok);
  BOOST_TEST(outcome.reason == invalid_reason::oversized);
  BOOST_TEST(outcome.field == nullptr);
  // Rejected on its length alone: the parser did not touch the event.
  BOOST_TEST(ev.service == "sentinel");
  const std::string big_ignored
      = event_with(R"("pad":")" + std::string(10 * mib, 'p') + '"');
  check_rejected(big_ignored, invalid_reason::oversized);
}

BOOST_AUTO_TEST_CASE(multi_megabyte_fields_within_raised_limits_are_scanned) {
  parse_limits limits;
  limits.max_bytes = 8 * mib;
  const std::string big_ignored
      = event_with(R"("pad":")" + std::string(4 * mib, 'p') + '"');
  request_event ev;
  BOOST_TEST(parse_request_event(big_ignored, ev, limits).ok);
  BOOST_TEST(ev.service == "checkout");
  const std::string big_service = R"({"timestamp":0,"service":")"
                                  + std::string(4 * mib, 's')
                                  + R"(","status_code":200,"latency_ms":1})";
  check_rejected(big_service, invalid_reason::bad_service, limits);
}

// -- nesting ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(hundred_thousand_deep_arrays_are_too_deep) {
  const auto limits = two_mib_limits();
  const auto deep = nested_arrays(100'000);
  check_rejected(event_with(R"("deep":)" + deep), invalid_reason::too_deep,
                 limits);
  // As the top-level value, depth outranks not_object.
  check_rejected(deep, invalid_reason::too_deep, limits);
  // Unclosed, it is not JSON, which outranks depth.
  check_rejected(std::string(100'000, '['), invalid_reason::not_json, limits);
  // Under the default 64 KiB limit, the size stops it first.
  check_rejected(event_with(R"("deep":)" + deep), invalid_reason::oversized);
}

BOOST_AUTO_TEST_CASE(hundred_thousand_deep_objects_are_too_deep) {
  const auto limits = two_mib_limits();
  const auto deep = nested_objects(100'000);
  BOOST_REQUIRE(deep.size() < limits.max_bytes);
  check_rejected(event_with(R"("deep":)" + deep), invalid_reason::too_deep,
                 limits);
  check_rejected(deep, invalid_reason::too_deep, limits);
}

BOOST_AUTO_TEST_CASE(deep_nesting_is_scanned_without_recursion) {
  // With the depth limit lifted, a million levels are walked to the end: the
  // parser keeps its nesting on the heap, so this cannot overflow the stack.
  parse_limits limits;
  limits.max_bytes = 4 * mib;
  limits.max_depth = 2'000'000;
  request_event ev;
  const auto outcome = parse_request_event(
      event_with(R"("deep":)" + nested_arrays(1'000'000)), ev, limits);
  BOOST_TEST(outcome.ok);
  BOOST_TEST(ev.service == "checkout");
}

// -- encoding ---------------------------------------------------------------

BOOST_AUTO_TEST_CASE(invalid_utf8_anywhere_is_not_json) {
  // Lone continuation, overlong NUL, overlong '/', UTF-16 surrogate, beyond
  // U+10FFFF, bytes that never occur, a sequence cut short by the quote.
  for (const char* bad :
       {"\x80", "\xc0\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "\xf5\x80\x80\x80", "\xfe", "\xff", "\xe2\x82", "\xf0\x9f\x98"}) {
    const std::string str = std::string{"\"x"} + bad + '"';
    BOOST_TEST_CONTEXT("sequence " << str) {
      // In an ignored value, an ignored key, a nested ignored value.
      check_rejected(event_with(R"("endpoint":)" + str),
                     invalid_reason::not_json);
      check_rejected(event_with(str + ":1"), invalid_reason::not_json);
      check_rejected(event_with(R"("meta":{"service":)" + str + "}"),
                     invalid_reason::not_json);
      // In the service itself.
      check_rejected(event_where("service", str), invalid_reason::not_json);
    }
  }
}

BOOST_AUTO_TEST_CASE(lone_escaped_surrogates_are_not_json) {
  for (const char* bad : {R"("\ud800")", R"("a\udc00b")", R"("\ud83d")",
                          R"("\ud83dx")", R"("\ude00\ud83d")"}) {
    check_rejected(event_where("service", bad), invalid_reason::not_json);
    check_rejected(event_with(std::string{R"("host":)"} + bad),
                   invalid_reason::not_json);
  }
  // A proper pair is one code point, four bytes of UTF-8.
  request_event ev;
  BOOST_TEST(
      parse_request_event(event_where("service", R"("\ud83d\ude00")"), ev).ok);
  BOOST_TEST(ev.service == "\xf0\x9f\x98\x80");
}

// -- numbers ----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(nan_and_infinity_tokens_are_not_json) {
  for (const char* token :
       {"NaN", "-NaN", "nan", "Infinity", "-Infinity", "+Infinity", "inf",
        "-inf", "1e", "+1", ".5", "0x10", "1_000"}) {
    BOOST_TEST_CONTEXT(token) {
      check_rejected(event_where("latency_ms", token),
                     invalid_reason::not_json);
      check_rejected(event_where("timestamp", token), invalid_reason::not_json);
      check_rejected(event_where("status_code", token),
                     invalid_reason::not_json);
      check_rejected(event_with(std::string{R"("weight":)"} + token),
                     invalid_reason::not_json);
    }
  }
}

BOOST_AUTO_TEST_CASE(numbers_beyond_the_double_range_are_not_json) {
  for (const char* number : {"1e309", "-1e309", "1e999999999",
                             "1.7976931348623159e308", "1e308*10"}) {
    BOOST_TEST_CONTEXT(number) {
      check_rejected(event_where("latency_ms", number),
                     invalid_reason::not_json);
      check_rejected(event_where("timestamp", number),
                     invalid_reason::not_json);
      check_rejected(event_with(std::string{R"("weight":)"} + number),
                     invalid_reason::not_json);
    }
  }
}

BOOST_AUTO_TEST_CASE(extreme_but_finite_numbers_get_field_reasons) {
  request_event ev;
  // The largest double is a valid latency; an underflow is zero.
  BOOST_TEST(parse_request_event(
                 event_where("latency_ms", "1.7976931348623157e308"), ev)
                 .ok);
  BOOST_TEST(ev.latency_ms == 1.7976931348623157e308);
  BOOST_TEST(parse_request_event(event_where("latency_ms", "-1e-400"), ev).ok);
  BOOST_TEST(ev.latency_ms == 0.0);
  BOOST_TEST(!std::signbit(ev.latency_ms));
  // Integers beyond 64 bits become floats: not a status code, not a time.
  const char* huge = "99999999999999999999999";
  check_rejected(event_where("status_code", huge), invalid_reason::wrong_type);
  check_rejected(event_where("timestamp", huge), invalid_reason::bad_timestamp);
  check_rejected(event_where("timestamp", "1e308"),
                 invalid_reason::bad_timestamp);
  check_rejected(event_where("timestamp", "-9223372036854775808"),
                 invalid_reason::bad_timestamp);
  check_rejected(event_where("status_code", "-9223372036854775808"),
                 invalid_reason::bad_status);
}

// -- key floods -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_flood_of_distinct_services_overflows_at_the_cap) {
  constexpr size_t cap = 1000;
  constexpr size_t total = 200'000;
  constexpr size_t per_batch = 10'000;
  vigil::partition_processor_config settings;
  settings.max_services = cap;
  vigil::partition_processor processor{3, settings};
  size_t overflowed = 0;
  size_t other_rejections = 0;
  uint64_t accepted = 0;
  uint64_t counted_overflow = 0;
  int64_t first_overflow_offset = -1;
  std::set<std::string> forwarded;
  int64_t offset = 0;
  for (size_t sent = 0; sent < total; sent += per_batch) {
    vigil::record_batch batch;
    batch.partition = 3;
    for (size_t i = sent; i < sent + per_batch; ++i) {
      batch.bytes += R"({"timestamp":1768172992214,"service":"svc-)";
      batch.bytes += std::to_string(i);
      batch.bytes += R"(","status_code":200,"latency_ms":1})";
      batch.offsets.push_back(offset++);
      batch.ends.push_back(static_cast<uint32_t>(batch.bytes.size()));
    }
    const auto result = processor.process(batch, INT64_MIN);
    for (const auto& letter : result.dead_letters) {
      if (letter.reason == "service_overflow") {
        ++overflowed;
        if (first_overflow_offset < 0)
          first_overflow_offset = letter.offset;
      } else {
        ++other_rejections;
      }
    }
    accepted += result.partials.counters.events;
    counted_overflow
        += result.partials.counters
               .invalid[static_cast<size_t>(invalid_reason::service_overflow)];
    for (const auto& partial : result.partials.partials)
      forwarded.insert(partial.key);
  }
  BOOST_TEST(other_rejections == 0u);
  BOOST_TEST(overflowed == total - cap);
  BOOST_TEST(counted_overflow == total - cap);
  BOOST_TEST(accepted == cap);
  BOOST_TEST(forwarded.size() == cap);
  // The first `cap` services were admitted in offset order.
  BOOST_TEST(first_overflow_offset == static_cast<int64_t>(cap));
  BOOST_TEST(forwarded.count("svc-0") == 1u);
  BOOST_TEST(forwarded.count("svc-999") == 1u);
  BOOST_TEST(forwarded.count("svc-1000") == 0u);
  // Afterwards, a known service is still accepted and a new one is not.
  vigil::record_batch after;
  after.bytes = R"({"timestamp":1768172992214,"service":"svc-7",)"
                R"("status_code":500,"latency_ms":2})";
  after.ends.push_back(static_cast<uint32_t>(after.bytes.size()));
  after.bytes += R"({"timestamp":1768172992214,"service":"brand-new",)"
                 R"("status_code":200,"latency_ms":2})";
  after.ends.push_back(static_cast<uint32_t>(after.bytes.size()));
  after.offsets = {offset, offset + 1};
  const auto result = processor.process(after, INT64_MIN);
  BOOST_TEST(result.partials.counters.events == 1u);
  BOOST_REQUIRE(result.dead_letters.size() == 1u);
  BOOST_TEST(result.dead_letters[0].reason == "service_overflow");
  BOOST_TEST(result.dead_letters[0].offset == offset + 1);
  BOOST_TEST(processor.next_offset() == offset + 2);
}

BOOST_AUTO_TEST_CASE(an_oversized_record_becomes_a_bounded_dead_letter) {
  vigil::partition_processor processor{0, vigil::partition_processor_config{}};
  vigil::record_batch batch;
  batch.bytes = event_with(R"("pad":")" + std::string(10 * mib, 'p') + '"');
  batch.ends.push_back(static_cast<uint32_t>(batch.bytes.size()));
  batch.offsets.push_back(41);
  const auto result = processor.process(batch, INT64_MIN);
  BOOST_TEST(result.partials.counters.events == 0u);
  BOOST_TEST(result.partials.counters
                 .invalid[static_cast<size_t>(invalid_reason::oversized)]
             == 1u);
  BOOST_REQUIRE(result.dead_letters.size() == 1u);
  BOOST_TEST(result.dead_letters[0].reason == "oversized");
  BOOST_TEST(result.dead_letters[0].offset == 41);
  // The dead letter keeps a prefix of the payload, not all 10 MiB.
  BOOST_TEST(result.dead_letters[0].payload.size() <= 64u * 1024u);
  BOOST_TEST(result.dead_letters[0].payload.compare(
                 0, std::string::npos, batch.bytes, 0,
                 result.dead_letters[0].payload.size())
             == 0);
}

BOOST_AUTO_TEST_CASE(records_with_inconsistent_ends_are_not_json) {
  // A batch from a broken or hostile sender: an end before its begin, an end
  // beyond the bytes, and an end missing altogether. Each such record is
  // rejected on its own; the well-framed records around them are parsed.
  const std::string event = R"({"timestamp":1768172992214,"service":"a",)"
                            R"("status_code":200,"latency_ms":1})";
  vigil::partition_processor processor{0, vigil::partition_processor_config{}};
  vigil::record_batch batch;
  batch.bytes = event + event;
  const auto one = static_cast<uint32_t>(event.size());
  batch.ends = {one, 3, one + 1'000'000, 2 * one};
  batch.offsets = {10, 11, 12, 13, 14};
  const auto result = processor.process(batch, INT64_MIN);
  BOOST_TEST(result.partials.counters.events == 2u);
  BOOST_REQUIRE(result.dead_letters.size() == 3u);
  for (size_t i = 0; i < 3; ++i) {
    BOOST_TEST(result.dead_letters[i].reason == "not_json");
    BOOST_TEST(result.dead_letters[i].payload.empty());
  }
  BOOST_TEST(result.dead_letters[0].offset == 11);
  BOOST_TEST(result.dead_letters[1].offset == 12);
  BOOST_TEST(result.dead_letters[2].offset == 14);
  BOOST_TEST(processor.next_offset() == 15);
}
