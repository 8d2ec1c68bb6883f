#define BOOST_TEST_MODULE ordered_aggregate
#include <boost/test/unit_test.hpp>

// measure_aggregate::add_at and merge (runtime/window.hpp): first and last by
// event time (ties broken by value), min, max, count, sums and the weighted
// sum do not depend on how events are split into partials nor on the order
// partials are merged in.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "runtime/window.hpp"

using namespace vigil;

namespace {

struct sample {
  event_time t;
  double value;
  double weight;
};

/// What the aggregate of `xs` must hold, computed directly.
struct direct {
  uint64_t count = 0;
  double sum = 0;
  double weighted_sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  event_time first_time = std::numeric_limits<event_time>::max();
  double first = 0;
  event_time last_time = std::numeric_limits<event_time>::min();
  double last = 0;
};

direct compute(const std::vector<sample>& xs) {
  direct d;
  bool any = false;
  for (const auto& x : xs) {
    if (std::isnan(x.value))
      continue;
    ++d.count;
    d.sum += x.value;
    d.weighted_sum += x.value * x.weight;
    d.min = std::min(d.min, x.value);
    d.max = std::max(d.max, x.value);
    if (!any || x.t < d.first_time
        || (x.t == d.first_time && x.value < d.first)) {
      d.first_time = x.t;
      d.first = x.value;
    }
    if (!any || x.t > d.last_time || (x.t == d.last_time && x.value > d.last)) {
      d.last_time = x.t;
      d.last = x.value;
    }
    any = true;
  }
  return d;
}

bool close(double a, double b, double rel) {
  if (a == b)
    return true;
  return std::abs(a - b) <= rel * std::max({std::abs(a), std::abs(b), 1e-300});
}

void check_equal(const measure_aggregate& m, const direct& d) {
  BOOST_TEST(m.count == d.count);
  BOOST_TEST(m.min == d.min);
  BOOST_TEST(m.max == d.max);
  BOOST_TEST(m.first_time == d.first_time);
  BOOST_TEST(m.first == d.first);
  BOOST_TEST(m.last_time == d.last_time);
  BOOST_TEST(m.last == d.last);
  BOOST_TEST(close(m.sum, d.sum, 1e-9), m.sum << " vs " << d.sum);
  BOOST_TEST(close(m.weighted_sum, d.weighted_sum, 1e-9),
             m.weighted_sum << " vs " << d.weighted_sum);
  BOOST_TEST(m.ordered() == (d.count > 0));
}

/// Random samples with many ties in time and in value, and some NaN values.
std::vector<sample> random_samples(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int> time{0, 20};
  std::uniform_int_distribution<int> small_value{-5, 5};
  std::uniform_real_distribution<double> any_value{-1e3, 1e3};
  std::uniform_real_distribution<double> weight{0, 500};
  std::uniform_int_distribution<int> pick{0, 19};
  std::vector<sample> xs;
  for (size_t i = 0; i < n; ++i) {
    sample s;
    s.t = 1'767'225'600'000 + time(rng) * 250;
    int p = pick(rng);
    if (p == 0)
      s.value = std::numeric_limits<double>::quiet_NaN();
    else if (p < 12)
      s.value = small_value(rng) * 0.5; // ties in value
    else
      s.value = any_value(rng);
    s.weight = std::floor(weight(rng));
    xs.push_back(s);
  }
  return xs;
}

measure_aggregate aggregate_of(const std::vector<sample>& xs, bool sketched) {
  measure_aggregate m;
  for (const auto& x : xs)
    m.add_at(x.value, x.t, x.weight, sketched);
  return m;
}

} // namespace

BOOST_AUTO_TEST_CASE(first_and_last_follow_event_time_not_arrival) {
  measure_aggregate m;
  BOOST_TEST(!m.ordered());
  m.add_at(5, 300, 1, false);
  BOOST_TEST(m.ordered());
  BOOST_TEST(m.first == 5.0);
  BOOST_TEST(m.last == 5.0);
  m.add_at(7, 100, 2, false);
  m.add_at(1, 500, 3, false);
  m.add_at(9, 200, 4, false);
  BOOST_TEST(m.first == 7.0);
  BOOST_TEST(m.first_time == 100);
  BOOST_TEST(m.last == 1.0);
  BOOST_TEST(m.last_time == 500);
  BOOST_TEST(m.count == 4u);
  BOOST_TEST(m.min == 1.0);
  BOOST_TEST(m.max == 9.0);
  BOOST_TEST(m.sum == 22.0);
  BOOST_TEST(m.weighted_sum == 5.0 * 1 + 7 * 2 + 1 * 3 + 9 * 4);
  BOOST_TEST(m.mean() == 5.5);
}

BOOST_AUTO_TEST_CASE(ties_in_time_are_broken_by_value_in_any_order) {
  // At the same time: first is the smallest value, last the largest,
  // whichever arrives first, and also for negative values.
  for (const auto& order : std::vector<std::vector<double>>{
           {3, -4, 8}, {8, 3, -4}, {-4, 8, 3}, {3, 8, -4}}) {
    measure_aggregate m;
    for (double v : order)
      m.add_at(v, 1000, 1, false);
    BOOST_TEST(m.first == -4.0);
    BOOST_TEST(m.last == 8.0);
    BOOST_TEST(m.first_time == 1000);
    BOOST_TEST(m.last_time == 1000);
  }
  // Only negative values at one time: not confused with the initial 0.
  measure_aggregate neg;
  neg.add_at(-3, 10, 1, false);
  neg.add_at(-1, 10, 1, false);
  BOOST_TEST(neg.first == -3.0);
  BOOST_TEST(neg.last == -1.0);
  // Only positive values: the initial 0 is not the first.
  measure_aggregate pos;
  pos.add_at(2, 10, 1, false);
  pos.add_at(6, 10, 1, false);
  BOOST_TEST(pos.first == 2.0);
  BOOST_TEST(pos.last == 6.0);
}

BOOST_AUTO_TEST_CASE(nan_values_are_skipped) {
  measure_aggregate m;
  m.add_at(NAN, 1, 10, true);
  BOOST_TEST(m.count == 0u);
  BOOST_TEST(!m.ordered());
  BOOST_TEST(m.sketch.empty());
  m.add_at(4, 50, 2, true);
  m.add_at(NAN, 10, 10, true);  // earlier, but NaN
  m.add_at(NAN, 100, 10, true); // later, but NaN
  BOOST_TEST(m.count == 1u);
  BOOST_TEST(m.first == 4.0);
  BOOST_TEST(m.last == 4.0);
  BOOST_TEST(m.first_time == 50);
  BOOST_TEST(m.last_time == 50);
  BOOST_TEST(m.sum == 4.0);
  BOOST_TEST(m.weighted_sum == 8.0);
  BOOST_TEST(m.sketch.count() == 1u);
  BOOST_TEST(!std::isnan(m.min));
  BOOST_TEST(!std::isnan(m.max));
}

BOOST_AUTO_TEST_CASE(the_sketch_is_fed_only_when_asked) {
  measure_aggregate m;
  m.add_at(1, 1, 0, false);
  m.add_at(2, 2, 0, true);
  BOOST_TEST(m.count == 2u);
  BOOST_TEST(m.sketch.count() == 1u);
}

BOOST_AUTO_TEST_CASE(merging_empty_aggregates_changes_nothing) {
  measure_aggregate m;
  m.add_at(-2, 40, 3, true);
  m.add_at(6, 20, 1, true);
  auto before = m;
  m.merge(measure_aggregate{});
  BOOST_TEST((m == before));
  measure_aggregate empty;
  empty.merge(before);
  BOOST_TEST((empty == before));
  // Values added without times (add) do not disturb first and last.
  measure_aggregate plain;
  plain.add(100);
  plain.merge(before);
  BOOST_TEST(plain.first == 6.0);
  BOOST_TEST(plain.last == -2.0);
  BOOST_TEST(plain.max == 100.0);
  BOOST_TEST(plain.count == 3u);
}

BOOST_AUTO_TEST_CASE(any_split_and_merge_order_gives_the_direct_result) {
  std::mt19937_64 rng{0x5eed};
  for (int round = 0; round < 300; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      auto n = std::uniform_int_distribution<size_t>{0, 120}(rng);
      auto xs = random_samples(rng, n);
      auto expected = compute(xs);
      auto whole = aggregate_of(xs, true);
      check_equal(whole, expected);

      // Split into random partitions (each in shuffled order).
      auto parts_n = std::uniform_int_distribution<size_t>{1, 8}(rng);
      std::vector<std::vector<sample>> parts(parts_n);
      std::uniform_int_distribution<size_t> which{0, parts_n - 1};
      for (const auto& x : xs)
        parts[which(rng)].push_back(x);
      std::vector<measure_aggregate> partials;
      for (auto& p : parts) {
        std::shuffle(p.begin(), p.end(), rng);
        partials.push_back(aggregate_of(p, true));
      }

      // Merge in several random orders, left fold.
      std::vector<measure_aggregate> results;
      for (int order = 0; order < 4; ++order) {
        std::vector<size_t> idx(partials.size());
        for (size_t i = 0; i < idx.size(); ++i)
          idx[i] = i;
        std::shuffle(idx.begin(), idx.end(), rng);
        measure_aggregate merged;
        for (auto i : idx)
          merged.merge(partials[i]);
        check_equal(merged, expected);
        // The sketch merges exactly: as if every value went into one.
        BOOST_TEST((merged.sketch == whole.sketch));
        results.push_back(merged);
      }
      // A tree of merges (pairs, then pairs of pairs).
      auto level = partials;
      std::shuffle(level.begin(), level.end(), rng);
      while (level.size() > 1) {
        std::vector<measure_aggregate> next;
        for (size_t i = 0; i < level.size(); i += 2) {
          auto m = level[i];
          if (i + 1 < level.size())
            m.merge(level[i + 1]);
          next.push_back(m);
        }
        level = std::move(next);
      }
      check_equal(level.at(0), expected);
      results.push_back(level.at(0));
      // Every order agrees exactly on the order-free statistics.
      for (const auto& r : results) {
        BOOST_TEST(r.first == results[0].first);
        BOOST_TEST(r.last == results[0].last);
        BOOST_TEST(r.first_time == results[0].first_time);
        BOOST_TEST(r.last_time == results[0].last_time);
        BOOST_TEST(r.min == results[0].min);
        BOOST_TEST(r.max == results[0].max);
        BOOST_TEST(r.count == results[0].count);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(window_aggregates_merge_their_measures_in_any_order) {
  // Two measures (price weighted by size, size) as a trade window holds
  // them, split across partitions.
  std::mt19937_64 rng{77};
  for (int round = 0; round < 50; ++round) {
    auto xs = random_samples(rng, 60);
    for (auto& x : xs)
      if (std::isnan(x.value))
        x.value = 1; // a kind event has every measure
    std::vector<window_aggregate> parts(3, window_aggregate::with_measures(2));
    window_aggregate whole = window_aggregate::with_measures(2);
    std::uniform_int_distribution<size_t> which{0, 2};
    for (const auto& x : xs) {
      auto& p = parts[which(rng)];
      for (auto* agg : {&p, &whole}) {
        ++agg->count;
        agg->measures[0].add_at(x.value, x.t, x.weight, false);
        agg->measures[1].add_at(x.weight, x.t, 0, false);
      }
    }
    window_aggregate a = window_aggregate::with_measures(2);
    window_aggregate b = window_aggregate::with_measures(2);
    for (size_t i : {0, 1, 2})
      a.merge(parts[i]);
    for (size_t i : {2, 0, 1})
      b.merge(parts[i]);
    BOOST_TEST(a.count == whole.count);
    BOOST_TEST(b.count == whole.count);
    for (size_t m = 0; m < 2; ++m) {
      for (const auto* x : {&a, &b}) {
        const auto& got = x->measures[m];
        const auto& want = whole.measures[m];
        BOOST_TEST(got.first == want.first);
        BOOST_TEST(got.last == want.last);
        BOOST_TEST(got.min == want.min);
        BOOST_TEST(got.max == want.max);
        BOOST_TEST(got.count == want.count);
        BOOST_TEST(close(got.weighted_sum, want.weighted_sum, 1e-9));
      }
    }
  }
}
