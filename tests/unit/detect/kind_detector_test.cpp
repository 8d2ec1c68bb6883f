#define BOOST_TEST_MODULE kind_detector
#include <boost/test/unit_test.hpp>

// The detector of declared event kinds (actors/detect/kind_detector.hpp):
// healthy-band anomalies of sensor windows, close-to-close jumps of trade
// candles, each window scored once, partial rows ignored, snapshots that
// continue identically, and the key cap.

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "actors/detect/kind_detector.hpp"
#include "runtime/event_kind.hpp"

using namespace vigil;

namespace {

std::shared_ptr<const kind_schema> kind(const std::string& name) {
  auto r = load_kind_schema(name);
  if (!r)
    throw std::runtime_error(r.error());
  return std::make_shared<const kind_schema>(*r);
}

/// One measure of a sensor window: mean, min, max, last.
struct stats {
  double mean;
  double min;
  double max;
  double last;
};

stats steady(double v) {
  return {v, v, v, v};
}

/// A sensor window row, values in the sensor kind's column order.
window_row sensor_row(const std::string& key, int64_t start, stats ph,
                      stats temp = steady(22), stats hum = steady(60),
                      stats ec = steady(1.5)) {
  window_row row;
  row.service = key;
  row.window_start = start;
  row.window_end = start + 60'000;
  row.request_count = 60;
  row.final = false;
  for (const auto& s : {ph, temp, hum, ec})
    for (double v : {s.mean, s.min, s.max, s.last})
      row.values.push_back(v);
  return row;
}

/// A trade candle row: open, high, low, close, vwap, size_sum.
window_row candle(const std::string& key, int64_t start, double open,
                  double close, double high = 0, double low = 0) {
  window_row row;
  row.service = key;
  row.window_start = start;
  row.window_end = start + 60'000;
  row.request_count = 25;
  if (high == 0)
    high = std::max(open, close) * 1.0001;
  if (low == 0)
    low = std::min(open, close) * 0.9999;
  row.values = {open, high, low, close, (open + close) / 2, 1000};
  return row;
}

/// Closes of a random walk with log returns N(0, 0.002), from 100.
std::vector<double> random_walk(size_t n, uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::normal_distribution<double> ret{0, 0.002};
  std::vector<double> closes;
  double p = 100;
  for (size_t i = 0; i < n; ++i) {
    p *= std::exp(ret(rng));
    closes.push_back(p);
  }
  return closes;
}

/// Feeds candles of the walk `closes` (open = previous close) to `d`,
/// windows from `first`; returns every anomaly.
std::vector<anomaly_row> feed(kind_detector& d, const std::string& key,
                              const std::vector<double>& closes, size_t first,
                              size_t last, int64_t now_ms = 1) {
  std::vector<anomaly_row> out;
  for (size_t i = first; i < last; ++i) {
    double open = i == 0 ? closes[0] : closes[i - 1];
    auto a = d.observe(
        candle(key, static_cast<int64_t>(i) * 60'000, open, closes[i]), now_ms);
    out.insert(out.end(), a.begin(), a.end());
  }
  return out;
}

void check_same(const std::vector<anomaly_row>& a,
                const std::vector<anomaly_row>& b) {
  BOOST_REQUIRE_EQUAL(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    BOOST_TEST(a[i].service == b[i].service);
    BOOST_TEST(a[i].window_start == b[i].window_start);
    BOOST_TEST(a[i].metric == b[i].metric);
    BOOST_TEST(a[i].observed == b[i].observed);
    BOOST_TEST(a[i].expected == b[i].expected);
    BOOST_TEST(a[i].score == b[i].score);
    BOOST_TEST(a[i].severity == b[i].severity);
    BOOST_TEST(a[i].detector == b[i].detector);
  }
}

} // namespace

// -- bands --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(sensor_windows_inside_the_healthy_band_are_fine) {
  kind_detector d{kind("sensor"), 100};
  for (int i = 0; i < 50; ++i) {
    // At the bounds themselves too (ge/le: inside).
    auto a = d.observe(sensor_row("s-1|north", i * 60'000, {6.5, 5.5, 7.5, 7.0},
                                  {22, 15, 30, 20}, {60, 40, 80, 55},
                                  {1.5, 0.8, 2.5, 2}),
                       1);
    BOOST_TEST(a.empty());
  }
  BOOST_TEST(d.services() == 1u);
  BOOST_TEST(d.overflow() == 0u);
}

BOOST_AUTO_TEST_CASE(a_ph_above_the_band_is_one_band_anomaly) {
  kind_detector d{kind("sensor"), 100};
  auto a
      = d.observe(sensor_row("s-1|north", 120'000, {7.0, 6.8, 8.2, 7.1}), 777);
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].detector == "band");
  BOOST_TEST(a[0].metric == "ph");
  BOOST_TEST(a[0].service == "s-1|north");
  BOOST_TEST(a[0].window_start == 120'000);
  BOOST_TEST(a[0].observed == 8.2);
  BOOST_TEST(a[0].expected == 7.5);
  BOOST_TEST(a[0].detected_at == 777);
  // 0.7 beyond a band 2 wide: 0.5 + 0.5 * 0.7 / 1.
  BOOST_TEST(a[0].score == 0.85, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(a[0].severity == severity_of_score(a[0].score));
  BOOST_TEST(a[0].severity == "high");
}

BOOST_AUTO_TEST_CASE(a_reading_below_the_band_is_an_anomaly_too) {
  kind_detector d{kind("sensor"), 100};
  auto a = d.observe(sensor_row("s-1|north", 0, {6.0, 5.0, 6.5, 6.2}), 1);
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].metric == "ph");
  BOOST_TEST(a[0].observed == 5.0);
  BOOST_TEST(a[0].expected == 5.5);
  BOOST_TEST(a[0].score == 0.75, boost::test_tools::tolerance(1e-9));
  BOOST_TEST(a[0].severity == "medium");
  // Far beyond: the score saturates at 1 (critical).
  auto far = d.observe(
      sensor_row("s-2|north", 0, steady(6.5), steady(22), {30, 5, 45, 30}), 1);
  BOOST_REQUIRE_EQUAL(far.size(), 1u);
  BOOST_TEST(far[0].metric == "humidity_pct");
  BOOST_TEST(far[0].observed == 5.0);
  BOOST_TEST(far[0].expected == 40.0);
  BOOST_TEST(far[0].score == 1.0);
  BOOST_TEST(far[0].severity == "critical");
}

BOOST_AUTO_TEST_CASE(several_measures_out_of_band_give_one_anomaly_each) {
  kind_detector d{kind("sensor"), 100};
  auto a = d.observe(sensor_row("k", 0, {7, 6, 7.6, 7}, {35, 31, 40, 33},
                                steady(60), {0.5, 0.4, 0.6, 0.5}),
                     1);
  BOOST_REQUIRE_EQUAL(a.size(), 3u);
  BOOST_TEST(a[0].metric == "ph");
  BOOST_TEST(a[1].metric == "temperature_c");
  BOOST_TEST(a[1].observed == 40.0);
  BOOST_TEST(a[1].expected == 30.0);
  BOOST_TEST(a[2].metric == "ec_ms_cm");
  BOOST_TEST(a[2].observed == 0.4);
  BOOST_TEST(a[2].expected == 0.8);
}

BOOST_AUTO_TEST_CASE(a_band_on_a_kind_with_only_mean_uses_the_mean) {
  auto k = parse_kind_schema(
      R"({"kind":"tank","keys":["id"],"time":"t","measures":[
          {"name":"level","healthy":{"gt":10},"aggregations":["mean"]}]})",
      "tank.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  kind_detector d{std::make_shared<const kind_schema>(*k), 10};
  window_row row;
  row.service = "t1";
  row.request_count = 3;
  row.values = {10.0}; // gt 10: 10 is outside
  auto a = d.observe(row, 1);
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].observed == 10.0);
  BOOST_TEST(a[0].expected == 10.0);
  BOOST_TEST(a[0].score == 0.5);
  row.window_start = 60'000;
  row.values = {10.5};
  BOOST_TEST(d.observe(row, 1).empty());
}

// -- jumps --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_random_walk_with_small_returns_raises_nothing) {
  kind_detector d{kind("trade"), 100};
  auto closes = random_walk(200, 42);
  auto a = feed(d, "ACME|XNYS", closes, 0, closes.size());
  BOOST_TEST(a.empty());
}

BOOST_AUTO_TEST_CASE(an_eight_percent_close_is_a_jump_on_price) {
  kind_detector d{kind("trade"), 100};
  auto closes = random_walk(200, 42);
  BOOST_REQUIRE(feed(d, "ACME|XNYS", closes, 0, closes.size()).empty());
  double prev = closes.back();
  double jumped = prev * 1.08;
  auto a = d.observe(
      candle("ACME|XNYS", 200 * 60'000, prev, jumped, jumped, prev), 99);
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].detector == "jump");
  BOOST_TEST(a[0].metric == "price");
  BOOST_TEST(a[0].observed == jumped);
  BOOST_TEST(a[0].expected == prev);
  BOOST_TEST(a[0].window_start == 200 * 60'000);
  // 0.077 / ~0.002 is far beyond three times the threshold.
  BOOST_TEST(a[0].score == 1.0);
  BOOST_TEST(a[0].severity == "critical");
  // A drop is a jump as well.
  auto drop = d.observe(
      candle("ACME|XNYS", 201 * 60'000, jumped, prev * 0.9, jumped, prev * 0.9),
      99);
  BOOST_REQUIRE_EQUAL(drop.size(), 1u);
  BOOST_TEST(drop[0].observed == prev * 0.9);
  BOOST_TEST(drop[0].expected == jumped);
}

BOOST_AUTO_TEST_CASE(an_intra_window_spike_that_closes_flat_is_a_jump) {
  kind_detector d{kind("trade"), 100};
  auto closes = random_walk(60, 7);
  BOOST_REQUIRE(feed(d, "K", closes, 0, closes.size()).empty());
  double prev = closes.back();
  auto a = d.observe(candle("K", 60 * 60'000, prev, prev, prev * 1.1, prev), 1);
  BOOST_REQUIRE_EQUAL(a.size(), 1u);
  BOOST_TEST(a[0].observed == prev * 1.1);
  BOOST_TEST(a[0].expected == prev);
}

BOOST_AUTO_TEST_CASE(the_jump_rule_waits_for_min_history_returns) {
  auto closes = random_walk(40, 3);
  // The first window sets the close; each later one adds a return. With
  // min_history 10 the rule judges from the 12th window on (10 returns).
  {
    kind_detector d{kind("trade"), 100};
    BOOST_REQUIRE(feed(d, "K", closes, 0, 10).empty()); // 9 returns
    double prev = closes[9];
    auto a = d.observe(candle("K", 10 * 60'000, prev, prev * 1.2), 1);
    BOOST_TEST(a.empty());
  }
  {
    kind_detector d{kind("trade"), 100};
    BOOST_REQUIRE(feed(d, "K", closes, 0, 11).empty()); // 10 returns
    double prev = closes[10];
    auto a = d.observe(candle("K", 11 * 60'000, prev, prev * 1.2), 1);
    BOOST_TEST(a.size() == 1u);
  }
  // A declared min_history of 3.
  auto k = parse_kind_schema(
      R"({"kind":"q","keys":["s"],"time":"t","measures":[
          {"name":"p","aggregations":["last"]}],
          "jump":{"measure":"p","min_history":3,"history":5,"sigma":6}})",
      "q.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  kind_detector d{std::make_shared<const kind_schema>(*k), 10};
  auto row = [](int64_t i, double close) {
    window_row r;
    r.service = "s";
    r.window_start = i * 60'000;
    r.request_count = 1;
    r.values = {close};
    return r;
  };
  BOOST_TEST(d.observe(row(0, 100), 1).empty());
  BOOST_TEST(d.observe(row(1, 100.1), 1).empty());
  BOOST_TEST(d.observe(row(2, 100.0), 1).empty());
  BOOST_TEST(d.observe(row(3, 150), 1).empty()); // 2 returns: too few
  kind_detector e{std::make_shared<const kind_schema>(*k), 10};
  BOOST_TEST(e.observe(row(0, 100), 1).empty());
  BOOST_TEST(e.observe(row(1, 100.1), 1).empty());
  BOOST_TEST(e.observe(row(2, 100.0), 1).empty());
  BOOST_TEST(e.observe(row(3, 100.05), 1).empty());
  BOOST_TEST(e.observe(row(4, 150), 1).size() == 1u); // 3 returns
}

BOOST_AUTO_TEST_CASE(windows_without_trades_are_not_judged) {
  kind_detector d{kind("trade"), 100};
  auto closes = random_walk(40, 5);
  BOOST_REQUIRE(feed(d, "K", closes, 0, closes.size()).empty());
  // An empty candle (zeros) neither jumps nor breaks the close.
  auto empty = candle("K", 40 * 60'000, 0, 0, 0, 0);
  empty.request_count = 0;
  empty.values = {0, 0, 0, 0, 0, 0};
  BOOST_TEST(d.observe(empty, 1).empty());
  double prev = closes.back();
  auto next = d.observe(candle("K", 41 * 60'000, prev, prev * 1.0005), 1);
  BOOST_TEST(next.empty());
}

// -- scoring once, partial rows
// ---------------------------------------------------

BOOST_AUTO_TEST_CASE(each_window_is_scored_once) {
  kind_detector d{kind("sensor"), 100};
  auto bad = sensor_row("s-1|north", 60'000, {7, 7, 8.2, 7});
  BOOST_TEST(d.observe(bad, 1).size() == 1u);
  // Re-emission (late events updated it), final emission: nothing again.
  BOOST_TEST(d.observe(bad, 2).empty());
  bad.final = true;
  BOOST_TEST(d.observe(bad, 3).empty());
  // An older window of the same key: not scored.
  BOOST_TEST(d.observe(sensor_row("s-1|north", 0, {7, 7, 9, 7}), 4).empty());
  // Other keys are independent.
  BOOST_TEST(d.observe(sensor_row("s-2|north", 0, {7, 7, 9, 7}), 4).size()
             == 1u);
  // The next window is scored.
  BOOST_TEST(d.observe(sensor_row("s-1|north", 120'000, {7, 7, 9, 7}), 5).size()
             == 1u);
}

BOOST_AUTO_TEST_CASE(re_emitted_candles_do_not_add_returns) {
  // Seeing each candle twice must give the same anomalies as once.
  auto closes = random_walk(100, 9);
  closes.push_back(closes.back() * 1.03);
  kind_detector once{kind("trade"), 100};
  kind_detector twice{kind("trade"), 100};
  std::vector<anomaly_row> a;
  std::vector<anomaly_row> b;
  for (size_t i = 0; i < closes.size(); ++i) {
    double open = i == 0 ? closes[0] : closes[i - 1];
    auto row = candle("K", static_cast<int64_t>(i) * 60'000, open, closes[i]);
    auto x = once.observe(row, 1);
    a.insert(a.end(), x.begin(), x.end());
    for (int rep = 0; rep < 2; ++rep) {
      auto y = twice.observe(row, 1);
      b.insert(b.end(), y.begin(), y.end());
    }
  }
  check_same(a, b);
  BOOST_TEST(once.snapshot() == twice.snapshot());
}

BOOST_AUTO_TEST_CASE(partial_rows_are_ignored_and_not_counted_as_scored) {
  kind_detector d{kind("sensor"), 100};
  auto bad = sensor_row("s-1|north", 60'000, {7, 7, 8.2, 7});
  bad.partial = true;
  BOOST_TEST(d.observe(bad, 1).empty());
  bad.partial = false;
  BOOST_TEST(d.observe(bad, 1).size() == 1u);

  // A partial candle does not move the close either.
  kind_detector t{kind("trade"), 100};
  auto closes = random_walk(30, 1);
  BOOST_REQUIRE(feed(t, "K", closes, 0, closes.size()).empty());
  double prev = closes.back();
  auto cut = candle("K", 30 * 60'000, prev, prev * 2);
  cut.partial = true;
  BOOST_TEST(t.observe(cut, 1).empty());
  auto jump = t.observe(candle("K", 30 * 60'000, prev, prev * 1.2), 1);
  BOOST_REQUIRE_EQUAL(jump.size(), 1u);
  BOOST_TEST(jump[0].expected == prev);
}

// -- snapshots and the key cap
// ------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_restored_detector_continues_identically) {
  auto closes = random_walk(200, 2026);
  // Jumps after the checkpoint, to be found by both.
  closes[170] = closes[169] * 1.08;
  closes[185] = closes[184] * 0.75;
  std::vector<std::string> keys{"ACME|XNYS", "BOLT|XLON"};
  kind_detector straight{kind("trade"), 100};
  kind_detector before{kind("trade"), 100};
  for (auto* d : {&straight, &before})
    for (const auto& key : keys)
      BOOST_REQUIRE(feed(*d, key, closes, 0, 150).empty());
  auto snap = before.snapshot();
  kind_detector restored{kind("trade"), 100};
  BOOST_REQUIRE(restored.restore(snap));
  BOOST_TEST(restored.snapshot() == snap);
  BOOST_TEST(restored.services() == 2u);
  std::vector<anomaly_row> a;
  std::vector<anomaly_row> b;
  for (const auto& key : keys) {
    auto x = feed(straight, key, closes, 150, closes.size());
    auto y = feed(restored, key, closes, 150, closes.size());
    a.insert(a.end(), x.begin(), x.end());
    b.insert(b.end(), y.begin(), y.end());
  }
  BOOST_TEST(a.size() >= 4u); // both jumps (and the returns after them) per key
  check_same(a, b);
  // Windows scored before the checkpoint stay scored after restore.
  auto old = restored.observe(candle(keys[0], 10 * 60'000, 1, 500), 1);
  BOOST_TEST(old.empty());
  BOOST_TEST(straight.snapshot() == restored.snapshot());
}

BOOST_AUTO_TEST_CASE(a_malformed_snapshot_is_refused_and_state_kept) {
  kind_detector d{kind("trade"), 100};
  auto closes = random_walk(20, 4);
  feed(d, "K", closes, 0, closes.size());
  auto snap = d.snapshot();
  BOOST_TEST(!d.restore("{"));
  BOOST_TEST(!d.restore(
      R"({"version":1,"detector":"kind","services":{"K":{"last_scored":1,"close":"x","returns":[]}}})"));
  BOOST_TEST(!d.restore(
      R"({"version":1,"detector":"kind","services":{"K":{"last_scored":1,"close":1,"returns":["a"]}}})"));
  BOOST_TEST(d.snapshot() == snap);
}

BOOST_AUTO_TEST_CASE(keys_beyond_the_cap_are_counted_not_scored) {
  kind_detector d{kind("sensor"), 2};
  auto bad = [](const std::string& key) {
    return sensor_row(key, 0, {7, 7, 9, 7});
  };
  BOOST_TEST(d.observe(bad("a"), 1).size() == 1u);
  BOOST_TEST(d.observe(bad("b"), 1).size() == 1u);
  BOOST_TEST(d.observe(bad("c"), 1).empty());
  BOOST_TEST(d.observe(bad("d"), 1).empty());
  BOOST_TEST(d.services() == 2u);
  BOOST_TEST(d.overflow() == 2u);
  // Known keys are still scored.
  auto next = sensor_row("a", 60'000, {7, 7, 9, 7});
  BOOST_TEST(d.observe(next, 1).size() == 1u);
  BOOST_TEST(d.overflow() == 2u);
}

BOOST_AUTO_TEST_CASE(a_one_tick_move_of_a_still_price_is_not_a_jump) {
  // A thin key: its price moves by fractions of a tick for 20 windows, so its
  // returns' deviation is tiny and one tick (0.02 %) is dozens of them; the
  // rule's min_move (0.5 %) keeps it quiet, while 1 % still pages.
  kind_detector d{kind("trade"), 100};
  double price = 47.13;
  for (int i = 0; i < 20; ++i) {
    double close = price + (i % 2 == 0 ? 0.0001 : -0.0001);
    BOOST_REQUIRE(
        d.observe(candle("THIN|ARCX", i * 60'000, close, close, close, close),
                  99)
            .empty());
  }
  auto tick = d.observe(candle("THIN|ARCX", 20 * 60'000, price, price + 0.01,
                               price + 0.01, price),
                        99);
  BOOST_TEST(tick.empty());
  auto percent = d.observe(candle("THIN|ARCX", 21 * 60'000, price + 0.01,
                                  price * 1.01, price * 1.01, price + 0.01),
                           99);
  BOOST_REQUIRE_EQUAL(percent.size(), 1u);
  BOOST_TEST(percent[0].detector == "jump");
}
