#define BOOST_TEST_MODULE merger_actor
#include <boost/test/unit_test.hpp>

#include <memory>
#include <vector>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "actors/aggregate/window_merger_actor.hpp"
#include "support/caf_fixture.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

struct fixture : test::caf_fixture {
  std::shared_ptr<std::vector<result_batch>> results
      = std::make_shared<std::vector<result_batch>>();
  std::shared_ptr<std::vector<int32_t>> acks
      = std::make_shared<std::vector<int32_t>>();
  caf::actor detector;
  caf::actor merger;
  caf::actor source;

  fixture() {
    auto log = results;
    // Function actors get one argument: CAF 0.17.6 trips UBSan when a
    // function actor is spawned without any.
    detector = sys.spawn(
        [log](caf::event_based_actor*, int) -> caf::behavior {
          return {[log](result_batch& b) { log->push_back(std::move(b)); }};
        },
        0);
    window_merger_actor_config ms;
    ms.windows.window_ms = 10'000;
    ms.windows.bound_ms = 0;
    ms.windows.lateness_ms = 0;
    ms.emit_interval = 1s;
    ms.now = [] { return std::chrono::steady_clock::time_point{}; };
    ms.wall_ms = [] { return int64_t{1}; };
    merger = spawn_window_merger_actor(sys, ms, detector);
    auto ack_log = acks;
    auto target = merger;
    source = sys.spawn(
        [ack_log, target](caf::event_based_actor* self, int) -> caf::behavior {
          self->send(target, atom::assign_v, int32_t{0});
          self->send(target, atom::assign_v, int32_t{1});
          return {[ack_log](atom::ack, int32_t p, uint64_t, uint32_t batches) {
            for (uint32_t i = 0; i < batches; ++i)
              ack_log->push_back(p);
          }};
        },
        0);
    run();
  }

  ~fixture() {
    caf::anon_send_exit(merger, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(detector, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(source, caf::exit_reason::user_shutdown);
    run();
  }

  static partial_batch events(int32_t partition, int64_t t, uint64_t n,
                              int64_t next_offset) {
    partial_batch b;
    b.partition = partition;
    b.next_offset = next_offset;
    b.max_event_time = t;
    window_partial p;
    p.key = "api";
    p.window_start = t / 10'000 * 10'000;
    p.aggregate = window_aggregate::with_measures(1);
    double latency = 5;
    for (uint64_t i = 0; i < n; ++i)
      p.aggregate.add(false, &latency);
    b.partials.push_back(std::move(p));
    b.counters.events = n;
    return b;
  }

  /// Requests the merger's stats synchronously (test coordinator).
  pipeline_stats stats() {
    pipeline_stats out;
    auto probe = sys.spawn(
        [&out, m = merger](caf::event_based_actor* self, int) {
          self->request(m, caf::infinite, atom::stats_v)
              .then([&out](pipeline_stats& s) { out = s; });
        },
        0);
    run();
    return out;
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(merger_actor_tests, fixture)

BOOST_AUTO_TEST_CASE(
    partials_behind_a_barrier_wait_until_the_checkpoint_closes) {
  caf::anon_send(merger, checkpoint_begin{1, {0, 1}});
  caf::anon_send(merger, events(0, 1'000, 2, 10));
  caf::anon_send(merger, partition_barrier{1, 0, 10});
  // Partition 0 is past its barrier: this batch belongs to checkpoint 2.
  caf::anon_send(merger, events(0, 2'000, 5, 15));
  caf::anon_send(merger, events(1, 3'000, 3, 7));
  run();
  BOOST_CHECK(results->empty());
  BOOST_CHECK_EQUAL(stats().events, 5u);
  caf::anon_send(merger, partition_barrier{1, 1, 7});
  run();
  BOOST_REQUIRE_EQUAL(results->size(), 1u);
  const auto& ck = results->at(0);
  BOOST_CHECK_EQUAL(ck.checkpoint, 1u);
  BOOST_REQUIRE_EQUAL(ck.offsets.size(), 2u);
  BOOST_CHECK_EQUAL(ck.offsets[0].next_offset + ck.offsets[1].next_offset, 17);
  // The snapshot holds the 5 events before the barriers, not the held 5.
  window_merger restored{window_merger_config{}};
  BOOST_REQUIRE(restored.restore(ck.merger_state));
  BOOST_CHECK_EQUAL(restored.counters().events, 5u);
  // After the checkpoint the held batch is applied and acknowledged.
  BOOST_CHECK_EQUAL(stats().events, 10u);
  BOOST_CHECK_EQUAL(acks->size(), 3u);
}

BOOST_AUTO_TEST_CASE(
    finished_partitions_close_a_final_checkpoint_with_every_window) {
  caf::anon_send(merger, events(0, 1'000, 2, 10));
  caf::anon_send(merger, events(1, 25'000, 3, 4));
  caf::anon_send(merger, partition_end{0, 10, true});
  run();
  BOOST_CHECK(results->empty());
  caf::anon_send(merger, partition_end{1, 4, true});
  run();
  BOOST_REQUIRE_EQUAL(results->size(), 1u);
  const auto& fin = results->at(0);
  BOOST_CHECK_EQUAL(fin.checkpoint, 1u);
  BOOST_REQUIRE_EQUAL(fin.rows.size(), 2u);
  for (const auto& row : fin.rows)
    BOOST_CHECK(row.final);
  BOOST_CHECK_EQUAL(fin.rows[0].request_count, 2);
  BOOST_CHECK_EQUAL(fin.rows[1].request_count, 3);
  BOOST_REQUIRE_EQUAL(fin.offsets.size(), 2u);
  BOOST_CHECK_EQUAL(fin.offsets[0].next_offset, 10);
  BOOST_CHECK_EQUAL(fin.offsets[1].next_offset, 4);
}

BOOST_AUTO_TEST_CASE(closed_windows_are_emitted_on_the_emit_interval) {
  caf::anon_send(merger, events(0, 1'000, 2, 10));
  caf::anon_send(merger, events(1, 12'000, 1, 3));
  caf::anon_send(merger, events(0, 12'500, 1, 11));
  run();
  BOOST_CHECK(results->empty());
  advance(1s);
  BOOST_REQUIRE_EQUAL(results->size(), 1u);
  BOOST_REQUIRE_EQUAL(results->at(0).rows.size(), 1u);
  BOOST_CHECK_EQUAL(results->at(0).rows[0].window_start, 0);
  BOOST_CHECK_EQUAL(results->at(0).checkpoint, 0u);
}

BOOST_AUTO_TEST_CASE(a_rollback_returns_to_the_checkpoint_state) {
  caf::anon_send(merger, events(0, 1'000, 2, 10));
  caf::anon_send(merger, checkpoint_begin{1, {0, 1}});
  caf::anon_send(merger, partition_barrier{1, 0, 10});
  caf::anon_send(merger, partition_barrier{1, 1, 0});
  run();
  BOOST_REQUIRE_EQUAL(results->size(), 1u);
  auto state = results->at(0).merger_state;
  // Applied after the checkpoint, then lost with a crashed source: the
  // source replays them from offset 10 after rolling the merger back.
  caf::anon_send(merger, events(0, 2'000, 7, 17));
  run();
  BOOST_CHECK_EQUAL(stats().events, 9u);
  caf::anon_send(merger, atom::rollback_v, state, uint64_t{1}, uint64_t{0});
  run();
  auto s = stats();
  BOOST_CHECK_EQUAL(s.events, 2u);
  BOOST_CHECK_EQUAL(s.last_checkpoint, 1u);
  caf::anon_send(merger, events(0, 2'000, 7, 17));
  run();
  BOOST_CHECK_EQUAL(stats().events, 9u);
}

BOOST_AUTO_TEST_CASE(a_revoked_partition_abandons_the_checkpoint_aligning) {
  caf::anon_send(merger, checkpoint_begin{1, {0, 1}});
  caf::anon_send(merger, partition_barrier{1, 0, 10});
  // Behind partition 0's barrier: held while the checkpoint aligns.
  caf::anon_send(merger, events(0, 2'000, 5, 15));
  run();
  BOOST_CHECK_EQUAL(stats().events, 0u);
  // Partition 1 is revoked before its barrier arrives: the checkpoint can
  // never align, so it is dropped and the held batch applied.
  caf::anon_send(merger, atom::revoke_v, int32_t{1});
  run();
  BOOST_CHECK(results->empty());
  BOOST_CHECK_EQUAL(stats().events, 5u);
  // A late barrier of the abandoned checkpoint completes nothing.
  caf::anon_send(merger, partition_barrier{1, 1, 0});
  run();
  BOOST_CHECK(results->empty());
  // The next checkpoint aligns over the partitions still assigned.
  caf::anon_send(merger, checkpoint_begin{2, {0}});
  caf::anon_send(merger, partition_barrier{2, 0, 15});
  run();
  BOOST_REQUIRE_EQUAL(results->size(), 1u);
  BOOST_CHECK_EQUAL(results->at(0).checkpoint, 2u);
  BOOST_REQUIRE_EQUAL(results->at(0).offsets.size(), 1u);
  BOOST_CHECK_EQUAL(results->at(0).offsets[0].next_offset, 15);
}

BOOST_AUTO_TEST_CASE(a_rollback_under_a_new_epoch_drops_the_old_epochs_input) {
  caf::anon_send(merger, events(0, 1'000, 2, 10));
  run();
  BOOST_CHECK_EQUAL(stats().events, 2u);
  // A rebalance: the source resumes from "no checkpoint" under epoch 7.
  caf::anon_send(merger, atom::rollback_v, std::string{}, uint64_t{0},
                 uint64_t{7});
  run();
  BOOST_CHECK_EQUAL(stats().events, 0u);
  // A batch of a task from before the rebalance, still in flight: dropped.
  auto old = events(0, 1'000, 2, 10);
  caf::anon_send(merger, old);
  auto replayed = events(0, 1'000, 2, 10);
  replayed.epoch = 7;
  caf::anon_send(merger, replayed);
  run();
  BOOST_CHECK_EQUAL(stats().events, 2u);
}

BOOST_AUTO_TEST_SUITE_END()
