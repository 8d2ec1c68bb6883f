#define BOOST_TEST_MODULE partition_processor
#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

#include "actors/ingest/partition_processor.hpp"
#include "support/records.hpp"

using namespace vigil;

namespace {

std::string event(const std::string& service, const std::string& ts,
                  int status = 200, double latency = 12.5) {
  return R"({"timestamp":")" + ts + R"(","service":")" + service
         + R"(","status_code":)" + std::to_string(status) + R"(,"latency_ms":)"
         + std::to_string(latency) + "}";
}

using test::make_batch;

partition_processor_config settings() {
  return test::processor_settings();
}

} // namespace

BOOST_AUTO_TEST_CASE(valid_events_become_partials_per_service_and_window) {
  partition_processor p{3, settings()};
  auto out = p.process(
      make_batch(100, {event("api", "2026-01-01T00:00:01Z", 200, 10),
                       event("api", "2026-01-01T00:00:02Z", 503, 30),
                       event("web", "2026-01-01T00:00:03Z"),
                       event("api", "2026-01-01T00:00:11Z")}),
      INT64_MIN);
  BOOST_CHECK(out.dead_letters.empty());
  const auto& pb = out.partials;
  BOOST_CHECK_EQUAL(pb.partition, 3);
  BOOST_CHECK_EQUAL(pb.next_offset, 104);
  BOOST_CHECK_EQUAL(pb.counters.events, 4u);
  BOOST_REQUIRE_EQUAL(pb.partials.size(), 3u);
  const auto& api0 = pb.partials[0];
  BOOST_CHECK_EQUAL(api0.key, "api");
  BOOST_CHECK_EQUAL(api0.aggregate.count, 2u);
  BOOST_CHECK_EQUAL(api0.aggregate.errors, 1u);
  BOOST_CHECK_EQUAL(api0.aggregate.measures.at(0).max, 30.0);
  BOOST_CHECK_EQUAL(pb.max_event_time, 1'767'225'611'000);
}

BOOST_AUTO_TEST_CASE(invalid_events_become_dead_letters_with_reasons) {
  partition_processor p{0, settings()};
  auto out
      = p.process(make_batch(0, {"not json", event("api", "yesterday"),
                                 event("api", "2026-01-01T00:00:01Z", 700),
                                 event("api", "2026-01-01T00:00:01+00:00Z")}),
                  INT64_MIN);
  BOOST_REQUIRE_EQUAL(out.dead_letters.size(), 3u);
  BOOST_CHECK_EQUAL(out.dead_letters[0].reason, "not_json");
  BOOST_CHECK_EQUAL(out.dead_letters[0].offset, 0);
  BOOST_CHECK_EQUAL(out.dead_letters[0].payload, "not json");
  BOOST_CHECK_EQUAL(out.dead_letters[1].reason, "bad_timestamp");
  BOOST_CHECK_EQUAL(out.dead_letters[2].reason, "bad_status");
  const auto& c = out.partials.counters;
  BOOST_CHECK_EQUAL(c.events, 1u);
  BOOST_CHECK_EQUAL(c.repaired, 1u);
  BOOST_CHECK_EQUAL(c.invalid[static_cast<size_t>(invalid_reason::not_json)],
                    1u);
}

BOOST_AUTO_TEST_CASE(events_beyond_the_allowed_lateness_are_dead_letters) {
  partition_processor p{0, settings()};
  // Watermark 2026-01-01T00:00:20Z: window [0s, 10s) closed 10 s ago, more
  // than the 5 s lateness; window [10s, 20s) closed just now.
  int64_t wm = 1'767'225'620'000;
  auto out = p.process(make_batch(0, {event("api", "2026-01-01T00:00:05Z"),
                                      event("api", "2026-01-01T00:00:15Z"),
                                      event("api", "2026-01-01T00:00:25Z")}),
                       wm);
  BOOST_REQUIRE_EQUAL(out.dead_letters.size(), 1u);
  BOOST_CHECK_EQUAL(out.dead_letters[0].reason, "too_late");
  BOOST_CHECK_EQUAL(out.partials.counters.events, 2u);
  BOOST_CHECK_EQUAL(out.partials.counters.late_accepted, 1u);
  BOOST_REQUIRE_EQUAL(out.partials.partials.size(), 2u);
  BOOST_CHECK_EQUAL(out.partials.partials[0].aggregate.late, 1u);
  BOOST_CHECK_EQUAL(out.partials.partials[1].aggregate.late, 0u);
}

BOOST_AUTO_TEST_CASE(services_beyond_the_cap_are_rejected_and_counted) {
  auto s = settings();
  s.max_services = 2;
  partition_processor p{0, s};
  auto out = p.process(make_batch(0, {event("a", "2026-01-01T00:00:01Z"),
                                      event("b", "2026-01-01T00:00:01Z"),
                                      event("c", "2026-01-01T00:00:01Z"),
                                      event("a", "2026-01-01T00:00:02Z")}),
                       INT64_MIN);
  BOOST_REQUIRE_EQUAL(out.dead_letters.size(), 1u);
  BOOST_CHECK_EQUAL(out.dead_letters[0].reason, "service_overflow");
  BOOST_CHECK_EQUAL(out.partials.counters.events, 3u);
}

BOOST_AUTO_TEST_CASE(offsets_are_checked_for_order_across_batches) {
  partition_processor p{0, settings()};
  p.process(make_batch(10, {event("a", "2026-01-01T00:00:01Z")}), INT64_MIN);
  p.process(make_batch(11, {event("a", "2026-01-01T00:00:01Z")}), INT64_MIN);
  BOOST_CHECK_EQUAL(p.reorderings(), 0u);
  p.process(make_batch(5, {event("a", "2026-01-01T00:00:01Z")}), INT64_MIN);
  BOOST_CHECK_EQUAL(p.reorderings(), 1u);
  BOOST_CHECK_EQUAL(p.last_offset(), 5);
}
