#define BOOST_TEST_MODULE narrator_actor
#include <boost/test/unit_test.hpp>

// The narrator actor between a detector's output and a real database writer
// on a SQLite file, on the deterministic test coordinator.

#include <memory>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include "actors/detect/narrator_actor.hpp"
#include "actors/sink/db_writer.hpp"
#include "actors/sink/store.hpp"
#include "support/caf_fixture.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

constexpr int64_t window_ms = 10000;

/// Windows [first, last) of "api" and "payments"; payments fails from
/// window 3 to 8, api in window 6 only.
result_batch windows(int64_t first, int64_t last) {
  result_batch batch;
  for (auto i = first; i < last; ++i) {
    for (const auto* service : {"api", "payments"}) {
      window_row row;
      row.service = service;
      row.window_start = i * window_ms;
      row.window_end = row.window_start + window_ms;
      row.request_count = 1000;
      row.error_count = 3;
      row.updated_at = row.window_end;
      batch.rows.push_back(row);
      bool failing
          = std::string{service} == "payments" ? i >= 3 && i <= 8 : i == 6;
      if (!failing)
        continue;
      anomaly_row a;
      a.service = service;
      a.window_start = row.window_start;
      a.metric = "error_rate";
      a.observed = 0.3 + 0.01 * static_cast<double>(i);
      a.expected = 0.003;
      a.score = 10 + static_cast<double>(i);
      a.severity = i >= 5 ? "critical" : "high";
      a.detector = "ewma";
      a.detected_at = 1;
      batch.anomalies.push_back(a);
    }
  }
  return batch;
}

struct fixture : test::caf_fixture {
  ~fixture() {
    stop();
  }

  /// Starts a database writer and a narrator restored the way a node does
  /// it: from the latest checkpoint in the database.
  void start() {
    db_writer_config wc;
    wc.path = db_path;
    wc.now_ms = [] { return int64_t{777}; };
    wc.log = [this](const std::string& line) { logs.push_back(line); };
    writer = spawn_db_writer_actor(sys, std::move(wc));
    narrator_actor_config nc;
    auto store = metrics_store::open(db_path);
    BOOST_REQUIRE(store);
    auto ck = store->load_latest_checkpoint("raw_events");
    BOOST_REQUIRE(ck);
    if (ck.value()) {
      nc.restore_state = ck.value()->narrator_state;
      nc.settings.first_id = ck.value()->last_incident_id + 1;
    }
    nc.db_writer = writer;
    nc.log = [this](const std::string& line) { logs.push_back(line); };
    narrator = spawn_narrator_actor(sys, std::move(nc));
    run();
  }

  /// Kills both actors, as a crash of the node would.
  void stop() {
    for (auto* hdl : {&narrator, &writer}) {
      if (*hdl)
        caf::anon_send_exit(*hdl, caf::exit_reason::kill);
      *hdl = caf::actor{};
    }
    run();
  }

  narrator_actor_state& state() {
    auto* ptr = caf::actor_cast<caf::abstract_actor*>(narrator);
    return dynamic_cast<narrator_actor&>(*ptr).state;
  }

  /// Asks the narrator to flush and returns the writer's answer.
  std::vector<uint64_t> flush() {
    auto replies = std::make_shared<std::vector<uint64_t>>();
    sys.spawn(
        [replies](caf::event_based_actor* self, caf::actor dst) {
          self->request(dst, caf::infinite, atom::flush::value)
              .then([replies](uint64_t n) { replies->push_back(n); });
        },
        narrator);
    run();
    return *replies;
  }

  /// Every stored incident as "id|service|started|ended|severity|count|
  /// summary", by id.
  std::vector<std::string> incidents() {
    auto db = sqlite_db::open(db_path, open_mode::read_only, 1000);
    BOOST_REQUIRE(db);
    auto st = db->prepare("SELECT id, service, started_at, "
                          "coalesce(ended_at, 'open'), severity, "
                          "anomaly_count, summary FROM incidents ORDER BY id");
    BOOST_REQUIRE(st);
    std::vector<std::string> result;
    while (st->step() == step_result::row) {
      std::string line;
      for (int i = 0; i < 7; ++i)
        line += (i > 0 ? "|" : "") + st->column_text(i);
      result.push_back(std::move(line));
    }
    return result;
  }

  test::temp_dir dir;
  std::string db_path = dir.file("vigil.db");
  std::vector<std::string> logs;
  caf::actor writer;
  caf::actor narrator;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(narrator_actor_tests, fixture)

BOOST_AUTO_TEST_CASE(incidents_reach_the_database_with_the_checkpoint) {
  start();
  caf::anon_send(narrator, windows(0, 5));
  run();
  BOOST_TEST(incidents().empty());
  auto closing = windows(5, 7);
  closing.checkpoint = 1;
  closing.offsets = {{0, 42}};
  closing.merger_state = "m";
  closing.detector_state = "d";
  caf::anon_send(narrator, closing);
  run();
  auto rows = incidents();
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].rfind("1|payments|30000|open|critical|4|payments: ", 0)
             == 0u);
  BOOST_TEST(rows[1].rfind("2|api|60000|open|critical|1|api: ", 0) == 0u);
  auto store = metrics_store::open(db_path);
  BOOST_REQUIRE(store);
  auto ck = store->load_latest_checkpoint("raw_events");
  BOOST_REQUIRE(ck);
  BOOST_REQUIRE(ck.value());
  BOOST_TEST(ck.value()->narrator_state == state().narrator().snapshot());
  BOOST_TEST(ck.value()->detector_state == "d");
  BOOST_TEST(ck.value()->merger_state == "m");
  BOOST_TEST(ck.value()->last_incident_id == 2);
  BOOST_TEST(logs.empty());
}

BOOST_AUTO_TEST_CASE(flush_is_delegated_to_the_writer_behind_the_batches) {
  start();
  caf::anon_send(narrator, windows(0, 12));
  // The writer saw the batch before the flush: 24 window rows written.
  BOOST_TEST(flush() == std::vector<uint64_t>{24});
  auto rows = incidents();
  BOOST_REQUIRE(rows.size() == 2u);
  // Both closed: three clean windows followed each.
  BOOST_TEST(rows[0].rfind("1|payments|30000|90000|critical|6|", 0) == 0u);
  BOOST_TEST(rows[1].rfind("2|api|60000|70000|critical|1|", 0) == 0u);
}

BOOST_AUTO_TEST_CASE(replay_after_a_restore_rewrites_identical_incident_rows) {
  start();
  caf::anon_send(narrator, windows(0, 3));
  auto at_checkpoint = windows(3, 5);
  at_checkpoint.checkpoint = 1;
  at_checkpoint.offsets = {{0, 5}};
  caf::anon_send(narrator, at_checkpoint);
  // After the checkpoint: incidents grow, close and are written by a flush
  // that no checkpoint covers; then the node dies.
  caf::anon_send(narrator, windows(5, 8));
  caf::anon_send(narrator, windows(8, 13));
  BOOST_TEST(flush().size() == 1u);
  auto before = incidents();
  BOOST_REQUIRE(before.size() == 2u);
  stop();
  // Twice: a crash during the replay replays again.
  for (int attempt = 0; attempt < 2; ++attempt) {
    start();
    BOOST_TEST(state().restored());
    BOOST_TEST(state().narrator().open_incidents() == 1u);
    caf::anon_send(narrator, windows(5, 7));
    caf::anon_send(narrator, windows(7, 13));
    BOOST_TEST(flush().size() == 1u);
    BOOST_TEST(incidents() == before, boost::test_tools::per_element());
    stop();
  }
}

BOOST_AUTO_TEST_CASE(a_malformed_state_starts_fresh_after_the_stored_ids) {
  start();
  auto first = windows(0, 5);
  first.checkpoint = 1;
  caf::anon_send(narrator, first);
  run();
  BOOST_REQUIRE(incidents().size() == 1u);
  stop();
  {
    auto store = metrics_store::open(db_path);
    BOOST_REQUIRE(store);
    BOOST_REQUIRE(
        store->db().exec("UPDATE checkpoints SET narrator_state = '{broken'"));
  }
  start();
  BOOST_TEST(!state().restored());
  BOOST_REQUIRE(logs.size() == 1u);
  BOOST_TEST(logs[0].find("malformed") != std::string::npos);
  BOOST_TEST(state().narrator().open_incidents() == 0u);
  // New incidents never overwrite the stored one.
  BOOST_TEST(state().narrator().next_id() == 2);
  caf::anon_send(narrator, windows(5, 6));
  BOOST_TEST(flush().size() == 1u);
  auto rows = incidents();
  BOOST_REQUIRE(rows.size() == 2u);
  BOOST_TEST(rows[0].rfind("1|payments|30000|open|high|2|", 0) == 0u);
  BOOST_TEST(rows[1].rfind("2|payments|50000|open|critical|1|", 0) == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
