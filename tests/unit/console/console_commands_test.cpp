#define BOOST_TEST_MODULE console_commands
#include <boost/test/unit_test.hpp>

#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "actors/console/console_commands.hpp"
#include "actors/ingest/request_event.hpp"
#include "runtime/event_kind.hpp"
#include "runtime/supervisor.hpp"

using namespace vigil;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    out.push_back(line);
  return out;
}

/// 2024-05-01 12:00:00Z.
constexpr int64_t t0 = 1714564800000;

supervisor_event event(supervisor_event::kind_t kind, std::string child,
                       std::string reason = {}) {
  supervisor_event ev;
  ev.kind = kind;
  ev.supervisor = "node";
  ev.child = std::move(child);
  ev.reason = std::move(reason);
  return ev;
}

} // namespace

// -- parsing ------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(every_command_of_the_reference_parses) {
  const std::pair<const char*, console_command::kind_t> cases[] = {
      {"help", console_command::help},
      {"status", console_command::status},
      {"partitions", console_command::partitions},
      {"services", console_command::services},
      {"anomalies", console_command::anomalies},
      {"incidents", console_command::incidents},
      {"restarts", console_command::restarts},
      {"checkpoint", console_command::checkpoint},
      {"pause", console_command::pause},
      {"resume", console_command::resume},
  };
  for (const auto& [line, kind] : cases) {
    auto cmd = parse_console_command(line);
    BOOST_REQUIRE_MESSAGE(cmd.has_value(), line);
    BOOST_TEST(cmd->kind == kind, line);
    BOOST_TEST(contains(console_help(), line), line);
  }
}

BOOST_AUTO_TEST_CASE(commands_ignore_case_and_surrounding_blanks) {
  auto cmd = parse_console_command("  STATUS \t");
  BOOST_REQUIRE(cmd.has_value());
  BOOST_TEST(cmd->kind == console_command::status);
}

BOOST_AUTO_TEST_CASE(anomalies_take_an_optional_service_and_count) {
  auto all = parse_console_command("anomalies");
  BOOST_REQUIRE(all.has_value());
  BOOST_TEST(all->service.empty());
  BOOST_TEST(all->limit == 20);
  auto count = parse_console_command("anomalies 5");
  BOOST_REQUIRE(count.has_value());
  BOOST_TEST(count->service.empty());
  BOOST_TEST(count->limit == 5);
  auto service = parse_console_command("anomalies checkout");
  BOOST_REQUIRE(service.has_value());
  BOOST_TEST(service->service == "checkout");
  BOOST_TEST(service->limit == 20);
  auto both = parse_console_command("anomalies Checkout 3");
  BOOST_REQUIRE(both.has_value());
  BOOST_TEST(both->service == "Checkout");
  BOOST_TEST(both->limit == 3);
}

BOOST_AUTO_TEST_CASE(an_unknown_command_names_itself_and_shows_the_reference) {
  auto cmd = parse_console_command("stauts");
  BOOST_REQUIRE(!cmd.has_value());
  BOOST_TEST(contains(cmd.error(), "unknown command 'stauts'"), cmd.error());
  BOOST_TEST(contains(cmd.error(), console_help()));
}

BOOST_AUTO_TEST_CASE(bad_arguments_say_what_is_wrong) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "empty command"},
      {"status now", "status takes no arguments (got 'now')"},
      {"pause 5m", "pause takes no arguments (got '5m')"},
      {"restarts 0", "restarts: N must be an integer in 1..1000 (got '0')"},
      {"restarts 1001", "(got '1001')"},
      {"restarts 1 2", "restarts takes at most one argument"},
      {"anomalies checkout x", "anomalies: N must be an integer"},
      {"anomalies a 1 2", "at most two arguments"},
      {"anomalies 99999999999", "(got '99999999999')"},
  };
  for (const auto& [line, message] : cases) {
    auto cmd = parse_console_command(line);
    BOOST_REQUIRE_MESSAGE(!cmd.has_value(), line);
    BOOST_TEST(contains(cmd.error(), message), cmd.error());
    BOOST_TEST(contains(cmd.error(), "commands:"), line);
  }
}

// -- tables and durations -----------------------------------------------------

BOOST_AUTO_TEST_CASE(tables_align_text_left_and_numbers_right) {
  text_table t{{"NAME", ">COUNT"}};
  t.add({"a", "1"});
  t.add({"longer", "12345"});
  auto out = lines(t.render());
  BOOST_REQUIRE(out.size() == 4u);
  BOOST_TEST(out[0] == "NAME    COUNT");
  BOOST_TEST(out[1] == "------  -----");
  BOOST_TEST(out[2] == "a           1");
  BOOST_TEST(out[3] == "longer  12345");
}

BOOST_AUTO_TEST_CASE(table_lines_have_no_trailing_blanks) {
  text_table t{{"A", "B"}};
  t.add({"xxxx", ""});
  for (const auto& line : lines(t.render()))
    BOOST_TEST((line.empty() || line.back() != ' '), "'" << line << "'");
}

BOOST_AUTO_TEST_CASE(durations_read_in_the_two_largest_units) {
  BOOST_TEST(format_duration(-5) == "0s");
  BOOST_TEST(format_duration(999) == "0s");
  BOOST_TEST(format_duration(12'000) == "12s");
  BOOST_TEST(format_duration(245'000) == "4m05s");
  BOOST_TEST(format_duration(7'380'000) == "2h03m");
  BOOST_TEST(format_duration(273'600'000) == "3d04h");
}

BOOST_AUTO_TEST_CASE(times_are_utc) {
  BOOST_TEST(format_time(t0 + 3'999) == "2024-05-01 12:00:03Z");
}

// -- commands -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(status_shows_uptime_checkpoint_counters_and_children) {
  console_status st;
  st.now_ms = t0 + 245'000;
  st.identity = "pid 7, topic events";
  st.started_ms = t0;
  st.last_checkpoint = 42;
  st.last_checkpoint_ms = t0 + 242'000;
  st.stats_known = true;
  st.stats.events = 12345;
  st.stats.invalid.assign(invalid_reason_count, 0);
  st.stats.invalid[static_cast<size_t>(invalid_reason::not_json)] = 3;
  st.stats.invalid[static_cast<size_t>(invalid_reason::bad_status)] = 2;
  st.stats.invalid[static_cast<size_t>(invalid_reason::too_late)] = 4;
  st.stats.late_accepted = 6;
  st.services = 8;
  st.max_services = 10000;
  st.assigned = 4;
  st.total_lag = 17;
  st.children = {{"db_writer", 0, true}, {"source", 3, false}};
  auto out = format_status(st);
  BOOST_TEST(contains(out, "pid 7, topic events"), out);
  BOOST_TEST(contains(out, "up 4m05s (since 2024-05-01 12:00:00Z)"), out);
  BOOST_TEST(contains(out, "mode        run: consumes until stopped"), out);
  BOOST_TEST(contains(out, "42, committed 3s ago"), out);
  BOOST_TEST(contains(out, "events      12345 consumed"), out);
  BOOST_TEST(contains(out, "invalid     5 (not_json 3, bad_status 2)"), out);
  BOOST_TEST(contains(out, "6 updated their window, 4 too late"), out);
  BOOST_TEST(contains(out, "8 with windows (cap 10000)"), out);
  BOOST_TEST(contains(out, "4 assigned, total lag 17"), out);
  BOOST_TEST(contains(out, "db_writer  running            0"), out);
  BOOST_TEST(contains(out, "source     restarting         3"), out);
}

BOOST_AUTO_TEST_CASE(status_says_what_is_not_known_yet) {
  console_status st;
  st.now_ms = t0;
  st.started_ms = t0;
  st.drain = true;
  st.problems = "supervised actors (timeout)";
  auto out = format_status(st);
  BOOST_TEST(contains(out, "checkpoint  none yet"), out);
  BOOST_TEST(contains(out, "drain: stops at the end offsets"), out);
  BOOST_TEST(contains(out, "not known yet"), out);
  BOOST_TEST(contains(out, "not available: supervised actors (timeout)"), out);
  BOOST_TEST(!contains(out, "ACTOR"), out);
  st.stopping = true;
  BOOST_TEST(contains(format_status(st), "stopping: finishing"));
}

BOOST_AUTO_TEST_CASE(partitions_show_lag_pause_and_checkpointed_offset) {
  std::vector<console_partition> xs{{0, 100, 150, false, 2, 90},
                                    {1, 40, 40, true, 16, -1},
                                    {2, 7, -1, false, 0, 5}};
  for (auto& x : xs)
    x.epoch = 3;
  xs[1].consumer_paused = true;
  xs[2].fetched = false;
  auto out = lines(format_partitions(xs));
  BOOST_REQUIRE(out.size() == 7u);
  BOOST_TEST(out[0]
             == "PARTITION  NEXT  END  LAG  STATE    IN FLIGHT  CHECKPOINTED  "
                "CONSUMER  EPOCH  NO PROGRESS");
  BOOST_TEST(out[2]
             == "        0   100  150   50  reading          2            90  "
                "fetching      3            -");
  BOOST_TEST(out[3]
             == "        1    40   40    0  paused          16             -  "
                "paused        3            -");
  // Assigned, nothing fetched yet since the seek.
  BOOST_TEST(out[4]
             == "        2     7    ?    ?  reading          0             5  "
                "seeking       3            -");
  BOOST_TEST(out[6] == "3 partitions, 1 paused (backpressure), total lag 50");
}

BOOST_AUTO_TEST_CASE(partitions_held_by_the_operator_say_so) {
  // The source reports a held partition as held, not as paused.
  std::vector<console_partition> xs{{0, 100, 150, false, 0, 90, true},
                                    {1, 40, 40, false, 0, 40, true}};
  for (auto& x : xs) {
    x.consumer_paused = true;
    x.epoch = 1;
  }
  auto out = lines(format_partitions(xs));
  BOOST_REQUIRE(out.size() == 6u);
  BOOST_TEST(out[2]
             == "        0   100  150   50  held           0            90  "
                "paused        1            -");
  BOOST_TEST(out[5]
             == "2 partitions, 0 paused (backpressure), 2 held by the "
                "operator, total lag 50");
}

BOOST_AUTO_TEST_CASE(a_stalled_partition_is_named_in_partitions_and_status) {
  // Lag, fetching, and no progress for 42 s: the silent stall after a
  // rebalance is shown for what it is.
  std::vector<console_partition> xs{{0, 3997, 11997, false, 0, 3997},
                                    {1, 500, 500, false, 0, 500}};
  xs[0].stalled = true;
  xs[0].waiting_ms = 42000;
  for (auto& x : xs)
    x.epoch = 5;
  auto out = lines(format_partitions(xs));
  BOOST_REQUIRE(out.size() == 6u);
  BOOST_TEST(out[2]
             == "        0  3997  11997  8000  stalled          0          "
                "3997  fetching      5          42s");
  BOOST_TEST(contains(out[5], "1 STALLED (lag without progress"), out[5]);
  console_status st;
  st.assigned = 2;
  st.stalled = 1;
  auto status = format_status(st);
  BOOST_TEST(contains(status, "STALLED     1 partitions have lag and made no "
                              "progress"),
             status);
  st.stalled = 0;
  BOOST_TEST(!contains(format_status(st), "STALLED"));
}

BOOST_AUTO_TEST_CASE(status_shows_the_operators_hold) {
  console_status st;
  st.now_ms = t0 + 90'000;
  st.started_ms = t0;
  BOOST_TEST(!contains(format_status(st), "paused"));
  st.held = true;
  st.held_since_ms = t0 + 30'000;
  auto out = format_status(st);
  BOOST_TEST(contains(out, "paused      by the operator 1m00s ago "
                           "(2024-05-01 12:00:30Z): nothing is fetched until "
                           "'resume'"),
             out);
}

BOOST_AUTO_TEST_CASE(no_partitions_explains_why_the_table_is_empty) {
  BOOST_TEST(contains(format_partitions({}), "no partition assigned yet"));
}

BOOST_AUTO_TEST_CASE(services_show_rate_error_rate_and_p95) {
  window_row r;
  r.service = "checkout";
  r.window_start = t0;
  r.window_end = t0 + 10'000;
  r.request_count = 250;
  r.error_count = 5;
  r.error_rate = 0.02;
  r.p95_latency_ms = 123.456;
  r.updated_at = t0 + 12'000;
  auto out = lines(format_services({r}, t0 + 20'000));
  BOOST_REQUIRE(out.size() == 5u);
  BOOST_TEST(out[0]
             == "SERVICE   WINDOW                REQUESTS  REQ/S  ERRORS  "
                "ERROR RATE  P95 MS  UPDATED");
  BOOST_TEST(out[2]
             == "checkout  2024-05-01 12:00:00Z       250   25.0       5  "
                "     2.00%   123.5   8s ago");
  BOOST_TEST(out[4] == "1 services, latest window each");
  BOOST_TEST(contains(format_services({}, t0), "no windows stored yet"));
}

kind_view builtin_view(const std::string& name) {
  auto kind = load_kind_schema(name);
  BOOST_REQUIRE_MESSAGE(kind, (kind ? "" : kind.error()));
  return make_kind_view(&*kind);
}

kind_window_row kind_row(std::vector<std::string> keys, int64_t n,
                         std::vector<std::optional<double>> values) {
  kind_window_row r;
  for (const auto& k : keys)
    r.key += (r.key.empty() ? "" : "|") + k;
  r.key_values = std::move(keys);
  r.window_start = t0;
  r.window_end = t0 + 10'000;
  r.event_count = n;
  r.values = std::move(values);
  r.updated_at = t0 + 12'000;
  return r;
}

BOOST_AUTO_TEST_CASE(services_of_a_trade_node_show_each_candle) {
  auto view = builtin_view("trade");
  auto out = lines(format_kind_services(
      view,
      {kind_row({"SYM0001", "XNAS"}, 44,
                {274.3801, 277.1925, 272.3417, 274.38, 274.55076838, 12773}),
       kind_row({"SYM0002", "IEXG"}, 3,
                {1500, 1512.25, 1499.5, 1510.126, 1505.0625, std::nullopt})},
      t0 + 20'000));
  BOOST_REQUIRE(out.size() == 6u);
  BOOST_TEST(out[0]
             == "SYMBOL   EXCHANGE  WINDOW                EVENTS  EV/S  "
                "PRICE_OPEN  PRICE_HIGH  PRICE_LOW  PRICE_CLOSE  PRICE_VWAP  "
                "SIZE_SUM  UPDATED");
  BOOST_TEST(out[2]
             == "SYM0001  XNAS      2024-05-01 12:00:00Z      44   4.4    "
                "274.3801    277.1925   272.3417     274.3800    274.5508     "
                "12773   8s ago");
  BOOST_TEST(out[3]
             == "SYM0002  IEXG      2024-05-01 12:00:00Z       3   0.3        "
                "1500     1512.25    1499.50      1510.13     1505.06         "
                "-   8s ago");
  BOOST_TEST(out[5]
             == "2 keys (symbol|exchange) of kind trade, latest window each");
  // Every value column is shown: nothing more to mention.
  BOOST_TEST(
      !contains(format_kind_services(
                    view, {kind_row({"A", "B"}, 1, {1, 1, 1, 1, 1, 1})}, t0),
                "more value columns"));
}

BOOST_AUTO_TEST_CASE(services_of_a_sensor_node_show_one_column_per_measure) {
  auto view = builtin_view("sensor");
  BOOST_REQUIRE(view.columns.size() == 16u);
  std::vector<std::optional<double>> values;
  for (int i = 0; i < 16; ++i)
    values.emplace_back(i + 0.5);
  auto text = format_kind_services(
      view, {kind_row({"sensor-0003", "north"}, 10, values)}, t0 + 20'000);
  auto out = lines(text);
  BOOST_REQUIRE(out.size() == 6u);
  // The mean of each measure: columns 0, 4, 8 and 12.
  BOOST_TEST(
      out[0]
      == "SENSOR_ID    SITE   WINDOW                EVENTS  EV/S  "
         "PH_MEAN  TEMPERATURE_C_MEAN  HUMIDITY_PCT_MEAN  EC_MS_CM_MEAN  "
         "UPDATED");
  BOOST_TEST(out[2]
             == "sensor-0003  north  2024-05-01 12:00:00Z      10   1.0   "
                "0.5000              4.5000             8.5000        "
                "12.5000   8s ago");
  BOOST_TEST(out[4]
             == "1 keys (sensor_id|site) of kind sensor, latest window each");
  BOOST_TEST(out[5]
             == "12 more value columns in sensor_metrics (all of them: GET "
                "/api/kind/keys)");
  BOOST_TEST(contains(format_kind_services(view, {}, t0),
                      "no windows stored in sensor_metrics yet"));
}

BOOST_AUTO_TEST_CASE(kind_values_read_as_numbers) {
  BOOST_TEST(format_kind_value(std::nullopt) == "-");
  BOOST_TEST(format_kind_value(std::numeric_limits<double>::quiet_NaN())
             == "-");
  BOOST_TEST(format_kind_value(12773.0) == "12773");
  BOOST_TEST(format_kind_value(-3.0) == "-3");
  BOOST_TEST(format_kind_value(6.81234) == "6.8123");
  BOOST_TEST(format_kind_value(1505.0625) == "1505.06");
}

BOOST_AUTO_TEST_CASE(status_of_a_kind_node_counts_keys) {
  console_status st;
  st.now_ms = t0;
  st.started_ms = t0;
  st.services = 100;
  st.max_services = 10000;
  st.kind = "trade";
  auto out = format_status(st);
  BOOST_TEST(contains(out, "100 with windows (kind trade, cap 10000)"), out);
  BOOST_TEST(!contains(out, "services "), out);
}

BOOST_AUTO_TEST_CASE(anomalies_name_the_service_filter) {
  anomaly_row a;
  a.service = "cart";
  a.window_start = t0;
  a.metric = "error_rate";
  a.observed = 0.25;
  a.expected = 0.01;
  a.score = 9.87;
  a.severity = "high";
  a.detector = "ewma";
  console_command cmd;
  cmd.kind = console_command::anomalies;
  cmd.limit = 5;
  auto out = format_anomalies({a}, cmd);
  BOOST_TEST(contains(out, "2024-05-01 12:00:00Z  cart     error_rate"), out);
  BOOST_TEST(contains(out, "0.250     0.010   9.87  high      ewma"), out);
  BOOST_TEST(contains(out, "1 newest anomalies (at most 5)"), out);
  cmd.service = "search";
  BOOST_TEST(format_anomalies({}, cmd) == "no anomalies of service 'search'\n");
}

BOOST_AUTO_TEST_CASE(incidents_show_state_duration_and_summary) {
  incident_row open;
  open.id = 7;
  open.service = "payments";
  open.started_at = t0;
  open.severity = "critical";
  open.anomaly_count = 4;
  open.summary = "payments: error rate up to 31.5% vs 0.4% expected";
  incident_row done = open;
  done.id = 3;
  done.service = "search";
  done.severity = "medium";
  done.ended_at = t0 - 60'000;
  done.started_at = t0 - 150'000;
  done.anomaly_count = 2;
  done.summary = "search: p95 latency up to 900 ms vs 120 ms expected";
  auto out = format_incidents({open, done}, t0 + 125'000);
  BOOST_TEST(contains(out, "#7  payments  critical  2024-05-01 12:00:00Z  "
                           "ongoing for 2m05s"),
             out);
  BOOST_TEST(contains(out, "resolved after 1m30s"), out);
  BOOST_TEST(contains(out, "#7 payments: error rate up to 31.5%"), out);
  BOOST_TEST(contains(out, "#3 search: p95 latency"), out);
  BOOST_TEST(contains(out, "1 ongoing, 1 resolved shown"), out);
  BOOST_TEST(contains(format_incidents({}, t0), "no incidents"));
  BOOST_TEST(!parse_console_command("incidents 0 1").has_value());
  auto limited = parse_console_command("incidents 5");
  BOOST_REQUIRE(limited.has_value());
  BOOST_TEST(limited->limit == 5);
}

BOOST_AUTO_TEST_CASE(restarts_list_supervisor_events_oldest_first) {
  supervisor_history history{3};
  history.record(event(supervisor_event::started, "source"), t0);
  history.record(event(supervisor_event::failed, "source", "boom"), t0 + 1000);
  auto restarting = event(supervisor_event::restarting, "source");
  restarting.restarts = 1;
  restarting.delay = std::chrono::milliseconds(250);
  history.record(restarting, t0 + 1001);
  auto restarted = event(supervisor_event::restarted, "source");
  restarted.restarts = 1;
  history.record(restarted, t0 + 1251);
  BOOST_TEST(history.dropped() == 0u);
  auto events = history.latest(10);
  BOOST_REQUIRE(events.size() == 3u);
  auto out = lines(format_restarts(events, 0, t0 + 61'000));
  BOOST_REQUIRE(out.size() == 5u);
  BOOST_TEST(out[0]
             == "TIME                    AGO  SUPERVISOR  CHILD   WHAT"
                "        REASON");
  BOOST_TEST(out[2]
             == "2024-05-01 12:00:01Z  1m00s  node        source  "
                "failed      boom");
  BOOST_TEST(out[3]
             == "2024-05-01 12:00:01Z    59s  node        source  "
                "restarting  restart #1 in 250 ms");
  BOOST_TEST(out[4]
             == "2024-05-01 12:00:01Z    59s  node        source  "
                "restarted   restart #1");
}

BOOST_AUTO_TEST_CASE(a_full_history_drops_its_oldest_events_and_says_so) {
  supervisor_history history{2};
  for (int i = 0; i < 5; ++i)
    history.record(event(supervisor_event::failed, "c" + std::to_string(i)),
                   t0 + i);
  BOOST_TEST(history.dropped() == 3u);
  auto events = history.latest(10);
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST(events[0].child == "c3");
  BOOST_TEST(events[1].child == "c4");
  BOOST_TEST(history.latest(1).at(0).child == "c4");
  auto out = format_restarts(events, history.dropped(), t0);
  BOOST_TEST(contains(out, "3 older events no longer kept"), out);
  BOOST_TEST(contains(format_restarts({}, 0, t0), "no actor has failed"));
}

BOOST_AUTO_TEST_CASE(checkpoints_list_newest_first_with_stored_offsets) {
  std::vector<console_checkpoint> xs{{9, t0 + 5000, 2048}, {8, t0, 2000}};
  std::vector<partition_offset> offsets{{0, 4677}, {1, 12}};
  auto out = format_checkpoints(xs, offsets, t0 + 7000);
  auto ls = lines(out);
  BOOST_REQUIRE(ls.size() >= 8u);
  BOOST_TEST(ls[2] == "         9  2024-05-01 12:00:05Z   2s         2048");
  BOOST_TEST(ls[3] == "         8  2024-05-01 12:00:00Z   7s         2000");
  BOOST_TEST(contains(out, "        0         4677"), out);
  BOOST_TEST(contains(out, "        1           12"), out);
  BOOST_TEST(contains(format_checkpoints({}, {}, t0), "no checkpoint stored"));
}

BOOST_AUTO_TEST_CASE(nodes_list_every_node_of_the_cluster) {
  auto cmd = parse_console_command("nodes");
  BOOST_REQUIRE(cmd);
  BOOST_TEST(cmd->kind == console_command::nodes);
  BOOST_TEST(!parse_console_command("nodes 3"));
  cluster_view view;
  view.generation = 12;
  view.running = true;
  view.topic_partitions = 8;
  view.node_losses = 1;
  view.nodes.push_back({"ingest-a",
                        "ingest",
                        "h1 pid 10",
                        {0, 1, 2, 3},
                        120,
                        0,
                        t0 - 800,
                        t0 - 60000});
  view.nodes.push_back({"ingest-b",
                        "ingest",
                        "h2 pid 11",
                        {4, 5, 7},
                        -1,
                        2,
                        t0 - 2000,
                        t0 - 5000});
  auto out = lines(format_nodes(view, t0));
  BOOST_REQUIRE_EQUAL(out.size(), 5u);
  BOOST_TEST(out[0]
             == "cluster: generation 12, running, 2 nodes, 1 lost since "
                "start, 8 partitions");
  BOOST_TEST(contains(out[1], "NODE"));
  BOOST_TEST(contains(out[1], "HEARTBEAT"));
  BOOST_TEST(contains(out[3], "ingest-a"));
  BOOST_TEST(contains(out[3], "0-3"));
  BOOST_TEST(contains(out[3], "120"));
  BOOST_TEST(contains(out[4], "4-5,7"));
  BOOST_TEST(contains(out[4], "?")); // lag not known yet

  // Partitions without an owner hold the cluster, and it says so.
  view.running = false;
  view.unowned = {6};
  auto held = format_nodes(view, t0);
  BOOST_TEST(contains(held, "HOLDING"));
  BOOST_TEST(contains(held, "partitions without an owner: 6"));
  view.nodes.clear();
  BOOST_TEST(contains(format_nodes(view, t0), "no ingest node connected"));
}
