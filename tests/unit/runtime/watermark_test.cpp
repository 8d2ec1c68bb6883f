#define BOOST_TEST_MODULE watermark
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <ostream>

#include "runtime/watermark.hpp"

namespace boost::test_tools::tt_detail {

/// Prints optional watermarks in failure messages.
template <>
struct print_log_value<std::optional<int64_t>> {
  void operator()(std::ostream& out, const std::optional<int64_t>& x) {
    if (x)
      out << *x;
    else
      out << "nullopt";
  }
};

} // namespace boost::test_tools::tt_detail

using std::chrono::milliseconds;
using std::chrono::steady_clock;
using vigil::watermark_tracker;

namespace {

constexpr int64_t bound = 5'000;

constexpr milliseconds idle_timeout{30'000};

steady_clock::time_point at(int64_t ms) {
  return steady_clock::time_point{} + milliseconds(ms);
}

struct fixture {
  watermark_tracker tracker{bound, idle_timeout};
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(watermark_tracker_tests, fixture)

BOOST_AUTO_TEST_CASE(no_partitions_have_no_watermark) {
  BOOST_TEST(tracker.partition_count() == 0u);
  BOOST_TEST(!tracker.combined(at(0)).has_value());
  BOOST_TEST(!tracker.partition_watermark(0).has_value());
}

BOOST_AUTO_TEST_CASE(single_partition_watermark_is_max_time_minus_bound) {
  tracker.add_partition(0);
  BOOST_TEST(!tracker.partition_watermark(0).has_value());
  tracker.observe(0, 100'000, at(1));
  BOOST_TEST(tracker.partition_watermark(0) == std::optional<int64_t>{95'000});
  BOOST_TEST(tracker.combined(at(1)) == std::optional<int64_t>{95'000});
  tracker.observe(0, 120'000, at(2));
  BOOST_TEST(tracker.combined(at(2)) == std::optional<int64_t>{115'000});
}

BOOST_AUTO_TEST_CASE(out_of_order_event_does_not_move_the_watermark_back) {
  tracker.add_partition(0);
  tracker.observe(0, 100'000, at(1));
  tracker.observe(0, 90'000, at(2));
  BOOST_TEST(tracker.partition_watermark(0) == std::optional<int64_t>{95'000});
  BOOST_TEST(tracker.combined(at(2)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(combined_watermark_is_minimum_over_partitions) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.add_partition(2);
  tracker.observe(0, 100'000, at(1));
  tracker.observe(1, 80'000, at(1));
  tracker.observe(2, 120'000, at(1));
  BOOST_TEST(tracker.combined(at(1)) == std::optional<int64_t>{75'000});
  tracker.observe(1, 150'000, at(2));
  BOOST_TEST(tracker.combined(at(2)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(partition_without_events_holds_the_watermark_back) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(1));
  BOOST_TEST(!tracker.combined(at(1)).has_value());
  // Even long after: it is not at the end of its log, so it is not idle.
  BOOST_TEST(!tracker.combined(at(1'000'000)).has_value());
  tracker.observe(1, 60'000, at(1'000'001));
  BOOST_TEST(tracker.combined(at(1'000'001)) == std::optional<int64_t>{55'000});
}

BOOST_AUTO_TEST_CASE(new_partition_without_events_freezes_the_watermark) {
  tracker.add_partition(0);
  tracker.observe(0, 100'000, at(1));
  BOOST_TEST(tracker.combined(at(1)) == std::optional<int64_t>{95'000});
  tracker.add_partition(1);
  tracker.observe(0, 200'000, at(2));
  // Held back, but never behind what was already emitted.
  BOOST_TEST(tracker.combined(at(2)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(idle_partition_stops_holding_back_after_the_timeout) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 50'000, at(0));
  tracker.at_end(1, at(1'000));
  BOOST_TEST(tracker.combined(at(1'000)) == std::optional<int64_t>{45'000});
  // Exactly at the timeout it still holds back; just past it, it is idle.
  BOOST_TEST(tracker.combined(at(31'000)) == std::optional<int64_t>{45'000});
  BOOST_TEST(tracker.combined(at(31'001)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(repeated_end_reports_do_not_restart_the_idle_clock) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 50'000, at(0));
  tracker.at_end(1, at(1'000));
  tracker.at_end(1, at(20'000));
  BOOST_TEST(tracker.combined(at(31'001)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(empty_idle_partition_does_not_hold_back_forever) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.at_end(1, at(0));
  BOOST_TEST(!tracker.combined(at(30'000)).has_value());
  BOOST_TEST(tracker.combined(at(30'001)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(idle_partition_holds_back_again_once_it_delivers) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 50'000, at(0));
  tracker.at_end(1, at(0));
  BOOST_TEST(tracker.combined(at(40'000)) == std::optional<int64_t>{95'000});
  // Partition 1 delivers again, far behind: the combined watermark stays
  // where it was instead of going backwards...
  tracker.observe(1, 60'000, at(41'000));
  tracker.observe(0, 200'000, at(41'000));
  BOOST_TEST(tracker.combined(at(41'000)) == std::optional<int64_t>{95'000});
  // ...and only moves on once partition 1 catches up: it holds back again.
  tracker.observe(1, 150'000, at(42'000));
  BOOST_TEST(tracker.combined(at(42'000)) == std::optional<int64_t>{145'000});
  // It is no longer idle, so time alone does not release it.
  BOOST_TEST(tracker.combined(at(500'000)) == std::optional<int64_t>{145'000});
}

BOOST_AUTO_TEST_CASE(finished_partitions_are_ignored) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.add_partition(2);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 20'000, at(0));
  BOOST_TEST(!tracker.combined(at(0)).has_value());
  tracker.finish(1);
  tracker.finish(2);
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{95'000});
  BOOST_TEST(!tracker.all_finished());
}

BOOST_AUTO_TEST_CASE(when_nothing_is_live_combined_is_the_max_seen) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 70'000, at(0));
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{65'000});
  tracker.finish(0);
  tracker.finish(1);
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{95'000});
  BOOST_TEST(tracker.all_finished());
}

BOOST_AUTO_TEST_CASE(finished_partitions_without_events_give_no_watermark) {
  tracker.add_partition(0);
  tracker.finish(0);
  BOOST_TEST(!tracker.combined(at(0)).has_value());
  BOOST_TEST(tracker.all_finished());
}

BOOST_AUTO_TEST_CASE(removed_partition_no_longer_holds_back) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  BOOST_TEST(!tracker.combined(at(0)).has_value());
  tracker.remove_partition(1);
  BOOST_TEST(tracker.partition_count() == 1u);
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{95'000});
  BOOST_TEST(!tracker.partition_watermark(1).has_value());
}

BOOST_AUTO_TEST_CASE(removing_the_slowest_partition_advances_the_watermark) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  tracker.observe(0, 100'000, at(0));
  tracker.observe(1, 40'000, at(0));
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{35'000});
  tracker.remove_partition(1);
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{95'000});
  // Re-adding it (a new assignment) without events holds back, but the
  // combined watermark never goes backwards.
  tracker.add_partition(1);
  BOOST_TEST(tracker.combined(at(0)) == std::optional<int64_t>{95'000});
}

BOOST_AUTO_TEST_CASE(add_partition_twice_keeps_its_state) {
  tracker.add_partition(3);
  tracker.observe(3, 10'000, at(0));
  tracker.add_partition(3);
  BOOST_TEST(tracker.partition_count() == 1u);
  BOOST_TEST(tracker.partition_watermark(3) == std::optional<int64_t>{5'000});
}

BOOST_AUTO_TEST_CASE(reports_from_unknown_partitions_register_them) {
  tracker.observe(4, 10'000, at(0));
  tracker.at_end(5, at(0));
  tracker.finish(6);
  BOOST_TEST(tracker.partition_count() == 3u);
  BOOST_TEST(tracker.partition_watermark(4) == std::optional<int64_t>{5'000});
}

BOOST_AUTO_TEST_CASE(all_finished_requires_every_partition_to_finish) {
  tracker.add_partition(0);
  tracker.add_partition(1);
  BOOST_TEST(!tracker.all_finished());
  tracker.finish(0);
  BOOST_TEST(!tracker.all_finished());
  tracker.at_end(1, at(0));
  BOOST_TEST(!tracker.all_finished());
  tracker.finish(1);
  BOOST_TEST(tracker.all_finished());
  tracker.remove_partition(1);
  BOOST_TEST(tracker.all_finished());
}

BOOST_AUTO_TEST_CASE(all_finished_is_vacuously_true_without_partitions) {
  BOOST_TEST(tracker.all_finished());
}

BOOST_AUTO_TEST_CASE(watermark_near_the_time_limit_saturates) {
  tracker.observe(0, std::numeric_limits<int64_t>::min() + 1, at(0));
  BOOST_TEST(tracker.partition_watermark(0)
             == std::optional<int64_t>{std::numeric_limits<int64_t>::min()});
}

BOOST_AUTO_TEST_SUITE_END()
