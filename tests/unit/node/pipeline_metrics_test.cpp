#define BOOST_TEST_MODULE pipeline_metrics
#include <boost/test/unit_test.hpp>

#include <memory>

#include "actors/ingest/request_event.hpp"
#include "actors/node/metrics.hpp"
#include "actors/node/node_http.hpp"

using namespace vigil;

namespace {

struct fixture {
  std::shared_ptr<metric_factory> metrics
      = std::make_shared<metric_factory>(node_label_sets());
  pipeline_metrics pipeline{metrics};

  static pipeline_stats stats(uint64_t events, uint64_t too_late = 0) {
    pipeline_stats st;
    st.events = events;
    st.invalid.assign(invalid_reason_count, 0);
    st.invalid[static_cast<size_t>(invalid_reason::too_late)] = too_late;
    return st;
  }

  double consumed() const {
    return metrics->events_consumed().Value();
  }
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(pipeline_metrics_suite, fixture)

BOOST_AUTO_TEST_CASE(counters_advance_by_the_growth_between_polls) {
  pipeline.update(stats(100), 0);
  pipeline.update(stats(250), 0);
  BOOST_CHECK_EQUAL(consumed(), 250.0);
}

BOOST_AUTO_TEST_CASE(a_rollback_and_replay_counts_each_event_once) {
  pipeline.update(stats(1000), 0);
  // The merger rolled back to a checkpoint at 600 and replays from there.
  pipeline.update(stats(600), 0);
  pipeline.update(stats(900), 0);
  BOOST_CHECK_EQUAL(consumed(), 1000.0);
  pipeline.update(stats(1200), 0);
  BOOST_CHECK_EQUAL(consumed(), 1200.0);
}

BOOST_AUTO_TEST_CASE(too_late_events_count_as_invalid_and_too_late) {
  pipeline.update(stats(0, 7), 0);
  BOOST_CHECK_EQUAL(metrics->events_too_late().Value(), 7.0);
  BOOST_CHECK_EQUAL(metrics->events_invalid("too_late").Value(), 7.0);
  BOOST_CHECK_EQUAL(metrics->events_invalid("other").Value(), 0.0);
}

BOOST_AUTO_TEST_CASE(watermark_delay_is_wall_clock_minus_watermark) {
  auto st = stats(1);
  st.watermark = 10'000;
  pipeline.update(st, 12'500);
  BOOST_CHECK_EQUAL(metrics->watermark_delay().Value(), 2.5);
}

BOOST_AUTO_TEST_CASE(every_invalid_reason_and_node_actor_is_a_label_value) {
  auto labels = node_label_sets();
  BOOST_CHECK_EQUAL(labels.invalid_reasons.size(), invalid_reason_count - 1);
  const std::vector<std::string> supervised{"db_writer", "narrator", "detector",
                                            "merger",    "dlq",      "source"};
  BOOST_CHECK_EQUAL_COLLECTIONS(labels.actors.begin(), labels.actors.end(),
                                supervised.begin(), supervised.end());
  auto text = metrics->serialize();
  BOOST_CHECK(text.find("reason=\"bad_timestamp\"") != std::string::npos);
  for (const auto& actor : supervised)
    BOOST_CHECK(text.find("actor=\"" + actor + "\"") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
