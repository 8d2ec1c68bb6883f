#define BOOST_TEST_MODULE window
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/error.hpp>

#include "runtime/window.hpp"

using vigil::event_time;
using vigil::measure_aggregate;
using vigil::tumbling_windows;
using vigil::window_aggregate;
using vigil::window_bounds;

namespace {

constexpr int64_t ten_seconds = 10'000;

constexpr int64_t one_minute = 60'000;

struct event {
  bool is_error;
  bool is_late;
  double values[2];
};

/// Events with latencies in quarter milliseconds: sums of such values are
/// exact in double, so any merge order yields bit-identical sums.
std::vector<event> random_events(uint64_t seed, size_t n) {
  std::mt19937_64 rng{seed};
  std::uniform_int_distribution<int> quarters{0, 4 * 5'000};
  std::uniform_int_distribution<int> bytes{0, 1 << 20};
  std::bernoulli_distribution error{0.05};
  std::bernoulli_distribution late{0.02};
  std::vector<event> result(n);
  for (auto& e : result) {
    e.is_error = error(rng);
    e.is_late = late(rng);
    e.values[0] = quarters(rng) / 4.0;
    e.values[1] = bytes(rng);
  }
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(window_start_is_floor_of_event_time) {
  tumbling_windows windows{ten_seconds};
  BOOST_TEST(windows.size() == ten_seconds);
  auto w = windows.assign(1'700'000'012'345);
  BOOST_TEST(w.start == 1'700'000'010'000);
  BOOST_TEST(w.end == 1'700'000'020'000);
}

BOOST_AUTO_TEST_CASE(window_includes_its_start_and_excludes_its_end) {
  tumbling_windows windows{ten_seconds};
  auto at_start = windows.assign(1'700'000'010'000);
  BOOST_TEST(at_start.start == 1'700'000'010'000);
  BOOST_TEST(at_start.end == 1'700'000'020'000);
  auto before_end = windows.assign(1'700'000'019'999);
  BOOST_TEST((before_end == at_start));
  auto at_end = windows.assign(1'700'000'020'000);
  BOOST_TEST(at_end.start == 1'700'000'020'000);
  BOOST_TEST(at_end.end == 1'700'000'030'000);
}

BOOST_AUTO_TEST_CASE(one_minute_windows_align_to_the_minute) {
  tumbling_windows windows{one_minute};
  // 2023-11-14T22:13:20.123Z
  auto w = windows.assign(1'700'000'000'123);
  BOOST_TEST(w.start == 1'699'999'980'000);
  BOOST_TEST(w.end == 1'700'000'040'000);
  BOOST_TEST(w.start % one_minute == 0);
  BOOST_TEST((windows.assign(w.start) == w));
  BOOST_TEST((windows.assign(w.end - 1) == w));
  BOOST_TEST(windows.assign(w.end).start == w.end);
}

BOOST_AUTO_TEST_CASE(negative_times_floor_towards_minus_infinity) {
  tumbling_windows windows{ten_seconds};
  auto minus_one = windows.assign(-1);
  BOOST_TEST(minus_one.start == -ten_seconds);
  BOOST_TEST(minus_one.end == 0);
  auto boundary = windows.assign(-ten_seconds);
  BOOST_TEST(boundary.start == -ten_seconds);
  BOOST_TEST(boundary.end == 0);
  auto below = windows.assign(-ten_seconds - 1);
  BOOST_TEST(below.start == -2 * ten_seconds);
  BOOST_TEST(below.end == -ten_seconds);
  auto zero = windows.assign(0);
  BOOST_TEST(zero.start == 0);
  BOOST_TEST(zero.end == ten_seconds);
}

BOOST_AUTO_TEST_CASE(every_time_lies_in_its_window_of_size_length) {
  std::mt19937_64 rng{17};
  std::uniform_int_distribution<event_time> times{-4'000'000'000'000,
                                                  4'000'000'000'000};
  for (auto size : {int64_t{1}, int64_t{7}, ten_seconds, one_minute}) {
    tumbling_windows windows{size};
    for (int i = 0; i < 1'000; ++i) {
      auto t = times(rng);
      auto w = windows.assign(t);
      BOOST_TEST_INFO("size " << size << ", t " << t);
      BOOST_TEST(w.start <= t);
      BOOST_TEST(t < w.end);
      BOOST_TEST(w.end - w.start == size);
      BOOST_TEST(w.start % size == 0);
    }
  }
}

BOOST_AUTO_TEST_CASE(times_at_the_limits_saturate_instead_of_overflowing) {
  tumbling_windows windows{ten_seconds};
  constexpr auto lowest = std::numeric_limits<event_time>::min();
  constexpr auto highest = std::numeric_limits<event_time>::max();
  auto low = windows.assign(lowest);
  BOOST_TEST(low.start == lowest);
  BOOST_TEST(low.end > low.start);
  auto high = windows.assign(highest);
  BOOST_TEST(high.start <= highest);
  BOOST_TEST(high.end == highest);
}

BOOST_AUTO_TEST_CASE(window_size_below_one_millisecond_is_treated_as_one) {
  tumbling_windows windows{0};
  BOOST_TEST(windows.size() == 1);
  auto w = windows.assign(42);
  BOOST_TEST(w.start == 42);
  BOOST_TEST(w.end == 43);
}

BOOST_AUTO_TEST_CASE(measure_tracks_count_sum_min_max_and_mean) {
  measure_aggregate m;
  BOOST_TEST(m.mean() == 0.0);
  for (auto x : {12.5, 3.0, 40.0, 0.0})
    m.add(x);
  BOOST_TEST(m.count == 4u);
  BOOST_TEST(m.sum == 55.5);
  BOOST_TEST(m.min == 0.0);
  BOOST_TEST(m.max == 40.0);
  BOOST_TEST(m.mean() == 55.5 / 4);
  BOOST_TEST(m.sketch.count() == 4u);
  BOOST_TEST(std::abs(m.sketch.quantile(1.0) - 40.0) <= 40.0 * 0.005);
}

BOOST_AUTO_TEST_CASE(measure_skips_nan_values) {
  measure_aggregate m;
  m.add(10.0);
  m.add(std::numeric_limits<double>::quiet_NaN());
  BOOST_TEST(m.count == 1u);
  BOOST_TEST(m.sum == 10.0);
  BOOST_TEST(m.mean() == 10.0);
  BOOST_TEST(m.sketch.count() == 1u);
}

BOOST_AUTO_TEST_CASE(aggregate_counts_events_errors_and_late_events) {
  auto agg = window_aggregate::with_measures(1);
  double ok[] = {10.0};
  double slow[] = {500.0};
  agg.add(false, ok);
  agg.add(true, slow);
  agg.add(true, ok, true);
  agg.add(false, slow, true);
  BOOST_TEST(agg.count == 4u);
  BOOST_TEST(agg.errors == 2u);
  BOOST_TEST(agg.late == 2u);
  BOOST_REQUIRE(agg.measures.size() == 1u);
  BOOST_TEST(agg.measures[0].count == 4u);
  BOOST_TEST(agg.measures[0].sum == 1020.0);
  BOOST_TEST(agg.measures[0].min == 10.0);
  BOOST_TEST(agg.measures[0].max == 500.0);
}

BOOST_AUTO_TEST_CASE(aggregate_without_measures_only_counts) {
  auto agg = window_aggregate::with_measures(0);
  agg.add(true, nullptr);
  agg.add(false, nullptr, true);
  BOOST_TEST(agg.count == 2u);
  BOOST_TEST(agg.errors == 1u);
  BOOST_TEST(agg.late == 1u);
  BOOST_TEST(agg.measures.empty());
}

BOOST_AUTO_TEST_CASE(merge_of_partials_equals_aggregate_of_all_events) {
  auto events = random_events(2718, 20'000);
  auto whole = window_aggregate::with_measures(2);
  std::vector<window_aggregate> partials(8, window_aggregate::with_measures(2));
  std::mt19937_64 rng{31415};
  std::uniform_int_distribution<size_t> pick{0, partials.size() - 1};
  for (const auto& e : events) {
    whole.add(e.is_error, e.values, e.is_late);
    partials[pick(rng)].add(e.is_error, e.values, e.is_late);
  }
  auto merged = window_aggregate::with_measures(2);
  for (auto i = partials.rbegin(); i != partials.rend(); ++i)
    merged.merge(*i);
  BOOST_TEST(merged.count == whole.count);
  BOOST_TEST(merged.errors == whole.errors);
  BOOST_TEST(merged.late == whole.late);
  for (size_t i = 0; i < 2; ++i) {
    BOOST_TEST_INFO("measure " << i);
    BOOST_TEST(merged.measures[i].count == whole.measures[i].count);
    BOOST_TEST(merged.measures[i].sum == whole.measures[i].sum);
    BOOST_TEST(merged.measures[i].min == whole.measures[i].min);
    BOOST_TEST(merged.measures[i].max == whole.measures[i].max);
    BOOST_TEST(merged.measures[i].sketch.quantile(0.99)
               == whole.measures[i].sketch.quantile(0.99));
  }
  BOOST_TEST((merged == whole));
  BOOST_TEST(whole.count == events.size());
  BOOST_TEST(whole.errors > 0u);
  BOOST_TEST(whole.late > 0u);
}

BOOST_AUTO_TEST_CASE(merging_an_empty_aggregate_changes_nothing) {
  auto agg = window_aggregate::with_measures(1);
  double v[] = {3.0};
  agg.add(true, v);
  auto before = agg;
  agg.merge(window_aggregate::with_measures(1));
  BOOST_TEST((agg == before));
  BOOST_TEST(agg.measures[0].min == 3.0);
  BOOST_TEST(agg.measures[0].max == 3.0);
}

BOOST_AUTO_TEST_CASE(merging_into_a_default_aggregate_adopts_the_shape) {
  auto partial = window_aggregate::with_measures(2);
  double v[] = {3.0, 4.0};
  partial.add(false, v);
  window_aggregate target;
  target.merge(partial);
  BOOST_TEST((target == partial));
}

BOOST_AUTO_TEST_CASE(shape_mismatch_keeps_every_measure_of_both_sides) {
  auto narrow = window_aggregate::with_measures(1);
  auto wide = window_aggregate::with_measures(2);
  double one[] = {1.0};
  double two[] = {2.0, 20.0};
  narrow.add(false, one);
  wide.add(true, two);
  auto a = narrow;
  a.merge(wide);
  BOOST_REQUIRE(a.measures.size() == 2u);
  BOOST_TEST(a.count == 2u);
  BOOST_TEST(a.errors == 1u);
  BOOST_TEST(a.measures[0].count == 2u);
  BOOST_TEST(a.measures[0].sum == 3.0);
  // The measure only the wide side has is taken over unchanged.
  BOOST_TEST((a.measures[1] == wide.measures[1]));
  // Merging the other way round keeps the wide shape and the same totals.
  auto b = wide;
  b.merge(narrow);
  BOOST_TEST((b == a));
}

BOOST_AUTO_TEST_CASE(aggregate_survives_a_caf_binary_round_trip) {
  auto agg = window_aggregate::with_measures(2);
  for (const auto& e : random_events(5, 1'000))
    agg.add(e.is_error, e.values, e.is_late);
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  BOOST_REQUIRE(!sink(agg));
  window_aggregate copy;
  caf::binary_deserializer source{nullptr, buf};
  BOOST_REQUIRE(!source(copy));
  BOOST_TEST((copy == agg));
}
