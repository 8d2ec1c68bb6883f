#define BOOST_TEST_MODULE kind_merger
#include <boost/test/unit_test.hpp>

// The window merger with an event kind (window_merger_config::kind): rows
// carry the kind's value columns, late partials update first/last, and
// snapshots keep first, last and weighted sums exactly.

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/aggregate/window_merger.hpp"
#include "runtime/event_kind.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using clock_time = window_merger::clock_time;

clock_time at(int64_t ms) {
  return clock_time{} + std::chrono::milliseconds(ms);
}

std::shared_ptr<const kind_schema> trade() {
  static auto k = [] {
    auto r = load_kind_schema("trade");
    if (!r)
      throw std::runtime_error(r.error());
    return std::make_shared<const kind_schema>(*r);
  }();
  return k;
}

window_merger_config settings(std::shared_ptr<const kind_schema> kind) {
  window_merger_config s;
  s.window_ms = 10'000;
  s.bound_ms = 2'000;
  s.lateness_ms = 5'000;
  s.idle_timeout = 10s;
  s.kind = std::move(kind);
  return s;
}

struct trade_event {
  int64_t t;
  double price;
  double size;
};

/// One batch of `partition` with the trades of `key`, aggregated as a
/// partition processor does (one window per trade's time). It leaves the
/// watermark alone (`advance_to` moves it).
partial_batch trades(int32_t partition, const std::string& key,
                     const std::vector<trade_event>& xs) {
  partial_batch b;
  b.partition = partition;
  for (const auto& x : xs) {
    auto start = x.t / 10'000 * 10'000;
    window_partial* p = nullptr;
    for (auto& q : b.partials)
      if (q.key == key && q.window_start == start)
        p = &q;
    if (p == nullptr) {
      b.partials.push_back({key, start, window_aggregate::with_measures(2)});
      p = &b.partials.back();
    }
    ++p->aggregate.count;
    p->aggregate.measures[0].add_at(x.price, x.t, x.size, false);
    p->aggregate.measures[1].add_at(x.size, x.t, 0, false);
    ++b.counters.events;
  }
  return b;
}

/// Moves the watermark of `partition` to `wm` (an event at wm + bound).
partial_batch advance_to(int32_t partition, int64_t wm) {
  partial_batch b;
  b.partition = partition;
  b.max_event_time = wm + 2'000;
  return b;
}

/// A request batch (latency measure through `add`, as request windows are).
partial_batch requests(int32_t partition, const std::string& key, int64_t t,
                       const std::vector<double>& latencies) {
  partial_batch b;
  b.partition = partition;
  b.max_event_time = t;
  window_partial p;
  p.key = key;
  p.window_start = t / 10'000 * 10'000;
  p.aggregate = window_aggregate::with_measures(1);
  for (size_t i = 0; i < latencies.size(); ++i)
    p.aggregate.add(i % 3 == 0, &latencies[i]);
  b.partials.push_back(std::move(p));
  b.counters.events = latencies.size();
  return b;
}

void check_rows_equal(const std::vector<window_row>& a,
                      const std::vector<window_row>& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST_CONTEXT("row " << i << " " << a[i].service << " "
                              << a[i].window_start) {
      BOOST_TEST(a[i].service == b[i].service);
      BOOST_TEST(a[i].window_start == b[i].window_start);
      BOOST_TEST(a[i].window_end == b[i].window_end);
      BOOST_TEST(a[i].request_count == b[i].request_count);
      BOOST_TEST(a[i].error_count == b[i].error_count);
      BOOST_TEST(a[i].avg_latency_ms == b[i].avg_latency_ms);
      BOOST_TEST(a[i].p95_latency_ms == b[i].p95_latency_ms);
      BOOST_TEST(a[i].max_latency_ms == b[i].max_latency_ms);
      BOOST_TEST(a[i].late_count == b[i].late_count);
      BOOST_TEST(a[i].final == b[i].final);
      BOOST_TEST(a[i].partial == b[i].partial);
      BOOST_TEST(a[i].values == b[i].values, boost::test_tools::per_element());
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(kind_rows_carry_the_value_columns) {
  window_merger m{settings(trade())};
  m.add_partition(0);
  m.add_partition(1);
  // The window's trades arrive from two partitions, out of time order.
  m.apply(trades(0, "ACME|XNYS",
                 {{4'000, 101.5, 10}, {1'000, 100.0, 20}, {8'000, 99.5, 5}}),
          at(0));
  m.apply(trades(1, "ACME|XNYS", {{500, 100.25, 40}, {9'500, 98.0, 15}}),
          at(0));
  m.apply(trades(1, "ACME|XLON", {{2'000, 80.0, 1}}), at(0));
  m.apply(advance_to(0, 10'000), at(0));
  m.apply(advance_to(1, 10'000), at(0));
  auto rows = m.advance(at(0), 42);
  BOOST_REQUIRE_EQUAL(rows.size(), 2u);
  const auto& lon = rows[0];
  const auto& nys = rows[1];
  BOOST_TEST(lon.service == "ACME|XLON");
  BOOST_TEST(lon.values == (std::vector<double>{80, 80, 80, 80, 80, 1}),
             boost::test_tools::per_element());
  BOOST_TEST(nys.service == "ACME|XNYS");
  BOOST_TEST(nys.request_count == 5);
  BOOST_TEST(nys.error_count == 0);
  BOOST_TEST(nys.window_end == 10'000);
  BOOST_TEST(nys.updated_at == 42);
  BOOST_REQUIRE_EQUAL(nys.values.size(), 6u);
  BOOST_TEST(nys.values[0] == 100.25); // open: t = 0.5 s
  BOOST_TEST(nys.values[1] == 101.5);  // high
  BOOST_TEST(nys.values[2] == 98.0);   // low
  BOOST_TEST(nys.values[3] == 98.0);   // close: t = 9.5 s
  double pv = 101.5 * 10 + 100.0 * 20 + 99.5 * 5 + 100.25 * 40 + 98.0 * 15;
  BOOST_TEST(nys.values[4] == pv / 90, boost::test_tools::tolerance(1e-12));
  BOOST_TEST(nys.values[5] == 90.0);
}

BOOST_AUTO_TEST_CASE(request_rows_carry_no_values) {
  window_merger m{settings(nullptr)};
  m.add_partition(0);
  m.apply(requests(0, "api", 1'000, {10, 20, 30}), at(0));
  m.apply(advance_to(0, 10'000), at(0));
  auto rows = m.advance(at(0), 1);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  BOOST_TEST(rows[0].values.empty());
  BOOST_TEST(rows[0].request_count == 3);
}

BOOST_AUTO_TEST_CASE(late_partials_update_open_and_close) {
  window_merger m{settings(trade())};
  m.add_partition(0);
  m.apply(trades(0, "A|X", {{3'000, 10.0, 1}, {6'000, 11.0, 1}}), at(0));
  m.apply(advance_to(0, 11'000), at(0));
  auto first = m.advance(at(0), 1);
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_TEST(first[0].values[0] == 10.0);
  BOOST_TEST(first[0].values[3] == 11.0);
  BOOST_TEST(!first[0].final);
  // Late trades (within the lateness): one before the open, one after the
  // close, at the same time as the close with a smaller price (ignored for
  // the close: ties keep the larger).
  m.apply(
      trades(0, "A|X", {{1'000, 9.0, 2}, {9'000, 12.0, 3}, {9'000, 11.5, 1}}),
      at(0));
  auto second = m.advance(at(0), 2);
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_TEST(second[0].values[0] == 9.0);
  BOOST_TEST(second[0].values[1] == 12.0);
  BOOST_TEST(second[0].values[2] == 9.0);
  BOOST_TEST(second[0].values[3] == 12.0);
  BOOST_TEST(second[0].values[5] == 8.0);
  BOOST_TEST(second[0].request_count == 5);
  // Final emission, then the flush emits nothing more.
  m.apply(advance_to(0, 15'000), at(0));
  auto third = m.advance(at(0), 3);
  BOOST_REQUIRE_EQUAL(third.size(), 1u);
  BOOST_TEST(third[0].final);
  BOOST_TEST(third[0].values == second[0].values,
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(flushed_partial_rows_also_carry_values) {
  window_merger m{settings(trade())};
  m.add_partition(0);
  m.apply(trades(0, "A|X", {{1'000, 5.0, 2}, {12'000, 6.0, 4}}), at(0));
  m.apply(advance_to(0, 10'000), at(0));
  auto rows = m.advance(at(0), 1);
  BOOST_REQUIRE_EQUAL(rows.size(), 1u);
  auto flushed = m.flush_all(2);
  BOOST_REQUIRE_EQUAL(flushed.size(), 2u);
  BOOST_TEST(!flushed[0].partial);
  BOOST_TEST(flushed[1].partial);
  BOOST_TEST(flushed[1].values == (std::vector<double>{6, 6, 6, 6, 6, 4}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_snapshot_round_trips_first_last_and_weighted_sums) {
  std::mt19937_64 rng{11};
  std::uniform_real_distribution<double> price{50, 150};
  std::uniform_int_distribution<int> size{1, 1000};
  std::uniform_int_distribution<int64_t> time{0, 29'999};
  // Prices with many significant digits, so that any rounding of the
  // snapshot shows.
  auto random_trades = [&](size_t n) {
    std::vector<trade_event> xs;
    for (size_t i = 0; i < n; ++i)
      xs.push_back(
          {time(rng), price(rng) / 3.0, static_cast<double>(size(rng))});
    return xs;
  };
  auto before = random_trades(200);
  auto after = random_trades(200);
  std::vector<std::string> keys{"ACME|XNYS", "ACME|XLON", "BOLT|XNYS"};

  window_merger straight{settings(trade())};
  window_merger interrupted{settings(trade())};
  for (auto* m : {&straight, &interrupted}) {
    m->add_partition(0);
    m->add_partition(1);
  }
  // Part before the checkpoint: windows [0, 10 s) emitted, later ones open.
  for (auto* m : {&straight, &interrupted}) {
    for (size_t i = 0; i < keys.size(); ++i)
      m->apply(trades(static_cast<int32_t>(i % 2), keys[i], before), at(0));
    m->apply(advance_to(0, 10'000), at(0));
    m->apply(advance_to(1, 10'000), at(0));
    auto rows = m->advance(at(0), 5);
    BOOST_REQUIRE_EQUAL(rows.size(), keys.size());
  }
  auto snap = interrupted.snapshot();
  // The ordered fields are in the snapshot.
  auto doc = nlohmann::json::parse(snap);
  const auto& m0 = doc.at("windows").at(0).at("m").at(0);
  for (auto field : {"ft", "fv", "lt", "lv", "w"})
    BOOST_TEST(m0.contains(field), "missing " << field);

  window_merger restored{settings(trade())};
  restored.add_partition(0);
  restored.add_partition(1);
  BOOST_REQUIRE(restored.restore(snap));
  // Restoring is exact: the same snapshot again.
  BOOST_TEST(restored.snapshot() == snap);
  BOOST_TEST(restored.window_count() == interrupted.window_count());
  BOOST_TEST(restored.watermark() == interrupted.watermark());

  // After the checkpoint: late trades for the emitted windows and more for
  // the open ones; both mergers must emit the same rows.
  for (auto* m : {&straight, &restored}) {
    for (size_t i = 0; i < keys.size(); ++i)
      m->apply(trades(static_cast<int32_t>(i % 2), keys[i], after), at(1));
  }
  // The restored merger has its own watermark tracker: feed both alike.
  std::vector<window_row> a;
  std::vector<window_row> b;
  for (int64_t wm : {12'000, 20'000, 35'000}) {
    for (auto* m : {&straight, &restored}) {
      m->apply(advance_to(0, wm), at(2));
      m->apply(advance_to(1, wm), at(2));
    }
    auto ra = straight.advance(at(2), wm);
    auto rb = restored.advance(at(2), wm);
    BOOST_TEST_CONTEXT("watermark " << wm) {
      check_rows_equal(ra, rb);
    }
    a.insert(a.end(), ra.begin(), ra.end());
    b.insert(b.end(), rb.begin(), rb.end());
  }
  BOOST_TEST(!a.empty());
  // The rows also agree with a direct computation of the windows.
  for (const auto& row : a) {
    double open_t = INT64_MAX, open = 0, close_t = INT64_MIN, close = 0;
    double hi = -1, lo = 1e300, pv = 0, v = 0;
    int64_t n = 0;
    for (const auto* xs : {&before, &after})
      for (const auto& x : *xs) {
        if (x.t < row.window_start || x.t >= row.window_end)
          continue;
        ++n;
        if (x.t < open_t || (x.t == open_t && x.price < open)) {
          open_t = static_cast<double>(x.t);
          open = x.price;
        }
        if (x.t > close_t || (x.t == close_t && x.price > close)) {
          close_t = static_cast<double>(x.t);
          close = x.price;
        }
        hi = std::max(hi, x.price);
        lo = std::min(lo, x.price);
        pv += x.price * x.size;
        v += x.size;
      }
    BOOST_TEST_CONTEXT(row.service << " " << row.window_start) {
      BOOST_TEST(row.request_count == n);
      BOOST_TEST(row.values[0] == open);
      BOOST_TEST(row.values[1] == hi);
      BOOST_TEST(row.values[2] == lo);
      BOOST_TEST(row.values[3] == close);
      BOOST_TEST(row.values[4] == pv / v, boost::test_tools::tolerance(1e-9));
      BOOST_TEST(row.values[5] == v);
    }
  }
  BOOST_TEST(straight.snapshot() == restored.snapshot());
}

BOOST_AUTO_TEST_CASE(
    a_request_merger_snapshot_without_ordered_fields_restores) {
  window_merger m{settings(nullptr)};
  m.add_partition(0);
  m.apply(requests(0, "api", 1'000, {10, 20, 30, 45.5}), at(0));
  m.apply(requests(0, "web", 12'000, {5, 7}), at(0));
  m.apply(advance_to(0, 10'000), at(0));
  BOOST_REQUIRE_EQUAL(m.advance(at(0), 1).size(), 1u);
  auto snap = m.snapshot();
  const auto windows_at_snapshot = m.window_count();
  BOOST_TEST(snap.find("\"lt\"") == std::string::npos);
  BOOST_TEST(snap.find("\"ft\"") == std::string::npos);

  window_merger r{settings(nullptr)};
  r.add_partition(0);
  BOOST_REQUIRE(r.restore(snap));
  BOOST_TEST(r.snapshot() == snap);
  for (auto* x : {&m, &r}) {
    x->apply(requests(0, "api", 2'000, {100}), at(1));
    x->apply(advance_to(0, 30'000), at(1));
  }
  check_rows_equal(m.advance(at(1), 9), r.advance(at(1), 9));

  // The same snapshot restores into a kind merger too (windows without
  // first/last: the values are computed from what is there).
  window_merger k{settings(trade())};
  BOOST_TEST(k.restore(snap));
  BOOST_TEST(k.window_count() == windows_at_snapshot);
}

BOOST_AUTO_TEST_CASE(a_malformed_ordered_snapshot_is_refused_untouched) {
  window_merger m{settings(trade())};
  m.add_partition(0);
  m.apply(trades(0, "A|X", {{1'000, 5.0, 2}}), at(0));
  auto snap = m.snapshot();
  auto doc = nlohmann::json::parse(snap);
  // "lt" without the other ordered fields.
  doc["windows"][0]["m"][0].erase("fv");
  window_merger r{settings(trade())};
  r.add_partition(0);
  r.apply(trades(0, "B|X", {{1'000, 7.0, 1}}), at(0));
  auto before = r.snapshot();
  BOOST_TEST(!r.restore(doc.dump()));
  BOOST_TEST(r.snapshot() == before);
}
