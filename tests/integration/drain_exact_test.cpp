#define BOOST_TEST_MODULE drain_exact
#include <boost/test/unit_test.hpp>

#include <string>

#include "runtime/embedded_broker.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;

BOOST_AUTO_TEST_CASE(drain_of_200k_events_over_16_partitions_is_exact) {
  test::temp_dir dir;
  test::produced_topic topic;
  test::produce_topic(topic, 16, 200'000, 20261124, 997);
  const auto& spec = topic.spec;
  const auto& truth = topic.truth;

  auto db = dir.file("vigil.db");
  auto result = test::run_process(
      {test::vigil_binary(), "run", "--drain", "--http-port", "0", "--brokers",
       spec.brokers, "--topic", "events", "--group", "drain-test", "--db", db},
      std::chrono::minutes(5));
  BOOST_TEST_MESSAGE("vigil run --drain: " << result.out << result.err);
  BOOST_REQUIRE_EQUAL(result.status, 0);
  BOOST_CHECK(
      result.out.find("drained: events=" + std::to_string(truth.valid) + " ")
      != std::string::npos);
  BOOST_CHECK(result.out.find(
                  "invalid=" + std::to_string(truth.dead_letters.size()) + " ")
              != std::string::npos);
  BOOST_CHECK(result.out.find("reorderings=0 ") != std::string::npos);

  // Every window, exactly; no window missing or extra.
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);

  // Every rejected event is on the dead-letter topic with its reason.
  auto dlq = test::read_dead_letters(spec.brokers, "events.dlq",
                                     truth.dead_letters.size());
  BOOST_CHECK_EQUAL(dlq.size(), truth.dead_letters.size());
  BOOST_CHECK(dlq == truth.dead_letters);
}
