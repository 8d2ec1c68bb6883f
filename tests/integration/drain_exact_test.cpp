#define BOOST_TEST_MODULE drain_exact
#include <boost/test/unit_test.hpp>

#include <set>
#include <string>

#include <sqlite3.h>

#include "runtime/db_reader.hpp"
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

namespace {

/// Services with an error-rate anomaly in the SQLite file `db`.
std::set<std::string> error_rate_anomalies(const std::string& db) {
  std::set<std::string> out;
  auto rows = db_query(db, "SELECT DISTINCT service FROM anomalies WHERE "
                           "metric = 'error_rate'");
  BOOST_REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
  for (size_t r = 0; r < rows->size(); ++r)
    out.insert(rows->text(r, 0));
  return out;
}

} // namespace

BOOST_AUTO_TEST_CASE(
    a_restarted_node_rebuilds_the_detector_history_from_its_windows) {
  // Two drains of one growing topic. The first stops at 195 s of event
  // time, the second reads on to 250 s; the stream's errors incident on
  // payments runs from 200 to 240 s. In the second run it comes before the
  // minimum history (12 windows): only the stored windows the detector
  // replays at start let it page.
  test::temp_dir dir;
  broker_options bo;
  bo.topics.push_back({"events", 48});
  bo.topics.push_back({"events.dlq", 1});
  auto started = embedded_broker::start(bo);
  BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error()));
  test::produce_spec spec;
  spec.brokers = started->bootstrap();
  spec.topic = "events";
  spec.partitions = 48;
  spec.seed = 20261206;
  test::event_stream live{spec};
  live.produce(390'000); // 2,000 events per second of event time
  auto db = dir.file("vigil.db");
  auto drain = [&](const std::string& file, const std::string& group) {
    auto result = test::run_process({test::vigil_binary(), "run", "--drain",
                                     "--http-port", "0", "--console-port", "0",
                                     "--brokers", spec.brokers, "--topic",
                                     "events", "--group", group, "--db", file},
                                    std::chrono::minutes(5));
    BOOST_TEST_MESSAGE("vigil run --drain: " << result.out << result.err);
    BOOST_REQUIRE_EQUAL(result.status, 0);
    return result;
  };
  auto first = drain(db, "history-1");
  BOOST_TEST(error_rate_anomalies(db).empty());
  // The control: the same checkpoint without the windows before it.
  auto bare = dir.file("bare.db");
  {
    sqlite3* h = nullptr;
    BOOST_REQUIRE_EQUAL(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    auto copy = "VACUUM INTO '" + bare + "'";
    BOOST_CHECK_EQUAL(sqlite3_exec(h, copy.c_str(), nullptr, nullptr, nullptr),
                      SQLITE_OK);
    sqlite3_close(h);
    BOOST_REQUIRE_EQUAL(sqlite3_open(bare.c_str(), &h), SQLITE_OK);
    BOOST_CHECK_EQUAL(sqlite3_exec(h, "DELETE FROM service_metrics", nullptr,
                                   nullptr, nullptr),
                      SQLITE_OK);
    sqlite3_close(h);
  }
  live.produce(110'000);
  auto second = drain(db, "history-2");
  BOOST_TEST(second.err.find("stored windows read to rebuild the history of 8 "
                             "services")
                 != std::string::npos,
             second.err);
  BOOST_TEST(error_rate_anomalies(db) == std::set<std::string>{"payments"});
  auto control = drain(bare, "history-3");
  BOOST_TEST(control.err.find("stored windows read") == std::string::npos);
  BOOST_TEST(error_rate_anomalies(bare).empty());
}
