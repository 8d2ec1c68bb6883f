#define BOOST_TEST_MODULE partition_flow
#include <boost/test/unit_test.hpp>

#include <ostream>
#include <string>
#include <vector>

#include "runtime/partition_flow.hpp"

namespace vigil {

std::ostream& operator<<(std::ostream& out, flow_state state) {
  return out << to_string(state);
}

} // namespace vigil

using vigil::flow_state;
using vigil::partition_flow;

namespace {

/// The calls of one reconcile, as "p+" (pause) and "p-" (resume).
std::vector<std::string> calls(partition_flow& flow) {
  std::vector<std::string> out;
  for (const auto& c : flow.reconcile())
    out.push_back(std::to_string(c.partition) + (c.pause ? "+" : "-"));
  return out;
}

using strings = std::vector<std::string>;

} // namespace

BOOST_AUTO_TEST_CASE(an_assigned_partition_is_resumed_explicitly) {
  // The consumer may still hold a pause from before a revocation: the
  // first reconcile after an assignment always says what it wants.
  partition_flow flow{4};
  flow.assign(0);
  flow.assign(1);
  BOOST_TEST(calls(flow) == (strings{"0-", "1-"}));
  BOOST_TEST(calls(flow).empty());
}

BOOST_AUTO_TEST_CASE(a_partition_paused_at_its_revocation_reads_again) {
  // The stall after a rebalance: backpressure paused the partition, the
  // group revoked and assigned it again, and nothing resumed it.
  partition_flow flow{2};
  flow.assign(3);
  calls(flow);
  flow.sent(3);
  BOOST_TEST(flow.sent(3)); // credit exhausted
  BOOST_TEST(calls(flow) == strings{"3+"});
  flow.revoke(3);
  flow.assign(3);
  BOOST_TEST(flow.in_flight(3) == 0u);
  BOOST_TEST(flow.state(3) == flow_state::reading);
  BOOST_TEST(calls(flow) == strings{"3-"});
}

BOOST_AUTO_TEST_CASE(backpressure_pauses_at_the_credit_and_resumes_at_half) {
  partition_flow flow{4};
  flow.assign(0);
  calls(flow);
  BOOST_TEST(!flow.sent(0));
  BOOST_TEST(!flow.sent(0));
  BOOST_TEST(!flow.sent(0));
  BOOST_TEST(flow.sent(0));
  BOOST_TEST(!flow.sent(0)); // the same episode
  BOOST_TEST(flow.state(0) == flow_state::backpressure);
  BOOST_TEST(calls(flow) == strings{"0+"});
  flow.acked(0);
  flow.acked(0);
  BOOST_TEST(flow.in_flight(0) == 3u);
  BOOST_TEST(calls(flow).empty());
  flow.acked(0);
  BOOST_TEST(flow.state(0) == flow_state::reading);
  BOOST_TEST(calls(flow) == strings{"0-"});
}

BOOST_AUTO_TEST_CASE(the_hold_and_backpressure_never_undo_each_other) {
  partition_flow flow{2};
  flow.assign(0);
  flow.assign(1);
  calls(flow);
  flow.sent(0);
  flow.sent(0); // 0 under backpressure
  flow.hold(true);
  BOOST_TEST(calls(flow) == (strings{"0+", "1+"}));
  // Acknowledgements during the hold do not resume anything.
  flow.acked(0);
  flow.acked(0);
  BOOST_TEST(calls(flow).empty());
  BOOST_TEST(flow.state(0) == flow_state::held);
  // Backpressure during the hold: releasing the hold keeps it paused.
  flow.sent(1);
  flow.sent(1);
  flow.hold(false);
  BOOST_TEST(calls(flow) == strings{"0-"});
  BOOST_TEST(flow.state(1) == flow_state::backpressure);
  flow.acked(1);
  BOOST_TEST(calls(flow) == strings{"1-"});
}

BOOST_AUTO_TEST_CASE(a_partition_assigned_during_the_hold_is_held) {
  partition_flow flow{2};
  flow.hold(true);
  flow.assign(5);
  BOOST_TEST(calls(flow) == strings{"5+"});
  BOOST_TEST(flow.count(flow_state::held) == 1u);
}

BOOST_AUTO_TEST_CASE(a_finished_partition_stays_paused) {
  partition_flow flow{2};
  flow.assign(0);
  calls(flow);
  flow.finish(0);
  BOOST_TEST(calls(flow) == strings{"0+"});
  flow.hold(true);
  flow.hold(false);
  flow.acked(0);
  BOOST_TEST(calls(flow).empty());
  BOOST_TEST(flow.state(0) == flow_state::finished);
}

BOOST_AUTO_TEST_CASE(unknown_partitions_are_ignored) {
  partition_flow flow{2};
  BOOST_TEST(!flow.sent(9));
  flow.acked(9);
  flow.finish(9);
  BOOST_TEST(flow.size() == 0u);
  BOOST_TEST(calls(flow).empty());
}

BOOST_AUTO_TEST_CASE(one_acknowledgement_can_return_several_batches) {
  partition_flow flow{8};
  flow.assign(0);
  calls(flow);
  for (int i = 0; i < 8; ++i)
    flow.sent(0);
  BOOST_TEST(flow.state(0) == flow_state::backpressure);
  // A store acknowledges the 3 batches an ingest node combined at once.
  flow.acked(0, 3);
  BOOST_TEST(flow.in_flight(0) == 5u);
  BOOST_TEST(flow.state(0) == flow_state::backpressure);
  flow.acked(0, 2);
  BOOST_TEST(flow.in_flight(0) == 3u);
  BOOST_TEST(flow.state(0) == flow_state::reading);
  // More than in flight (a stale count) never goes below zero.
  flow.acked(0, 9);
  BOOST_TEST(flow.in_flight(0) == 0u);
}

BOOST_AUTO_TEST_CASE(the_peak_counts_every_partition_and_survives_revocation) {
  partition_flow flow{2};
  flow.assign(0);
  flow.assign(1);
  calls(flow);
  flow.sent(0);
  flow.sent(0);
  flow.sent(1);
  BOOST_TEST(flow.total_in_flight() == 3u);
  BOOST_TEST(flow.peak_in_flight() == 3u);
  flow.acked(0, 2);
  BOOST_TEST(flow.total_in_flight() == 1u);
  // A revoked partition's batches no longer count (their acknowledgements
  // are dropped by epoch), nor do they when it is assigned again.
  flow.sent(1);
  flow.revoke(1);
  BOOST_TEST(flow.total_in_flight() == 0u);
  flow.sent(0);
  flow.assign(0);
  BOOST_TEST(flow.total_in_flight() == 0u);
  // Sends beyond the credit (the partial batch a poll round ends with)
  // are counted: the peak is what was really in flight.
  for (int i = 0; i < 5; ++i)
    flow.sent(0);
  BOOST_TEST(flow.total_in_flight() == 5u);
  BOOST_TEST(flow.peak_in_flight() == 5u);
  flow.acked(0, 9);
  BOOST_TEST(flow.total_in_flight() == 0u);
  BOOST_TEST(flow.peak_in_flight() == 5u);
}
