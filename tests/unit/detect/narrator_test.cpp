#define BOOST_TEST_MODULE narrator
#include <boost/test/unit_test.hpp>

#include <random>
#include <string>
#include <vector>

#include "actors/detect/narrator.hpp"

using namespace vigil;

namespace {

constexpr int64_t window_ms = 10000;

/// 2026-01-01 12:00:00 UTC: window 30 starts at 12:05:00.
constexpr int64_t base_ms = 1767268800000;

int64_t start_of(int64_t index) {
  return base_ms + index * window_ms;
}

window_row row_of(const std::string& service, int64_t index) {
  window_row row;
  row.service = service;
  row.window_start = start_of(index);
  row.window_end = row.window_start + window_ms;
  row.request_count = 1000;
  row.error_count = 4;
  row.p95_latency_ms = 210;
  return row;
}

anomaly_row anomaly_of(const std::string& service, int64_t index,
                       const std::string& metric, const std::string& level,
                       double observed = 0.3, double expected = 0.004,
                       double score = 20) {
  anomaly_row a;
  a.service = service;
  a.window_start = start_of(index);
  a.metric = metric;
  a.observed = observed;
  a.expected = expected;
  a.score = score;
  a.severity = level;
  a.detector = "ewma";
  return a;
}

/// One result batch: the windows [first, last) of `services`, with
/// `anomalies`.
struct batch {
  std::vector<window_row> rows;
  std::vector<anomaly_row> anomalies;
};

batch windows(std::vector<std::string> services, int64_t first, int64_t last,
              std::vector<anomaly_row> anomalies = {}) {
  batch result;
  for (auto i = first; i < last; ++i)
    for (const auto& s : services)
      result.rows.push_back(row_of(s, i));
  result.anomalies = std::move(anomalies);
  return result;
}

std::vector<incident_row> feed(incident_narrator& n, const batch& b) {
  return n.observe(b.rows, b.anomalies);
}

/// A seeded stream of batches over three services with error bursts.
std::vector<batch> random_stream(uint64_t seed, int64_t windows_total) {
  std::mt19937_64 rng{seed};
  std::bernoulli_distribution burst{0.15};
  std::uniform_int_distribution<int> level{0, 3};
  std::uniform_int_distribution<int> batch_len{1, 4};
  const char* levels[] = {"low", "medium", "high", "critical"};
  const char* metrics[] = {"error_rate", "p95_latency_ms", "request_rate"};
  std::vector<std::string> services{"auth", "cart", "payments"};
  std::vector<batch> result;
  for (int64_t i = 0; i < windows_total;) {
    auto n = std::min<int64_t>(batch_len(rng), windows_total - i);
    auto b = windows(services, i, i + n);
    for (auto w = i; w < i + n; ++w)
      for (const auto& s : services)
        for (const auto* m : metrics)
          if (burst(rng))
            b.anomalies.push_back(
                anomaly_of(s, w, m, levels[level(rng)], 0.2, 0.01, 9));
    result.push_back(std::move(b));
    i += n;
  }
  return result;
}

bool same_rows(const std::vector<incident_row>& xs,
               const std::vector<incident_row>& ys) {
  if (xs.size() != ys.size())
    return false;
  for (size_t i = 0; i < xs.size(); ++i) {
    const auto& x = xs[i];
    const auto& y = ys[i];
    if (x.id != y.id || x.service != y.service || x.started_at != y.started_at
        || x.ended_at != y.ended_at || x.severity != y.severity
        || x.anomaly_count != y.anomaly_count || x.summary != y.summary)
      return false;
  }
  return true;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_incident_opens_at_the_first_anomalous_window) {
  incident_narrator n;
  BOOST_TEST(feed(n, windows({"payments"}, 0, 30)).empty());
  auto got = feed(
      n, windows({"payments"}, 30, 31,
                 {anomaly_of("payments", 30, "error_rate", "critical")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 1);
  BOOST_TEST(got[0].service == "payments");
  BOOST_TEST(got[0].started_at == start_of(30));
  BOOST_TEST(got[0].ended_at == 0);
  BOOST_TEST(got[0].severity == "critical");
  BOOST_TEST(got[0].anomaly_count == 1);
  BOOST_TEST(n.open_incidents() == 1u);
  BOOST_TEST(n.next_id() == 2);
}

BOOST_AUTO_TEST_CASE(short_gaps_extend_and_enough_clean_windows_close_it) {
  narrator_config settings;
  settings.clean_windows_to_close = 3;
  incident_narrator n{settings};
  feed(n, windows({"api"}, 0, 1, {anomaly_of("api", 0, "error_rate", "high")}));
  // Two clean windows, then another anomaly: the same incident.
  BOOST_TEST(feed(n, windows({"api"}, 1, 3)).empty());
  auto got = feed(
      n, windows({"api"}, 3, 4, {anomaly_of("api", 3, "error_rate", "high")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 1);
  BOOST_TEST(got[0].anomaly_count == 2);
  BOOST_TEST(got[0].ended_at == 0);
  // Two clean windows keep it open, the third closes it at the end of the
  // last anomalous window.
  BOOST_TEST(feed(n, windows({"api"}, 4, 6)).empty());
  got = feed(n, windows({"api"}, 6, 7));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 1);
  BOOST_TEST(got[0].ended_at == start_of(4));
  BOOST_TEST(n.open_incidents() == 0u);
  // The next anomaly opens a new incident.
  got = feed(
      n, windows({"api"}, 7, 8, {anomaly_of("api", 7, "error_rate", "low")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 2);
  BOOST_TEST(got[0].started_at == start_of(7));
  BOOST_TEST(got[0].severity == "low");
}

BOOST_AUTO_TEST_CASE(a_service_that_stops_reporting_closes_after_the_quiet) {
  narrator_config settings;
  settings.quiet_period_ms = 60000;
  incident_narrator n{settings};
  feed(n, windows({"api", "db"}, 0, 1,
                  {anomaly_of("db", 0, "request_rate", "high", 5, 400, -30)}));
  // db sends nothing more; api's windows move event time on.
  BOOST_TEST(feed(n, windows({"api"}, 1, 7)).empty());
  auto got = feed(n, windows({"api"}, 7, 8));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].service == "db");
  BOOST_TEST(got[0].ended_at == start_of(1));
}

BOOST_AUTO_TEST_CASE(the_severity_is_the_highest_seen_and_never_drops) {
  incident_narrator n;
  auto got = feed(
      n, windows({"api"}, 0, 1, {anomaly_of("api", 0, "error_rate", "low")}));
  BOOST_TEST(got.at(0).severity == "low");
  got = feed(
      n, windows({"api"}, 1, 2, {anomaly_of("api", 1, "error_rate", "high")}));
  BOOST_TEST(got.at(0).severity == "high");
  got = feed(n, windows({"api"}, 2, 3,
                        {anomaly_of("api", 2, "error_rate", "medium")}));
  BOOST_TEST(got.at(0).severity == "high");
  got = feed(n, windows({"api"}, 3, 4,
                        {anomaly_of("api", 3, "error_rate", "critical")}));
  BOOST_TEST(got.at(0).severity == "critical");
  BOOST_TEST(got.at(0).id == 1);
  BOOST_TEST(got.at(0).anomaly_count == 4);
}

BOOST_AUTO_TEST_CASE(anomalies_of_every_metric_join_the_same_incident) {
  incident_narrator n;
  feed(n, windows({"checkout"}, 0, 1,
                  {anomaly_of("checkout", 0, "p95_latency_ms", "high", 1650,
                              210, 12)}));
  auto got = feed(n, windows({"checkout"}, 1, 2,
                             {anomaly_of("checkout", 1, "error_rate", "medium",
                                         0.082, 0.005, 9),
                              anomaly_of("checkout", 1, "p95_latency_ms",
                                         "critical", 1800, 210, 20)}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 1);
  BOOST_TEST(got[0].anomaly_count == 3);
  BOOST_TEST(got[0].severity == "critical");
  BOOST_TEST(got[0].summary
             == "checkout: p95 latency up to 1800 ms vs 210 ms expected "
                "(critical) and error rate up to 8.2% vs 0.5% expected "
                "(medium) since 12:00:00 UTC, 2 anomalous windows so far; "
                "request rate normal");
}

BOOST_AUTO_TEST_CASE(services_have_independent_incidents) {
  incident_narrator n;
  auto got = feed(n, windows({"auth", "payments"}, 0, 1,
                             {anomaly_of("payments", 0, "error_rate", "high"),
                              anomaly_of("auth", 0, "error_rate", "low")}));
  BOOST_REQUIRE(got.size() == 2u);
  // Ids follow event time, then service name: deterministic.
  BOOST_TEST(got[0].id == 1);
  BOOST_TEST(got[0].service == "auth");
  BOOST_TEST(got[1].id == 2);
  BOOST_TEST(got[1].service == "payments");
  // payments keeps failing while auth recovers: only auth closes.
  std::vector<anomaly_row> more;
  for (int64_t i = 1; i < 4; ++i)
    more.push_back(anomaly_of("payments", i, "error_rate", "high"));
  got = feed(n, windows({"auth", "payments"}, 1, 4, more));
  BOOST_REQUIRE(got.size() == 2u);
  BOOST_TEST(got[0].service == "auth");
  BOOST_TEST(got[0].ended_at == start_of(1));
  BOOST_TEST(got[1].service == "payments");
  BOOST_TEST(got[1].ended_at == 0);
  BOOST_TEST(got[1].anomaly_count == 4);
  BOOST_TEST(n.open_incidents() == 1u);
}

BOOST_AUTO_TEST_CASE(
    the_summary_says_what_how_bad_since_when_and_what_is_fine) {
  incident_narrator n;
  feed(n, windows({"payments"}, 0, 30));
  std::vector<anomaly_row> found;
  for (int64_t i = 30; i < 34; ++i)
    found.push_back(
        anomaly_of("payments", i, "error_rate", i == 32 ? "critical" : "high",
                   i == 32 ? 0.315 : 0.2, 0.004, i == 32 ? 30 : 12));
  auto got = feed(n, windows({"payments"}, 30, 34, found));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].summary
             == "payments: error rate up to 31.5% vs 0.4% expected "
                "(critical) since 12:05:00 UTC, 4 anomalous windows so far; "
                "p95 latency and request rate normal");
  got = feed(n, windows({"payments"}, 34, 37));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].ended_at == start_of(34));
  BOOST_TEST(got[0].summary
             == "payments: error rate up to 31.5% vs 0.4% expected "
                "(critical) from 12:05:00 to 12:05:40 UTC, 4 anomalous "
                "windows; p95 latency and request rate normal");
}

BOOST_AUTO_TEST_CASE(a_traffic_drop_reads_down_to) {
  incident_narrator n;
  auto got = feed(n, windows({"search"}, 0, 1,
                             {anomaly_of("search", 0, "request_rate", "high",
                                         12, 400, -14)}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].summary
             == "search: request rate down to 12 req/s vs 400 req/s expected "
                "(high) since 12:00:00 UTC, 1 anomalous window so far; error "
                "rate and p95 latency normal");
}

BOOST_AUTO_TEST_CASE(an_incident_of_another_kind_lists_no_request_metrics) {
  // Metrics of a sensor or trade key are its measures: the summary names
  // what deviated and claims nothing about request metrics it never had.
  incident_narrator n;
  auto got = feed(n, windows({"SYM0002|XNAS"}, 0, 1,
                             {anomaly_of("SYM0002|XNAS", 0, "price", "high",
                                         224.16, 205.4, 9)}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].summary.find("normal") == std::string::npos,
             got[0].summary);
  BOOST_TEST(got[0].summary.find("SYM0002|XNAS: price up to 224.16") == 0u,
             got[0].summary);
}

BOOST_AUTO_TEST_CASE(re_emitted_and_older_windows_count_once) {
  incident_narrator n;
  auto first
      = windows({"api"}, 5, 6, {anomaly_of("api", 5, "error_rate", "high")});
  BOOST_TEST(feed(n, first).size() == 1u);
  // A re-emission of window 5 (late events) and an older window change
  // nothing.
  BOOST_TEST(feed(n, first).empty());
  BOOST_TEST(feed(n, windows({"api"}, 4, 5,
                             {anomaly_of("api", 4, "error_rate", "high")}))
                 .empty());
  auto got = feed(
      n, windows({"api"}, 6, 7, {anomaly_of("api", 6, "error_rate", "high")}));
  BOOST_TEST(got.at(0).anomaly_count == 2);
}

BOOST_AUTO_TEST_CASE(rows_are_taken_in_event_time_order_whatever_the_batch) {
  incident_narrator n;
  auto b = windows({"api"}, 0, 3,
                   {anomaly_of("api", 0, "error_rate", "high"),
                    anomaly_of("api", 2, "error_rate", "high")});
  std::swap(b.rows[0], b.rows[2]);
  auto got = feed(n, b);
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].started_at == start_of(0));
  BOOST_TEST(got[0].anomaly_count == 2);
}

BOOST_AUTO_TEST_CASE(anomalies_below_the_minimum_severity_are_ignored) {
  narrator_config settings;
  settings.min_severity = severity::medium;
  incident_narrator n{settings};
  BOOST_TEST(feed(n, windows({"api"}, 0, 1,
                             {anomaly_of("api", 0, "error_rate", "low")}))
                 .empty());
  BOOST_TEST(feed(n, windows({"api"}, 1, 2,
                             {anomaly_of("api", 1, "error_rate", "medium")}))
                 .size()
             == 1u);
}

BOOST_AUTO_TEST_CASE(services_beyond_the_cap_are_counted_not_tracked) {
  narrator_config settings;
  settings.max_services = 1;
  incident_narrator n{settings};
  auto got = feed(
      n, windows({"a", "b"}, 0, 1, {anomaly_of("b", 0, "error_rate", "high")}));
  BOOST_TEST(got.empty());
  BOOST_TEST(n.services() == 1u);
  BOOST_TEST(n.overflow() == 1u);
}

BOOST_AUTO_TEST_CASE(
    a_restored_snapshot_continues_with_identical_ids_and_rows) {
  auto stream = random_stream(20261124, 200);
  incident_narrator reference;
  std::vector<std::vector<incident_row>> expected;
  for (const auto& b : stream)
    expected.push_back(feed(reference, b));
  BOOST_TEST(reference.next_id() > 5);
  // Stop in the middle, snapshot, and replay the rest twice from it (a
  // crash after the checkpoint and another one during the replay).
  auto half = stream.size() / 2;
  incident_narrator first;
  for (size_t i = 0; i < half; ++i)
    feed(first, stream[i]);
  auto snap = first.snapshot();
  for (int attempt = 0; attempt < 2; ++attempt) {
    incident_narrator restored;
    BOOST_REQUIRE(restored.restore(snap));
    BOOST_TEST(restored.snapshot() == snap);
    for (size_t i = half; i < stream.size(); ++i)
      BOOST_TEST(same_rows(feed(restored, stream[i]), expected[i]),
                 "batch " << i);
    BOOST_TEST(restored.snapshot() == reference.snapshot());
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_snapshot_is_refused_and_the_state_kept) {
  incident_narrator n;
  feed(n, windows({"api"}, 0, 1, {anomaly_of("api", 0, "error_rate", "high")}));
  auto before = n.snapshot();
  auto valid = before;
  std::vector<std::string> bad{
      "",
      "{broken",
      "[]",
      R"({"version":2,"next_id":2,"event_time":0,"services":{}})",
      R"({"version":1,"next_id":0,"event_time":0,"services":{}})",
      R"({"version":1,"next_id":2,"services":{}})",
      R"({"version":1,"next_id":2,"event_time":0,"services":[]})",
      R"({"version":1,"next_id":2,"event_time":0,"services":{"a":1}})",
      // An open incident whose id is not below next_id would be reused.
      R"({"version":1,"next_id":2,"event_time":0,"services":{"a":{)"
      R"("last_window":0,"incident":{"id":2,"started_at":0,"last_end":1,)"
      R"("severity":"high","anomalies":1,"windows":1,"clean":0,)"
      R"("metrics":{}}}}})",
      R"({"version":1,"next_id":2,"event_time":0,"services":{"a":{)"
      R"("last_window":0,"incident":{"id":1,"started_at":0,"last_end":1,)"
      R"("severity":"bad","anomalies":1,"windows":1,"clean":0,)"
      R"("metrics":{}}}}})",
  };
  for (const auto& text : bad) {
    BOOST_TEST(!n.restore(text), text);
    BOOST_TEST(n.snapshot() == before);
  }
  // The same shape with valid values is accepted.
  BOOST_TEST(n.restore(
      R"({"version":1,"next_id":2,"event_time":0,"services":{"a":{)"
      R"("last_window":0,"incident":{"id":1,"started_at":0,"last_end":1,)"
      R"("severity":"high","anomalies":1,"windows":1,"clean":0,)"
      R"("metrics":{}}}}})"));
  BOOST_TEST(n.open_incidents() == 1u);
  BOOST_TEST(n.restore(valid));
}

BOOST_AUTO_TEST_CASE(without_a_snapshot_ids_start_at_the_configured_first) {
  narrator_config settings;
  settings.first_id = 41;
  incident_narrator n{settings};
  auto got = feed(
      n, windows({"api"}, 0, 1, {anomaly_of("api", 0, "error_rate", "high")}));
  BOOST_TEST(got.at(0).id == 41);
}

BOOST_AUTO_TEST_CASE(
    a_language_model_summary_replaces_the_template_and_sticks) {
  narrator_config settings;
  settings.clean_windows_to_close = 2;
  incident_narrator n{settings};
  auto got = feed(
      n, windows({"api"}, 0, 1, {anomaly_of("api", 0, "error_rate", "high")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].summary.find("error rate up to") != std::string::npos);
  // The answer for the open incident: its row now says it...
  auto row = n.narrate(1, "api fails a third of its requests since 12:00.");
  BOOST_REQUIRE(row.has_value());
  BOOST_TEST(row->id == 1);
  BOOST_TEST(row->ended_at == 0);
  BOOST_TEST(row->anomaly_count == 1);
  BOOST_TEST(row->summary == "api fails a third of its requests since 12:00.");
  // ...and so do its later rows, and a snapshot keeps it.
  got = feed(
      n, windows({"api"}, 1, 2, {anomaly_of("api", 1, "error_rate", "high")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].anomaly_count == 2);
  BOOST_TEST(got[0].summary
             == "api fails a third of its requests since 12:00.");
  incident_narrator restored{settings};
  BOOST_REQUIRE(restored.restore(n.snapshot()));
  got = feed(restored, windows({"api"}, 2, 3,
                               {anomaly_of("api", 2, "error_rate", "high")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].summary
             == "api fails a third of its requests since 12:00.");
  // Closed: the final row can still get a new summary; an unknown id not.
  got = feed(n, windows({"api"}, 2, 4));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].ended_at == start_of(2));
  row = n.narrate(1, "api failed a third of its requests for 20 seconds.");
  BOOST_REQUIRE(row.has_value());
  BOOST_TEST(row->ended_at == start_of(2));
  BOOST_TEST(row->anomaly_count == 2);
  BOOST_TEST(row->summary
             == "api failed a third of its requests for 20 seconds.");
  BOOST_TEST(!n.narrate(99, "nobody").has_value());
  // Without an answer, an incident keeps the template.
  got = feed(
      n, windows({"api"}, 4, 5, {anomaly_of("api", 4, "error_rate", "low")}));
  BOOST_REQUIRE(got.size() == 1u);
  BOOST_TEST(got[0].id == 2);
  BOOST_TEST(got[0].summary.find("error rate up to") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(only_the_last_closed_incidents_can_be_narrated) {
  narrator_config settings;
  settings.clean_windows_to_close = 1;
  incident_narrator n{settings};
  const auto total = incident_narrator::closed_rows_kept + 10;
  for (size_t i = 0; i < total; ++i) {
    auto w = static_cast<int64_t>(2 * i);
    feed(n, windows({"api"}, w, w + 1,
                    {anomaly_of("api", w, "error_rate", "high")}));
    feed(n, windows({"api"}, w + 1, w + 2));
  }
  BOOST_TEST(n.open_incidents() == 0u);
  BOOST_TEST(!n.narrate(1, "api, too late").has_value());
  BOOST_TEST(
      n.narrate(static_cast<int64_t>(total), "api, the last one").has_value());
}
