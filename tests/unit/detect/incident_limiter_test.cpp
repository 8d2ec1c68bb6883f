#define BOOST_TEST_MODULE incident_limiter
#include <boost/test/unit_test.hpp>

#include "actors/detect/incident_limiter.hpp"

using namespace vigil;

namespace {

constexpr int64_t minute = 60 * 1000;

scored_point point(bool anomalous, double score = 0.9) {
  scored_point p;
  p.score = anomalous ? score : 0.1;
  p.detector = anomalous ? detector_kind::spike : detector_kind::none;
  return p;
}

} // namespace

BOOST_AUTO_TEST_CASE(an_hour_of_flapping_anomaly_is_one_incident) {
  incident_limiter limiter; // 30 minutes clean period
  int opened = 0;
  int closed = 0;
  // Every 10 s for an hour, anomalous two samples out of three.
  int64_t t = 0;
  for (int i = 0; i < 360; ++i, t += 10'000)
    for (auto& e : limiter.observe(t, point(i % 3 != 2)))
      (e.what == incident_event::kind::opened ? opened : closed) += 1;
  BOOST_TEST(opened == 1);
  BOOST_TEST(closed == 0);
  // Clean for 29 minutes: still open; at 30 minutes it closes.
  auto last = t - 20'000;
  for (; t < last + 30 * minute; t += 10'000)
    BOOST_TEST(limiter.observe(t, point(false)).empty());
  auto events = limiter.observe(t, point(false));
  BOOST_REQUIRE(events.size() == 1u);
  BOOST_TEST((events[0].what == incident_event::kind::closed));
  BOOST_TEST(events[0].started_ms == 0);
  BOOST_TEST(events[0].last_anomalous_ms == last);
  BOOST_TEST(events[0].anomalous_samples == 240u);
  BOOST_TEST(limiter.incidents() == 1u);
}

BOOST_AUTO_TEST_CASE(an_anomaly_after_the_clean_period_closes_and_opens) {
  incident_limiter limiter(incident_config{10 * minute});
  limiter.observe(0, point(true));
  auto events = limiter.observe(11 * minute, point(true, 0.7));
  BOOST_REQUIRE(events.size() == 2u);
  BOOST_TEST((events[0].what == incident_event::kind::closed));
  BOOST_TEST((events[1].what == incident_event::kind::opened));
  BOOST_TEST(events[1].started_ms == 11 * minute);
  BOOST_TEST(limiter.incidents() == 2u);
}

BOOST_AUTO_TEST_CASE(the_peak_score_and_its_detector_are_kept) {
  incident_limiter limiter;
  limiter.observe(0, point(true, 0.6));
  auto big = point(true, 0.95);
  big.detector = detector_kind::level_shift;
  limiter.observe(minute, big);
  limiter.observe(2 * minute, point(true, 0.7));
  auto closed = limiter.finish(3 * minute);
  BOOST_REQUIRE(closed.has_value());
  BOOST_TEST(closed->peak_score == 0.95);
  BOOST_TEST((closed->detector == detector_kind::level_shift));
  BOOST_TEST(!limiter.finish(4 * minute).has_value());
}

BOOST_AUTO_TEST_CASE(normal_samples_open_nothing) {
  incident_limiter limiter;
  for (int i = 0; i < 100; ++i)
    BOOST_TEST(limiter.observe(i * minute, point(false)).empty());
  BOOST_TEST(!limiter.open());
}
