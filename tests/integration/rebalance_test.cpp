#define BOOST_TEST_MODULE rebalance
#include <boost/test/unit_test.hpp>

// Consumer-group membership churn against a real node: another member joins
// and leaves the node's group again and again while the node consumes a
// topic that keeps growing, every time revoking and assigning all of the
// node's partitions. No partition may stall, and a final drain from the same
// group and database must count every event exactly once.

#include <chrono>
#include <random>
#include <regex>
#include <string>
#include <thread>

#include "integration/node_fixture.hpp"

using namespace std::chrono_literals;
using namespace vigil;

namespace {

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t occurrences(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto pos = text.find(part); pos != std::string::npos;
       pos = text.find(part, pos + 1))
    ++n;
  return n;
}

struct fixture : test::node_fixture {
  double metric(const std::string& name) const {
    return test::metric_value(get("/metrics").body, name).value_or(-1);
  }

  std::string node_err() const {
    return test::read_file(dir.file("node.err"));
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(membership_churn_never_stalls_and_counts_once,
                        fixture) {
  // Slowed tasks and a credit of 2 keep every partition paused by
  // backpressure most of the time, with checkpoints (every 300 ms) almost
  // always aligning: the moments at which a rebalance used to leave a
  // partition paused for good.
  start(4, 0,
        {"--fault-task-delay-ms", "250", "--batch-size", "100", "--credit", "2",
         "--checkpoint-interval", "300ms", "--stall-timeout", "10s"});
  test::event_stream live{spec};
  std::mt19937_64 rng{20261204};
  std::uniform_int_distribution<int> pause_ms{0, 1500};
  // The embedded broker's coordinator sometimes completes a join without
  // revoking the node (it elects from the members it knows): more rounds
  // than the ten revocations required.
  const int rounds = 14;
  const double required_revocations = 10;
  for (int round = 0; round < rounds; ++round) {
    BOOST_TEST_CONTEXT("round " << round) {
      live.produce(6000);
      test::hold_for(std::chrono::milliseconds(pause_ms(rng)));
      bool joined = test::join_and_leave_group(spec.brokers, "events.dlq", [&] {
        test::hold_for(std::chrono::milliseconds(pause_ms(rng)));
      });
      BOOST_REQUIRE_MESSAGE(joined, "the other member never got its "
                                    "partition; status: "
                                        << get("/api/status").body
                                        << "\nnode stderr:\n"
                                        << node_err());
      // The node gets all of its partitions back (the coordinator waits up
      // to the session timeout for members to rejoin) and reads on.
      auto before = metric("vigil_events_consumed_total");
      bool moved = test::wait_until(30s, [&] {
        return metric("vigil_assigned_partitions") == 4.0
               && metric("vigil_events_consumed_total") > before;
      });
      BOOST_REQUIRE_MESSAGE(moved, "the node did not read on after the "
                                   "rebalance; partitions: "
                                       << get("/api/status").body
                                       << "\nnode stderr:\n"
                                       << node_err());
    }
  }
  auto err = node_err();
  BOOST_TEST(metric("vigil_rebalances_total") >= required_revocations);
  BOOST_TEST(metric("vigil_partition_stalls_total") == 0.0, err);
  BOOST_TEST(!contains(err, " stalled: "), err);
  // Some rebalances came while a checkpoint was aligning.
  BOOST_TEST(occurrences(err, "in flight, is abandoned") >= 1u, err);
  BOOST_TEST(contains(get("/api/status").body, "\"stalled_partitions\":0"));
  node->signal(SIGTERM);
  auto rc = node->wait(30s);
  BOOST_REQUIRE_MESSAGE(rc == 0, "exit " << rc << "; node stderr:\n"
                                         << node_err());
  // What the node had not read yet is read by a drain from the same group
  // and database: every event of the live topic counted exactly once.
  live.produce(2000);
  auto drain = test::run_process({test::vigil_binary(), "run", "--brokers",
                                  spec.brokers, "--topic", "events", "--db",
                                  dir.file("vigil.db"), "--http-port", "0",
                                  "--console-port", "0", "--drain"},
                                 300s);
  BOOST_REQUIRE_MESSAGE(drain.status == 0, "drain exit " << drain.status
                                                         << ":\n"
                                                         << drain.err);
  auto truth = live.truth();
  BOOST_TEST(truth.valid > 80000u);
  BOOST_TEST(test::compare_windows(truth, dir.file("vigil.db")) == 0u);
}
