#define BOOST_TEST_MODULE live_detector
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "actors/detect/live_detector.hpp"
#include "support/window_traffic.hpp"

using namespace vigil;

namespace {

constexpr int64_t window_ms = 10000;

std::vector<window_row> series(uint64_t seed, int64_t n,
                               const std::string& service = "api") {
  test::window_traffic t{seed};
  std::vector<window_row> out;
  for (int64_t i = 0; i < n; ++i)
    out.push_back(t.next(service, i));
  return out;
}

/// Anomalies of `rows` fed in order, from a fresh detector.
std::vector<anomaly_row> run(combined_detector& det,
                             const std::vector<window_row>& rows) {
  std::vector<anomaly_row> out;
  for (const auto& row : rows)
    for (auto& a : det.observe(row, 7))
      out.push_back(std::move(a));
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(steady_traffic_raises_nothing) {
  // Ten seeds of 2000 windows (5.5 hours of 10-second windows) each.
  for (uint64_t seed = 1; seed <= 10; ++seed) {
    combined_detector det;
    auto found = run(det, series(seed, 2000));
    BOOST_TEST(found.empty(),
               "seed " << seed << ": " << found.size() << " anomalies, first "
                       << (found.empty() ? "" : found[0].metric));
  }
}

/// Anomalies of three days of traffic swinging by `swing` around `mean`
/// requests per second over each day, Poisson counts, 1 % errors, steady
/// latency, in 10-second windows.
static std::vector<anomaly_row> daily_cycles(combined_detector& det,
                                             double mean, double swing) {
  constexpr int64_t day_ms = 86'400'000;
  std::mt19937_64 rng{20261206};
  std::vector<anomaly_row> found;
  for (int64_t t = 0; t < 3 * day_ms; t += window_ms) {
    auto rate = mean * (1 + swing * std::sin(2 * M_PI * t / day_ms));
    std::poisson_distribution<int64_t> requests{rate * window_ms / 1000};
    window_row row;
    row.service = "api";
    row.window_start = t;
    row.window_end = t + window_ms;
    row.request_count = requests(rng);
    std::binomial_distribution<int64_t> errors{row.request_count, 0.01};
    row.error_count = errors(rng);
    std::normal_distribution<double> p95{200, 10};
    row.p95_latency_ms = p95(rng);
    for (auto& a : det.observe(row, 0))
      found.push_back(std::move(a));
  }
  return found;
}

BOOST_AUTO_TEST_CASE(daily_traffic_cycles_raise_nothing) {
  // +-50 % and +-90 % (night at a tenth of the mean) around 100 and 10,000
  // requests per second; a median alone lagged each ramp into a level shift.
  for (double mean : {100.0, 10'000.0})
    for (double swing : {0.5, 0.9}) {
      combined_detector det;
      auto found = daily_cycles(det, mean, swing);
      BOOST_TEST(found.empty(), "mean "
                                    << mean << ", swing " << swing << ": "
                                    << found.size() << " anomalies, first "
                                    << (found.empty() ? "" : found[0].metric));
    }
  // The same ramps judged by the median alone do page.
  live_detection_config median_only;
  median_only.request_rate.detection.baseline.follow_trend = false;
  median_only.request_rate.detection.baseline.min_relative_scale = 1e-3;
  combined_detector det{median_only};
  BOOST_TEST(daily_cycles(det, 10'000, 0.9).size() > 10u);
}

BOOST_AUTO_TEST_CASE(a_traffic_level_shift_is_found_through_the_trend) {
  // Traffic halves at window 300 and stays there.
  auto rows = series(12, 500);
  for (size_t i = 300; i < rows.size(); ++i)
    rows[i].request_count /= 2;
  combined_detector det;
  auto found = run(det, rows);
  BOOST_REQUIRE(!found.empty());
  BOOST_TEST(found[0].metric == "request_rate");
  BOOST_TEST(found[0].window_start >= 300 * window_ms);
  BOOST_TEST(found[0].window_start <= 303 * window_ms);
}

BOOST_AUTO_TEST_CASE(an_error_spike_is_a_spike_with_its_score) {
  auto rows = series(3, 200);
  rows[150].error_count = 300; // 30 % errors in one window
  combined_detector det;
  auto found = run(det, rows);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].metric == "error_rate");
  BOOST_TEST(found[0].detector == "spike");
  BOOST_TEST(found[0].window_start == 150 * window_ms);
  BOOST_TEST(found[0].score >= 0.9);
  BOOST_TEST(found[0].score <= 1.0);
  BOOST_TEST(found[0].severity == "critical");
  BOOST_TEST(found[0].expected < 0.02);
  BOOST_TEST(found[0].observed
             == 300.0 / static_cast<double>(rows[150].request_count));
  BOOST_TEST(found[0].detected_at == 7);
}

BOOST_AUTO_TEST_CASE(error_guards_and_falling_errors_report_nothing) {
  auto rows = series(4, 200);
  for (auto& row : rows)
    row.error_count = 0;
  // Four errors out of 1000 after none: far from the baseline, yet below
  // min_errors.
  rows[100].error_count = 4;
  combined_detector det;
  BOOST_TEST(run(det, rows).empty());
  auto busy = series(5, 200);
  for (auto& row : busy)
    row.error_count = 100 + (row.window_start / window_ms) % 3;
  busy[120].error_count = 0; // errors vanish for a window: not a page
  combined_detector det2;
  BOOST_TEST(run(det2, busy).empty());
}

BOOST_AUTO_TEST_CASE(a_latency_level_shift_is_found_within_a_few_windows) {
  auto rows = series(6, 400);
  for (size_t i = 250; i < rows.size(); ++i)
    rows[i].p95_latency_ms += 60; // +3 scales (the 10 % floor) from 250 on
  combined_detector det;
  auto found = run(det, rows);
  BOOST_REQUIRE(!found.empty());
  BOOST_TEST(found[0].metric == "p95_latency_ms");
  BOOST_TEST(found[0].window_start >= 250 * window_ms);
  BOOST_TEST(found[0].window_start <= 256 * window_ms);
  bool level_shift = false;
  for (const auto& a : found)
    level_shift = level_shift || a.detector == "level_shift";
  BOOST_TEST(level_shift);
  // Faster requests are never a latency page.
  auto faster = series(6, 400);
  for (size_t i = 250; i < faster.size(); ++i)
    faster[i].p95_latency_ms -= 60;
  combined_detector det2;
  for (const auto& a : run(det2, faster))
    BOOST_TEST(a.metric != "p95_latency_ms");
}

BOOST_AUTO_TEST_CASE(a_traffic_drop_is_reported) {
  auto rows = series(7, 200);
  rows[160].request_count = 100;
  rows[160].error_count = 1;
  combined_detector det;
  auto found = run(det, rows);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].metric == "request_rate");
  BOOST_TEST(found[0].observed == 10.0); // 100 requests in 10 s
  BOOST_TEST(found[0].expected > 90.0);
}

BOOST_AUTO_TEST_CASE(a_window_cut_short_by_a_drain_is_not_judged) {
  auto rows = series(7, 200);
  auto cut = rows[160];
  cut.request_count /= 4; // the drain stopped a quarter into the window
  cut.error_count = 200;
  cut.partial = true;
  combined_detector det;
  for (size_t i = 0; i < 160; ++i)
    BOOST_TEST(det.observe(rows[i], 0).empty());
  BOOST_TEST(det.observe(cut, 0).empty());
  BOOST_TEST(det.snapshot().find("\"last_scored\":1590000")
             != std::string::npos);
  // The next run completes the window: judged then, like any other.
  rows[160].error_count = 300;
  auto found = det.observe(rows[160], 0);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].metric == "error_rate");
}

BOOST_AUTO_TEST_CASE(nothing_is_reported_before_the_minimum_history) {
  live_detection_config cfg;
  cfg.error_rate.detection.min_history = 40;
  auto rows = series(8, 60);
  rows[30].error_count = 400;
  rows[50].error_count = 400;
  combined_detector det{cfg};
  auto found = run(det, rows);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].window_start == 50 * window_ms);
}

BOOST_AUTO_TEST_CASE(detector_lists_choose_what_reports) {
  metric_detection m;
  BOOST_TEST(parse_detector_list("level_shift, variance_change", m).empty());
  BOOST_TEST(m.enabled);
  BOOST_TEST(!m.spike);
  BOOST_TEST(m.level_shift);
  BOOST_TEST(!m.detection.spike.enabled);
  BOOST_TEST(m.detection.change_point.enabled);
  BOOST_TEST(parse_detector_list("off", m).empty());
  BOOST_TEST(!m.enabled);
  BOOST_TEST(parse_detector_list("all", m).empty());
  BOOST_TEST((m.enabled && m.spike && m.level_shift && m.variance_change));
  metric_detection kept;
  auto err = parse_detector_list("spike,spikes", kept);
  BOOST_TEST(err.find("unknown detector 'spikes'") != std::string::npos, err);
  BOOST_TEST(kept.spike);
  BOOST_TEST(parse_detector_list("spike,spike", kept).find("twice")
             != std::string::npos);
  BOOST_TEST(!parse_detector_list("", kept).empty());
  double s = 1;
  BOOST_TEST(parse_sensitivity("1.5", s).empty());
  BOOST_TEST(s == 1.5);
  for (const char* bad : {"0", "-1", "x", "1.5x", "", "nan", "inf"})
    BOOST_TEST(!parse_sensitivity(bad, s).empty(), bad);
  BOOST_TEST(s == 1.5);

  // A spike is not reported where only the change-point detectors are on,
  // nor at all where the metric is off.
  auto rows = series(3, 200);
  rows[150].error_count = 300;
  live_detection_config cfg;
  BOOST_TEST(parse_detector_list("level_shift", cfg.error_rate).empty());
  combined_detector only_shifts{cfg};
  BOOST_TEST(run(only_shifts, rows).empty());
  BOOST_TEST(parse_detector_list("off", cfg.error_rate).empty());
  combined_detector off{cfg};
  BOOST_TEST(run(off, rows).empty());
}

BOOST_AUTO_TEST_CASE(sensitivity_scales_what_is_reported) {
  // A latency spike of 5 scales (the floor: 10 % of 200 ms): below the
  // default threshold (8), above the threshold at sensitivity 2 (4).
  auto rows = series(9, 200);
  rows[150].p95_latency_ms = 300;
  combined_detector normal;
  BOOST_TEST(run(normal, rows).empty());
  live_detection_config cfg;
  BOOST_TEST(parse_sensitivity("2", cfg.latency.detection.sensitivity).empty());
  combined_detector sensitive{cfg};
  auto found = run(sensitive, rows);
  BOOST_REQUIRE_EQUAL(found.size(), 1u);
  BOOST_TEST(found[0].metric == "p95_latency_ms");
}

BOOST_AUTO_TEST_CASE(a_restore_and_replay_continue_exactly) {
  // Two services; the checkpoint is after window 199; the database also
  // holds windows 200..209 of a batch after the checkpoint, which the
  // source re-delivers.
  auto api = series(10, 400, "api");
  auto db = series(11, 400, "db");
  for (size_t i = 300; i < 400; ++i)
    api[i].p95_latency_ms += 50 + static_cast<double>(i - 300);
  api[250].error_count = 250;
  db[330].request_count = 50;
  std::vector<window_row> all;
  for (size_t i = 0; i < 400; ++i) {
    all.push_back(api[i]);
    all.push_back(db[i]);
  }
  combined_detector straight;
  std::vector<anomaly_row> expected;
  std::string snapshot;
  for (size_t i = 0; i < all.size(); ++i) {
    auto found = straight.observe(all[i], 7);
    if (i >= 400)
      expected.insert(expected.end(), found.begin(), found.end());
    if (i == 399)
      snapshot = straight.snapshot();
  }
  BOOST_REQUIRE(expected.size() >= 3u);

  combined_detector restarted;
  BOOST_REQUIRE(restarted.restore(snapshot));
  BOOST_TEST(restarted.snapshot() == snapshot);
  // Stored windows in the order the node reads them: by service, then time.
  for (const auto* s : {&api, &db})
    for (size_t i = 0; i < 210; ++i)
      restarted.replay((*s)[i]);
  BOOST_TEST(restarted.replayed() == 400u);
  std::vector<anomaly_row> got;
  for (size_t i = 380; i < all.size(); ++i) // from before the checkpoint on
    for (auto& a : restarted.observe(all[i], 7))
      got.push_back(std::move(a));
  BOOST_REQUIRE_EQUAL(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    BOOST_TEST(got[i].service == expected[i].service);
    BOOST_TEST(got[i].window_start == expected[i].window_start);
    BOOST_TEST(got[i].metric == expected[i].metric);
    BOOST_TEST(got[i].detector == expected[i].detector);
    BOOST_TEST(got[i].score == expected[i].score);
  }
}

BOOST_AUTO_TEST_CASE(snapshots_of_either_detector_restore_and_bad_ones_fail) {
  service_detector ewma;
  ewma.observe(series(1, 1)[0], 0);
  combined_detector det;
  BOOST_TEST(det.restore(ewma.snapshot()));
  BOOST_TEST(det.services() == 1u);
  // Window 0 was scored by the EWMA detector: not again.
  BOOST_TEST(det.observe(series(1, 1)[0], 0).empty());
  BOOST_TEST(det.snapshot().find("\"last_scored\":0") != std::string::npos);
  for (const char* bad :
       {"", "{", "[]", "{\"version\":2,\"services\":{}}",
        "{\"version\":1,\"services\":{\"a\":{\"last_scored\":\"x\"}}}",
        "{\"version\":1,\"services\":{\"a\":3}}"}) {
    BOOST_TEST(!det.restore(bad), bad);
    BOOST_TEST(det.services() == 1u);
  }
}

BOOST_AUTO_TEST_CASE(services_beyond_the_cap_are_counted_not_scored) {
  live_detection_config cfg;
  cfg.max_services = 2;
  combined_detector det{cfg};
  for (const char* s : {"a", "b", "c", "d"})
    det.observe(series(1, 1, s)[0], 0);
  BOOST_TEST(det.services() == 2u);
  BOOST_TEST(det.overflow() == 2u);
}

BOOST_AUTO_TEST_CASE(the_replay_span_shares_a_row_budget) {
  live_detection_config cfg;
  BOOST_TEST(cfg.replay_span(8) == 4032u);
  BOOST_TEST(cfg.replay_span(0) == 4032u);
  BOOST_TEST(cfg.replay_span(10'000) == 20u);
  BOOST_TEST(cfg.replay_span(1'000'000) == 1u);
  BOOST_TEST(cfg.replay_span(200) * 200 <= cfg.replay_budget);
}
