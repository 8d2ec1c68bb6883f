#define BOOST_TEST_MODULE detector_actor
#include <boost/test/unit_test.hpp>

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/detect/detector_actor.hpp"
#include "support/caf_fixture.hpp"

using namespace vigil;

namespace {

constexpr int64_t window_ms = 10000;

/// A steady window: 1000 requests, 1 % errors, p95 of 200 ms +- 1 %.
window_row steady(const std::string& service, int64_t index) {
  window_row row;
  row.service = service;
  row.window_start = index * window_ms;
  row.window_end = row.window_start + window_ms;
  row.request_count = 1000 + (index % 3);
  row.error_count = 10 + (index % 2);
  row.p95_latency_ms = 200 + (index % 5) * 0.5;
  return row;
}

result_batch batch_of(int64_t first, int64_t last) {
  result_batch batch;
  for (auto i = first; i < last; ++i) {
    batch.rows.push_back(steady("api", i));
    batch.rows.push_back(steady("db", i));
  }
  return batch;
}

struct fixture : test::caf_fixture {
  fixture() {
    received = std::make_shared<std::vector<result_batch>>();
    // Arguments instead of captures: CAF 0.17 dereferences a null argument
    // tuple when spawning a function without arguments (UBSan reports it).
    writer = sys.spawn(
        [](caf::event_based_actor*,
           std::shared_ptr<std::vector<result_batch>> rec) {
          return caf::behavior{
              [rec](result_batch& x) { rec->push_back(std::move(x)); },
              [rec](atom::flush) { return static_cast<uint64_t>(rec->size()); },
          };
        },
        received);
  }

  ~fixture() {
    caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    for (auto& hdl : detectors)
      caf::anon_send_exit(hdl, caf::exit_reason::user_shutdown);
    run();
  }

  caf::actor spawn(std::string state = {}, std::vector<window_row> stored = {},
                   std::string detector = combined_detector::name) {
    detector_actor_config cfg;
    cfg.detector = std::move(detector);
    cfg.restore_state = std::move(state);
    if (!stored.empty())
      cfg.stored_windows = [stored](size_t, std::string&) { return stored; };
    cfg.downstream = writer;
    cfg.now_ms = [] { return int64_t{4242}; };
    cfg.log = [this](const std::string& line) { logs.push_back(line); };
    auto hdl = spawn_detector_actor(sys, std::move(cfg));
    detectors.push_back(hdl);
    run();
    return hdl;
  }

  detector_actor_state& state(const caf::actor& hdl) {
    auto* ptr = caf::actor_cast<caf::abstract_actor*>(hdl);
    return dynamic_cast<detector_actor&>(*ptr).state;
  }

  std::shared_ptr<std::vector<result_batch>> received;
  std::vector<std::string> logs;
  caf::actor writer;
  std::vector<caf::actor> detectors;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(detector_actor_tests, fixture)

BOOST_AUTO_TEST_CASE(batches_are_forwarded_with_their_anomalies) {
  auto det = spawn();
  caf::anon_send(det, batch_of(0, 50));
  run();
  BOOST_REQUIRE(received->size() == 1u);
  BOOST_TEST(received->front().rows.size() == 100u);
  BOOST_TEST(received->front().anomalies.empty());
  auto spike = batch_of(50, 51);
  spike.rows[0].error_count = 400;
  caf::anon_send(det, spike);
  run();
  BOOST_REQUIRE(received->size() == 2u);
  const auto& anomalies = received->back().anomalies;
  BOOST_REQUIRE(anomalies.size() == 1u);
  BOOST_TEST(anomalies[0].service == "api");
  BOOST_TEST(anomalies[0].window_start == 50 * window_ms);
  BOOST_TEST(anomalies[0].metric == "error_rate");
  BOOST_TEST(anomalies[0].detected_at == 4242);
  BOOST_TEST(received->back().detector_state.empty());
  BOOST_TEST(state(det).anomalies() == 1u);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_batch_carries_the_detector_state) {
  auto det = spawn();
  auto batch = batch_of(0, 30);
  batch.checkpoint = 4;
  batch.merger_state = "m";
  batch.offsets = {{0, 10}};
  caf::anon_send(det, batch);
  run();
  BOOST_REQUIRE(received->size() == 1u);
  const auto& got = received->front();
  BOOST_TEST(got.checkpoint == 4u);
  BOOST_TEST(got.merger_state == "m");
  BOOST_REQUIRE(got.offsets.size() == 1u);
  BOOST_TEST(got.detector_state == state(det).detector().snapshot());
  BOOST_TEST(state(det).detector().services() == 2u);
}

BOOST_AUTO_TEST_CASE(a_restored_detector_continues_where_the_checkpoint_was) {
  for (const char* detector :
       {combined_detector::name, service_detector::name}) {
    BOOST_TEST_CONTEXT(detector) {
      received->clear();
      auto first = spawn({}, {}, detector);
      auto batch = batch_of(0, 30);
      batch.checkpoint = 1;
      caf::anon_send(first, batch);
      run();
      BOOST_REQUIRE(received->size() == 1u);
      // The combined detector rebuilds its history from the stored windows
      // (the database holds windows 0..31: two more than the checkpoint,
      // which it must not learn twice); the EWMA one from its snapshot.
      auto second = spawn(received->front().detector_state,
                          batch_of(0, 32).rows, detector);
      BOOST_TEST(state(second).restored());
      BOOST_TEST(state(second).detector().snapshot()
                 == received->front().detector_state);
      // Replayed windows are not scored twice; new ones are scored at once
      // (no second warm-up).
      auto replay = batch_of(29, 31);
      replay.rows[0].error_count = 500;
      replay.rows[2].error_count = 500;
      caf::anon_send(second, replay);
      run();
      BOOST_REQUIRE(received->size() == 2u);
      const auto& anomalies = received->back().anomalies;
      BOOST_REQUIRE(anomalies.size() == 1u);
      BOOST_TEST(anomalies[0].window_start == 30 * window_ms);
      BOOST_TEST(anomalies[0].detector
                 == (detector == service_detector::name ? "ewma" : "spike"));
    }
  }
}

BOOST_AUTO_TEST_CASE(
    without_stored_windows_a_restored_combined_detector_waits_for_history) {
  auto first = spawn();
  auto batch = batch_of(0, 30);
  batch.checkpoint = 1;
  caf::anon_send(first, batch);
  run();
  detector_actor_config cfg;
  cfg.restore_state = received->front().detector_state;
  cfg.downstream = writer;
  cfg.log = [this](const std::string& line) { logs.push_back(line); };
  cfg.stored_windows = [](size_t, std::string& error) {
    error = "database is locked";
    return std::vector<window_row>{};
  };
  auto second = spawn_detector_actor(sys, std::move(cfg));
  detectors.push_back(second);
  run();
  BOOST_REQUIRE(logs.size() == 1u);
  BOOST_TEST(logs[0].find("database is locked") != std::string::npos);
  auto spike = batch_of(30, 31);
  spike.rows[0].error_count = 500;
  caf::anon_send(second, spike);
  run();
  // No history: nothing reported before the minimum history, and the
  // windows the checkpoint covered are still not scored again.
  BOOST_TEST(received->back().anomalies.empty());
}

BOOST_AUTO_TEST_CASE(a_malformed_state_starts_fresh_and_says_so) {
  auto det = spawn("{broken");
  BOOST_TEST(!state(det).restored());
  BOOST_REQUIRE(logs.size() == 1u);
  BOOST_TEST(logs[0].find("malformed") != std::string::npos);
  BOOST_TEST(state(det).detector().services() == 0u);
}

BOOST_AUTO_TEST_CASE(flush_is_delegated_to_the_writer_behind_the_batches) {
  auto det = spawn();
  caf::anon_send(det, batch_of(0, 2));
  auto replies = std::make_shared<std::vector<uint64_t>>();
  sys.spawn(
      [replies](caf::event_based_actor* self, caf::actor dst) {
        self->request(dst, caf::infinite, atom::flush::value)
            .then([replies](uint64_t n) { replies->push_back(n); });
      },
      det);
  run();
  // The writer saw the batch before the flush.
  BOOST_TEST(*replies == std::vector<uint64_t>{1});
}

BOOST_AUTO_TEST_SUITE_END()
