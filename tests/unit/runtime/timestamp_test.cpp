#define BOOST_TEST_MODULE timestamp_test
#include <boost/test/unit_test.hpp>

#include "runtime/timestamp.hpp"

#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <string>

using vigil::format_rfc3339;
using vigil::format_utc;
using vigil::parse_epoch_ms;
using vigil::parse_rfc3339;

namespace {

struct valid_case {
  const char* text;
  int64_t epoch_ms;
};

// Expected values are `date -u -d <text> +%s` times 1000, plus the fraction.
const valid_case valid_cases[] = {
    {"1970-01-01T00:00:00Z", 0},
    {"2026-01-11T23:09:52Z", 1768172992000},
    {"2026-01-11t23:09:52z", 1768172992000},
    {"2026-01-11 23:09:52Z", 1768172992000},
    {"2026-01-11T23:09:52+05:30", 1768153192000},
    {"2026-01-11T23:09:52-08:00", 1768201792000},
    {"2026-01-11T23:09:52+00:00", 1768172992000},
    {"2026-01-11T23:09:52-00:00", 1768172992000},
    {"2026-01-11T23:09:52.2Z", 1768172992200},
    {"2026-01-11T23:09:52.21Z", 1768172992210},
    {"2026-01-11T23:09:52.214Z", 1768172992214},
    {"2026-01-11T23:09:52.2149Z", 1768172992214},
    {"2026-01-11T23:09:52.21499Z", 1768172992214},
    {"2026-01-11T23:09:52.214999Z", 1768172992214},
    {"2026-01-11T23:09:52.2149999Z", 1768172992214},
    {"2026-01-11T23:09:52.21499999Z", 1768172992214},
    {"2026-01-11T23:09:52.214999999Z", 1768172992214},
    {"2026-01-11T23:09:52.214+05:30", 1768153192214},
    {"2024-02-29T12:00:00Z", 1709208000000},
    {"2000-02-29T00:00:00Z", 951782400000},
    {"2100-02-28T23:59:59Z", 4107542399000},
    {"1600-03-01T00:00:00Z", -11670912000000},
    // Negative offset: the local date is the day before the UTC date.
    {"2025-12-31T20:00:00-05:00", 1767229200000},
    // Positive offset: the UTC date is the day (and month) before.
    {"2026-03-01T01:30:00+02:00", 1772321400000},
    {"1969-12-31T23:59:59Z", -1000},
    {"1969-12-31T23:59:59.5Z", -500},
    // -0.1 ms is truncated toward negative infinity.
    {"1969-12-31T23:59:59.9999Z", -1},
    {"1969-07-20T20:17:40Z", -14182940000},
    {"1900-01-01T00:00:00Z", -2208988800000},
    {"0001-01-01T00:00:00Z", -62135596800000},
    {"9999-12-31T23:59:59.999Z", 253402300799999},
};

const char* const invalid_cases[] = {
    "",
    "2026-13-01T00:00:00Z",
    "2026-00-01T00:00:00Z",
    "2026-01-00T00:00:00Z",
    "2026-01-32T00:00:00Z",
    "2026-02-30T00:00:00Z",
    "2026-02-29T00:00:00Z", // 2026 is not a leap year
    "2100-02-29T00:00:00Z", // divisible by 100, not by 400
    "2026-04-31T00:00:00Z",
    "2026-01-01T24:00:00Z",
    "2026-01-01T00:60:00Z",
    "2026-01-01T00:00:60Z", // leap seconds are rejected
    "2026-01-01T00:00:00",  // missing zone
    "2026-01-01T00:00:00+25:00",
    "2026-01-01T00:00:00+24:00",
    "2026-01-01T00:00:00+05:60",
    "2026-01-01T00:00:00+0530",
    "2026-01-01T00:00:00+05",
    "2026-01-01T00:00:00Zjunk",
    "2026-01-01T00:00:00Z ",
    " 2026-01-01T00:00:00Z",
    "2026-01-01",
    "2026-01-01T",
    "abcd-ef-ghTij:kl:mnZ",
    "2026-01-01X00:00:00Z",
    "2026/01/01T00:00:00Z",
    "2026-1-01T00:00:00Z",
    "2026-01-01T0:00:00Z",
    "2026-01-01T00:00:00.1234567890Z", // 10 fraction digits
    "2026-01-01T00:00:00.Z",           // empty fraction
    "2026-01-01T00:00:00,5Z",
    "0000-01-01T00:00:00Z",
    "+2026-01-01T00:00:00Z",
    "12026-01-01T00:00:00Z",
    "2026-01-01T00:00:00ZZ",
    "2026-01-01T00:00:00+00:00z", // only the exact seed form is repaired
    "2026-01-01T00:00:00-00:00Z",
    "2026-01-01T00:00:00+05:30Z",
    "2026-01-01T00:00:00+0000Z",
};

} // namespace

BOOST_AUTO_TEST_CASE(valid_forms_parse_to_their_epoch_milliseconds) {
  for (const auto& c : valid_cases) {
    BOOST_TEST_CONTEXT(c.text) {
      auto ts = parse_rfc3339(c.text);
      BOOST_REQUIRE(ts.has_value());
      BOOST_TEST(ts->epoch_ms == c.epoch_ms);
      BOOST_TEST(!ts->repaired);
    }
  }
}

BOOST_AUTO_TEST_CASE(double_zone_marker_is_repaired_to_the_utc_value) {
  auto plain = parse_rfc3339("2026-01-11T23:09:52.214Z");
  auto marked = parse_rfc3339("2026-01-11T23:09:52.214+00:00Z");
  BOOST_REQUIRE(plain.has_value());
  BOOST_REQUIRE(marked.has_value());
  BOOST_TEST(marked->repaired);
  BOOST_TEST(marked->epoch_ms == plain->epoch_ms);
  BOOST_TEST(marked->epoch_ms == 1768172992214);
}

BOOST_AUTO_TEST_CASE(invalid_forms_are_rejected) {
  for (const char* text : invalid_cases) {
    BOOST_TEST_CONTEXT('"' << text << '"') {
      BOOST_TEST(!parse_rfc3339(text).has_value());
    }
  }
}

BOOST_AUTO_TEST_CASE(embedded_nul_and_truncated_prefixes_are_rejected) {
  const std::string full = "2026-01-11T23:09:52.214+05:30";
  // Every strict prefix except the one ending just before the offset is
  // incomplete; that one lacks a zone and is rejected too.
  for (size_t n = 0; n < full.size(); ++n) {
    BOOST_TEST_CONTEXT(full.substr(0, n)) {
      BOOST_TEST(!parse_rfc3339(std::string_view{full.data(), n}));
    }
  }
  std::string with_nul = "2026-01-11T23:09:52Z";
  with_nul.push_back('\0');
  BOOST_TEST(!parse_rfc3339(with_nul).has_value());
}

BOOST_AUTO_TEST_CASE(offsets_that_leave_years_1_to_9999_are_rejected) {
  // Found by tests/fuzz/timestamp_fuzz: the local date is in range but the
  // UTC instant is not, and could not be formatted and parsed back.
  for (const char* text :
       {"0001-01-01T00:00:52+05:30", "0001-01-01T00:00:00+00:01",
        "0001-01-01T23:58:59.999+23:59", "9999-12-31T23:59:59.999-00:01",
        "9999-12-31T00:01:00-23:59"}) {
    BOOST_TEST_CONTEXT(text) {
      BOOST_TEST(!parse_rfc3339(text).has_value());
    }
  }
  // The same local times with offsets that stay inside the range.
  BOOST_TEST(parse_rfc3339("0001-01-01T00:00:00-00:01")->epoch_ms
             == -62135596800000 + 60000);
  BOOST_TEST(parse_rfc3339("0001-01-01T00:01:00+00:01")->epoch_ms
             == -62135596800000);
  BOOST_TEST(parse_rfc3339("9999-12-31T23:58:59.999-00:01")->epoch_ms
             == 253402300799999);
  BOOST_TEST(parse_rfc3339("9999-12-31T23:59:59.999+00:00Z")->epoch_ms
             == 253402300799999);
}

BOOST_AUTO_TEST_CASE(format_writes_utc_with_milliseconds) {
  BOOST_TEST(format_rfc3339(0) == "1970-01-01T00:00:00.000Z");
  BOOST_TEST(format_rfc3339(1768172992214) == "2026-01-11T23:09:52.214Z");
  BOOST_TEST(format_rfc3339(-1) == "1969-12-31T23:59:59.999Z");
  BOOST_TEST(format_rfc3339(1709208000000) == "2024-02-29T12:00:00.000Z");
  BOOST_TEST(format_rfc3339(-62135596800000) == "0001-01-01T00:00:00.000Z");
  BOOST_TEST(format_rfc3339(253402300799999) == "9999-12-31T23:59:59.999Z");
}

BOOST_AUTO_TEST_CASE(utc_text_uses_the_layout_and_floors_to_the_second) {
  BOOST_TEST(format_utc(1768172992914, "%Y-%m-%d %H:%M:%SZ")
             == "2026-01-11 23:09:52Z");
  BOOST_TEST(format_utc(1768172992914, "%Y-%m-%dT%H:%M:%SZ")
             == "2026-01-11T23:09:52Z");
  BOOST_TEST(format_utc(1768172992914, "%H:%M:%S") == "23:09:52");
  // Before 1970 the second is floored too, as format_rfc3339 does.
  BOOST_TEST(format_utc(-1, "%Y-%m-%dT%H:%M:%SZ") == "1969-12-31T23:59:59Z");
  BOOST_TEST(format_utc(-1000, "%H:%M:%S") == "23:59:59");
  BOOST_TEST(format_utc(0, "") == "");
}

BOOST_AUTO_TEST_CASE(format_then_parse_round_trips_random_instants) {
  std::mt19937_64 rng{20260111};
  std::uniform_int_distribution<int64_t> instant{-62135596800000,
                                                 253402300799999};
  for (int i = 0; i < 100000; ++i) {
    const auto t = instant(rng);
    const auto text = format_rfc3339(t);
    auto ts = parse_rfc3339(text);
    BOOST_REQUIRE_MESSAGE(ts.has_value(), text);
    BOOST_REQUIRE_MESSAGE(ts->epoch_ms == t, text << " -> " << ts->epoch_ms);
    BOOST_REQUIRE(!ts->repaired);
  }
}

BOOST_AUTO_TEST_CASE(offsets_shift_by_exactly_their_minutes) {
  std::mt19937_64 rng{42};
  std::uniform_int_distribution<int> hours{0, 23};
  std::uniform_int_distribution<int> minutes{0, 59};
  const int64_t base = 1768172992214; // 2026-01-11T23:09:52.214Z
  for (int i = 0; i < 1000; ++i) {
    const int h = hours(rng);
    const int m = minutes(rng);
    const bool east = (rng() & 1) != 0;
    char text[40];
    std::snprintf(text, sizeof(text), "2026-01-11T23:09:52.214%c%02d:%02d",
                  east ? '+' : '-', h, m);
    auto ts = parse_rfc3339(text);
    BOOST_REQUIRE_MESSAGE(ts.has_value(), text);
    const int64_t offset_ms = (h * 60 + m) * int64_t{60000};
    BOOST_TEST(ts->epoch_ms == (east ? base - offset_ms : base + offset_ms));
  }
}

BOOST_AUTO_TEST_CASE(epoch_ms_accepts_integral_values_in_range) {
  BOOST_TEST(parse_epoch_ms(0.0)->epoch_ms == 0);
  BOOST_TEST(parse_epoch_ms(-0.0)->epoch_ms == 0);
  BOOST_TEST(parse_epoch_ms(1768172992214.0)->epoch_ms == 1768172992214);
  BOOST_TEST(parse_epoch_ms(-1.0)->epoch_ms == -1);
  BOOST_TEST(parse_epoch_ms(-62135596800000.0)->epoch_ms == -62135596800000);
  BOOST_TEST(parse_epoch_ms(253402300799999.0)->epoch_ms == 253402300799999);
  BOOST_TEST(!parse_epoch_ms(1768172992214.0)->repaired);
}

BOOST_AUTO_TEST_CASE(epoch_ms_rejects_non_finite_fractional_and_huge_values) {
  BOOST_TEST(!parse_epoch_ms(std::numeric_limits<double>::quiet_NaN()));
  BOOST_TEST(!parse_epoch_ms(std::numeric_limits<double>::infinity()));
  BOOST_TEST(!parse_epoch_ms(-std::numeric_limits<double>::infinity()));
  BOOST_TEST(!parse_epoch_ms(1.5));
  BOOST_TEST(!parse_epoch_ms(1768172992214.25));
  BOOST_TEST(!parse_epoch_ms(-62135596800001.0));
  BOOST_TEST(!parse_epoch_ms(253402300800000.0));
  BOOST_TEST(!parse_epoch_ms(1e300));
  BOOST_TEST(!parse_epoch_ms(-1e300));
  BOOST_TEST(!parse_epoch_ms(std::numeric_limits<double>::max()));
  BOOST_TEST(!parse_epoch_ms(9.3e18)); // beyond int64_t
}
