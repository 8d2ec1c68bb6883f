#define BOOST_TEST_MODULE window_merger
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <random>

#include <nlohmann/json.hpp>

#include "actors/aggregate/window_merger.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using clock_time = window_merger::clock_time;

clock_time at(int64_t ms) {
  return clock_time{} + std::chrono::milliseconds(ms);
}

window_merger_config settings() {
  window_merger_config s;
  s.window_ms = 10'000;
  s.bound_ms = 2'000;
  s.lateness_ms = 5'000;
  s.idle_timeout = 10s;
  return s;
}

/// A batch of `n` events of `key` at time `t` from `partition`.
partial_batch batch(int32_t partition, const std::string& key, int64_t t,
                    uint64_t n, uint64_t errors = 0, double latency = 10) {
  partial_batch b;
  b.partition = partition;
  b.max_event_time = t;
  window_partial p;
  p.key = key;
  p.window_start = t / 10'000 * 10'000;
  p.aggregate = window_aggregate::with_measures(1);
  for (uint64_t i = 0; i < n; ++i)
    p.aggregate.add(i < errors, &latency);
  b.partials.push_back(std::move(p));
  b.counters.events = n;
  return b;
}

/// Moves the watermark of `partition` to `wm` (an event at wm + bound).
partial_batch advance_to(int32_t partition, int64_t wm) {
  partial_batch b;
  b.partition = partition;
  b.max_event_time = wm + 2'000;
  return b;
}

} // namespace

BOOST_AUTO_TEST_CASE(
    a_window_is_emitted_only_once_the_watermark_passes_its_end) {
  window_merger m{settings()};
  m.add_partition(0);
  m.apply(batch(0, "api", 1'000, 3, 1), at(0));
  BOOST_CHECK(m.advance(at(0), 0).empty());
  m.apply(advance_to(0, 9'999), at(0));
  BOOST_CHECK(m.advance(at(0), 0).empty());
  m.apply(advance_to(0, 10'000), at(0));
  auto rows = m.advance(at(0), 42);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(rows[0].service, "api");
  BOOST_CHECK_EQUAL(rows[0].window_start, 0);
  BOOST_CHECK_EQUAL(rows[0].window_end, 10'000);
  BOOST_CHECK_EQUAL(rows[0].request_count, 3);
  BOOST_CHECK_EQUAL(rows[0].error_count, 1);
  BOOST_CHECK_CLOSE(rows[0].error_rate, 1.0 / 3, 1e-9);
  BOOST_CHECK_EQUAL(rows[0].updated_at, 42);
  BOOST_CHECK(!rows[0].final);
  // Nothing changed: nothing to emit again.
  BOOST_CHECK(m.advance(at(0), 0).empty());
}

BOOST_AUTO_TEST_CASE(the_slowest_partition_holds_the_watermark_back) {
  window_merger m{settings()};
  m.add_partition(0);
  m.add_partition(1);
  m.apply(batch(0, "api", 1'000, 1), at(0));
  m.apply(advance_to(0, 60'000), at(0));
  BOOST_CHECK(m.advance(at(0), 0).empty()); // partition 1 has no watermark
  m.apply(advance_to(1, 11'000), at(0));
  auto rows = m.advance(at(0), 0);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(m.watermark(), 11'000);
}

BOOST_AUTO_TEST_CASE(late_partials_within_lateness_re_emit_the_window) {
  window_merger m{settings()};
  m.add_partition(0);
  m.apply(batch(0, "api", 1'000, 2), at(0));
  m.apply(advance_to(0, 12'000), at(0));
  BOOST_REQUIRE_EQUAL(m.advance(at(0), 0).size(), 1u);
  auto late = batch(0, "api", 2'000, 1, 1);
  late.max_event_time = 14'000;
  m.apply(late, at(0));
  auto rows = m.advance(at(0), 0);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK_EQUAL(rows[0].request_count, 3);
  BOOST_CHECK_EQUAL(rows[0].error_count, 1);
  BOOST_CHECK(!rows[0].final);
  // Past end + lateness: emitted once more, as final.
  m.apply(advance_to(0, 15'000), at(0));
  rows = m.advance(at(0), 0);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_CHECK(rows[0].final);
  BOOST_CHECK_EQUAL(rows[0].request_count, 3);
  BOOST_CHECK_EQUAL(m.counters().windows_emitted, 1u);
  BOOST_CHECK_EQUAL(m.counters().windows_finalized, 1u);
}

BOOST_AUTO_TEST_CASE(partials_for_an_evicted_window_are_counted_not_merged) {
  window_merger m{settings()};
  m.add_partition(0);
  m.apply(batch(0, "api", 1'000, 1), at(0));
  m.apply(advance_to(0, 100'000), at(0));
  BOOST_CHECK_EQUAL(m.advance(at(0), 0).size(), 1u);
  BOOST_CHECK_EQUAL(m.window_count(), 0u);
  m.apply(batch(0, "api", 3'000, 4), at(0));
  BOOST_CHECK_EQUAL(m.counters().late_partials_dropped, 4u);
  BOOST_CHECK_EQUAL(m.window_count(), 0u);
}

BOOST_AUTO_TEST_CASE(an_idle_partition_stops_holding_windows_open) {
  window_merger m{settings()};
  m.add_partition(0);
  m.add_partition(1);
  m.apply(batch(0, "api", 1'000, 1), at(0));
  m.apply(advance_to(0, 20'000), at(0));
  m.at_end(1, false, at(0));
  BOOST_CHECK(m.advance(at(9'000), 0).empty());
  BOOST_CHECK_EQUAL(m.advance(at(10'001), 0).size(), 1u);
}

BOOST_AUTO_TEST_CASE(flush_all_emits_every_window_as_final_once) {
  window_merger m{settings()};
  m.add_partition(0);
  m.apply(batch(0, "api", 1'000, 1), at(0));
  m.apply(batch(0, "web", 15'000, 2), at(0));
  m.apply(batch(0, "api", 25'000, 3), at(0));
  m.at_end(0, true, at(0));
  BOOST_CHECK(m.all_finished());
  auto rows = m.flush_all(7);
  BOOST_REQUIRE_EQUAL(rows.size(), 3u);
  for (const auto& r : rows)
    BOOST_CHECK(r.final);
  BOOST_CHECK_EQUAL(rows[0].window_start, 0);
  BOOST_CHECK_EQUAL(rows[1].window_start, 10'000);
  BOOST_CHECK_EQUAL(rows[2].request_count, 3);
  BOOST_CHECK(m.flush_all(7).empty());
}

BOOST_AUTO_TEST_CASE(flush_all_marks_the_windows_the_watermark_never_closed) {
  window_merger m{settings()};
  m.add_partition(0);
  m.apply(batch(0, "api", 1'000, 1), at(0));
  m.apply(batch(0, "api", 14'000, 2), at(0));
  m.apply(batch(0, "api", 25'000, 3), at(0));
  // Watermark 25,000 - 2,000: [0, 10000) and [10000, 20000) are complete.
  auto emitted = m.advance(at(0), 0);
  BOOST_CHECK_EQUAL(m.watermark(), 23'000);
  BOOST_REQUIRE_EQUAL(emitted.size(), 2u);
  for (const auto& r : emitted)
    BOOST_CHECK(!r.partial);
  // [0, 10000) is final already; [10000, 20000) is complete but within its
  // lateness; [20000, 30000) was cut short.
  auto rows = m.flush_all(7);
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  BOOST_CHECK_EQUAL(rows[0].window_start, 10'000);
  BOOST_CHECK(!rows[0].partial);
  BOOST_CHECK_EQUAL(rows[1].window_start, 20'000);
  BOOST_CHECK(rows[1].partial);
}

BOOST_AUTO_TEST_CASE(distinct_keys_beyond_the_cap_are_counted) {
  auto s = settings();
  s.max_keys = 2;
  window_merger m{s};
  m.add_partition(0);
  m.apply(batch(0, "a", 1'000, 1), at(0));
  m.apply(batch(0, "b", 1'000, 1), at(0));
  m.apply(batch(0, "c", 1'000, 5), at(0));
  m.apply(batch(0, "a", 1'000, 1), at(0));
  BOOST_CHECK_EQUAL(m.counters().key_overflow, 5u);
  BOOST_CHECK_EQUAL(m.window_count(), 2u);
}

BOOST_AUTO_TEST_CASE(a_restored_snapshot_continues_exactly_like_the_original) {
  std::mt19937_64 rng{7};
  window_merger a{settings()};
  a.add_partition(0);
  std::uniform_int_distribution<int64_t> t(0, 59'000);
  for (int i = 0; i < 200; ++i)
    a.apply(batch(0, "svc" + std::to_string(i % 5), t(rng), 3, i % 2,
                  static_cast<double>(i % 97) + 0.5),
            at(0));
  a.apply(advance_to(0, 30'000), at(0));
  a.advance(at(0), 0);
  window_merger b{settings()};
  BOOST_REQUIRE(b.restore(a.snapshot()));
  BOOST_CHECK_EQUAL(b.snapshot(), a.snapshot());
  b.add_partition(0);
  auto more = batch(0, "svc1", 45'000, 10, 4, 99);
  a.apply(more, at(0));
  b.apply(more, at(0));
  a.apply(advance_to(0, 80'000), at(0));
  b.apply(advance_to(0, 80'000), at(0));
  auto ra = a.advance(at(0), 1);
  auto rb = b.advance(at(0), 1);
  BOOST_REQUIRE_EQUAL(ra.size(), rb.size());
  for (size_t i = 0; i < ra.size(); ++i) {
    BOOST_CHECK_EQUAL(ra[i].service, rb[i].service);
    BOOST_CHECK_EQUAL(ra[i].request_count, rb[i].request_count);
    BOOST_CHECK_EQUAL(ra[i].p95_latency_ms, rb[i].p95_latency_ms);
  }
  BOOST_CHECK(!b.restore("{not json"));
  BOOST_CHECK(!b.restore(R"({"v":1,"windows":[{"k":"x"}]})"));
  BOOST_CHECK_EQUAL(b.snapshot(), a.snapshot());
}

BOOST_AUTO_TEST_CASE(a_snapshot_stored_with_the_former_v_key_still_restores) {
  window_merger a{settings()};
  a.add_partition(0);
  a.apply(batch(0, "checkout", 1'000, 4, 1, 12.5), at(0));
  auto doc = nlohmann::json::parse(a.snapshot());
  BOOST_REQUIRE(doc.contains("version"));
  BOOST_CHECK(!doc.contains("v"));
  // Databases written before the key was "version" hold "v".
  doc["v"] = doc["version"];
  doc.erase("version");
  window_merger b{settings()};
  BOOST_REQUIRE(b.restore(doc.dump()));
  BOOST_CHECK_EQUAL(b.snapshot(), a.snapshot());
  doc["v"] = 2;
  BOOST_CHECK(!b.restore(doc.dump()));
}
