#define BOOST_TEST_MODULE messages
#include <boost/test/unit_test.hpp>

#include <tuple>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/event_based_actor.hpp>

#include "actors/messages.hpp"
#include "support/caf_fixture.hpp"

// Every message type survives a trip through CAF's binary serializer with
// every field intact. Each `fill` sets every field to a value other than its
// default and each `fields` lists every field, so a field left out of an
// `inspect` comes back as its default and the comparison fails. A new field
// belongs in its struct's `inspect`, in `fill` and in `fields`.

namespace vigil {

// clang-format off
auto fields(const record_batch& x) { return std::tie(x.partition, x.epoch, x.offsets, x.ends, x.bytes); }
auto fields(const partition_end& x) { return std::tie(x.partition, x.next_offset, x.finished, x.epoch); }
auto fields(const partition_barrier& x) { return std::tie(x.checkpoint, x.partition, x.next_offset, x.epoch); }
auto fields(const watermark_update& x) { return std::tie(x.watermark); }
auto fields(const dead_letter& x) { return std::tie(x.partition, x.offset, x.reason, x.payload); }
auto fields(const dead_letter_batch& x) { return std::tie(x.letters); }
auto fields(const partition_offset& x) { return std::tie(x.partition, x.next_offset); }
auto fields(const dead_letter_positions& x) { return std::tie(x.positions); }
auto fields(const checkpoint_durable& x) { return std::tie(x.checkpoint, x.offsets); }
auto fields(const window_partial& x) { return std::tie(x.key, x.window_start, x.aggregate); }
auto fields(const task_counters& x) { return std::tie(x.events, x.repaired, x.late_accepted, x.invalid, x.reorderings); }
auto fields(const partial_batch& x) { return std::tie(x.partition, x.epoch, x.next_offset, x.max_event_time, x.partials, x.counters, x.batches); }
auto fields(const checkpoint_begin& x) { return std::tie(x.checkpoint, x.partitions); }
auto fields(const window_row& x) { return std::tie(x.service, x.window_start, x.window_end, x.request_count, x.error_count, x.error_rate, x.avg_latency_ms, x.p50_latency_ms, x.p95_latency_ms, x.p99_latency_ms, x.max_latency_ms, x.late_count, x.updated_at, x.final); }
auto fields(const pipeline_stats& x) { return std::tie(x.events, x.invalid, x.repaired, x.late_accepted, x.windows, x.late_partials_dropped, x.key_overflow, x.watermark, x.open_windows, x.last_checkpoint, x.reorderings, x.tracked_keys); }
auto fields(const anomaly_row& x) { return std::tie(x.service, x.window_start, x.metric, x.observed, x.expected, x.score, x.severity, x.detector, x.detected_at); }
auto fields(const incident_row& x) { return std::tie(x.id, x.service, x.started_at, x.ended_at, x.severity, x.anomaly_count, x.summary); }
auto fields(const llm_reply& x) { return std::tie(x.id, x.ok, x.summary, x.why); }
auto fields(const result_batch& x) { return std::tie(x.rows, x.anomalies, x.checkpoint, x.offsets, x.merger_state, x.detector_state, x.durable_to, x.incidents, x.narrator_state, x.dead_letter_positions); }
auto fields(const console_request& x) { return std::tie(x.line); }
auto fields(const console_reply& x) { return std::tie(x.ok, x.text); }
auto fields(const child_status& x) { return std::tie(x.name, x.actor, x.restarts, x.alive); }
auto fields(const node_hello& x) { return std::tie(x.name, x.role, x.address, x.topic_partitions); }
auto fields(const assignment_report& x) { return std::tie(x.partitions, x.end_offsets, x.topic_partitions); }
auto fields(const cluster_resume& x) { return std::tie(x.generation, x.run, x.checkpoint, x.offsets, x.partitions, x.merger, x.dead_letters); }
auto fields(const cluster_barrier& x) { return std::tie(x.checkpoint, x.generation); }
auto fields(const node_heartbeat& x) { return std::tie(x.partitions, x.lag, x.restarts, x.generation); }
auto fields(const coordinator_request& x) { return std::tie(x.name); }
auto fields(const store_link_event& x) { return std::tie(x.coordinator, x.reason); }
auto fields(const node_row& x) { return std::tie(x.name, x.role, x.address, x.partitions, x.lag, x.restarts, x.last_heartbeat_ms, x.joined_ms); }
auto fields(const cluster_view& x) { return std::tie(x.generation, x.running, x.topic_partitions, x.unowned, x.nodes, x.node_losses); }
// clang-format on

// Nested messages compare by their fields too.
template <class T, class = decltype(fields(std::declval<const T&>()))>
bool operator==(const T& a, const T& b) {
  return fields(a) == fields(b);
}

} // namespace vigil

using namespace vigil;

namespace {

void fill(record_batch& x) {
  x = {7, 3, {10, 11}, {2, 5}, "abcde"};
}

void fill(partition_end& x) {
  x = {7, 42, true, 3};
}

void fill(partition_barrier& x) {
  x = {9, 7, 42, 3};
}

void fill(watermark_update& x) {
  x.watermark = 123456;
}

void fill(dead_letter& x) {
  x = {7, 41, "bad_json", "{oops"};
}

void fill(dead_letter_batch& x) {
  x.letters.resize(2);
  fill(x.letters[0]);
  fill(x.letters[1]);
  x.letters[1].offset = 43;
}

void fill(partition_offset& x) {
  x = {7, 42};
}

void fill(dead_letter_positions& x) {
  x.positions = {{0, 5}, {1, 6}};
}

void fill(checkpoint_durable& x) {
  x.checkpoint = 9;
  x.offsets = {{0, 5}, {7, 42}};
}

void fill(window_partial& x) {
  x.key = "checkout";
  x.window_start = 60000;
  x.aggregate = window_aggregate::with_measures(1);
  double latency = 12.5;
  x.aggregate.add(true, &latency, true);
}

void fill(task_counters& x) {
  x = {100, 2, 3, {0, 4, 5}, 1};
}

void fill(partial_batch& x) {
  x.partition = 7;
  x.epoch = 3;
  x.next_offset = 42;
  x.max_event_time = 61000;
  x.partials.resize(1);
  fill(x.partials[0]);
  fill(x.counters);
  x.batches = 5;
}

void fill(checkpoint_begin& x) {
  x = {9, {0, 1, 7}};
}

void fill(window_row& x) {
  x = {"checkout", 60000, 120000, 10, 2,  0.2,  12.5,  10,
       20,         30,    40,     1,  99, true, false, {1.5, -2.25}};
}

void fill(pipeline_stats& x) {
  x = {100, {0, 4}, 2, 3, 4, 5, 6, 60000, 7, 8, 9, 10};
}

void fill(anomaly_row& x) {
  x = {"checkout", 60000, "error_rate", 0.5, 0.1, 4.2, "high", "ewma", 99};
}

void fill(incident_row& x) {
  x = {17, "checkout", 60000, 180000, "critical", 3, "checkout is failing"};
}

void fill(result_batch& x, const caf::actor& someone) {
  x.rows.resize(1);
  fill(x.rows[0]);
  x.anomalies.resize(1);
  fill(x.anomalies[0]);
  x.checkpoint = 9;
  x.offsets = {{0, 5}};
  x.merger_state = "merger";
  x.detector_state = "detector";
  x.durable_to = someone;
  x.incidents.resize(1);
  fill(x.incidents[0]);
  x.narrator_state = "narrator";
  x.dead_letter_positions = {{0, 6}};
}

void fill(console_request& x) {
  x.line = "anomalies checkout 5";
}

void fill(console_reply& x) {
  x = {true, "ok\n"};
}

void fill(child_status& x, const caf::actor& someone) {
  x = {"merger", someone, 2, true};
}

struct fixture : test::caf_fixture {
  // One spawn argument: CAF 0.17.6 dereferences a null argument tuple for
  // function actors spawned without any (UBSan reports it).
  caf::actor someone
      = sys.spawn([](int) { return caf::behavior{[](int) {}}; }, 0);

  ~fixture() {
    caf::anon_send_exit(someone, caf::exit_reason::user_shutdown);
    run();
  }

  /// Serializes `x` and reads it back into a default-constructed value.
  template <class T>
  T round_trip(T& x) {
    std::vector<char> buf;
    caf::binary_serializer sink{sys, buf};
    auto err = sink(x);
    BOOST_REQUIRE_MESSAGE(!err, sys.render(err));
    T y;
    caf::binary_deserializer source{sys, buf};
    err = source(y);
    BOOST_REQUIRE_MESSAGE(!err, sys.render(err));
    return y;
  }

  template <class T>
  void check(T x) {
    BOOST_TEST_CONTEXT(caf::type_name<T>::value) {
      BOOST_CHECK_MESSAGE(!(x == T{}), "fill sets every field");
      BOOST_CHECK_MESSAGE(round_trip(x) == x, "round trip keeps every field");
    }
  }

  template <class T>
  void check_filled() {
    T x;
    fill(x);
    check(x);
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(messages, fixture)

BOOST_AUTO_TEST_CASE(every_message_of_ingest_round_trips_with_all_its_fields) {
  check_filled<record_batch>();
  check_filled<partition_end>();
  check_filled<partition_barrier>();
  check_filled<watermark_update>();
  check_filled<dead_letter>();
  check_filled<dead_letter_batch>();
  check_filled<partition_offset>();
  check_filled<dead_letter_positions>();
  check_filled<checkpoint_durable>();
}

BOOST_AUTO_TEST_CASE(
    every_message_of_aggregate_round_trips_with_all_its_fields) {
  check_filled<window_partial>();
  check_filled<task_counters>();
  check_filled<partial_batch>();
  check_filled<checkpoint_begin>();
  check_filled<window_row>();
  check_filled<pipeline_stats>();
}

BOOST_AUTO_TEST_CASE(every_message_of_detect_round_trips_with_all_its_fields) {
  check_filled<anomaly_row>();
  check_filled<incident_row>();
  check(llm_reply{17, true, "checkout fails", "none"});
  result_batch batch;
  fill(batch, someone);
  check(batch);
}

BOOST_AUTO_TEST_CASE(console_and_supervision_messages_round_trip) {
  check_filled<console_request>();
  check_filled<console_reply>();
  child_status status;
  fill(status, someone);
  check(status);
}

BOOST_AUTO_TEST_CASE(
    every_message_of_the_cluster_round_trips_with_all_its_fields) {
  check(node_hello{"ingest-a", "ingest", "host pid 7", 32});
  check(assignment_report{{1, 2}, {100, 200}, 32});
  check(cluster_resume{9, true, 4, {{1, 50}}, {1, 2}, someone, someone});
  check(cluster_barrier{5, 9});
  check(node_heartbeat{{1, 2}, 17, 1, 9});
  check(coordinator_request{"ingest-a"});
  check(store_link_event{someone, "lost"});
  node_row row{"ingest-a", "ingest", "host pid 7", {1, 2}, 17, 1, 1000, 900};
  check(row);
  check(cluster_view{9, true, 32, {3}, {row}, 2});
}

BOOST_AUTO_TEST_CASE(a_partial_fill_is_told_apart_from_a_full_one) {
  // The comparison the checks above rely on sees a single field.
  partition_barrier a;
  fill(a);
  auto b = a;
  b.epoch = 0;
  BOOST_CHECK(!(a == b));
}

BOOST_AUTO_TEST_SUITE_END()
