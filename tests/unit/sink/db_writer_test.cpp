#define BOOST_TEST_MODULE db_writer
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <unistd.h>

#include "actors/sink/db_writer.hpp"
#include "runtime/sqlite.hpp"
#include "support/caf_fixture.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace fs = std::filesystem;

namespace {

window_row make_row(const std::string& service, int64_t start,
                    int64_t requests) {
  window_row row;
  row.service = service;
  row.window_start = start;
  row.window_end = start + 10000;
  row.request_count = requests;
  row.updated_at = start + 10000;
  return row;
}

result_batch rows_batch(std::vector<window_row> rows) {
  result_batch batch;
  batch.rows = std::move(rows);
  return batch;
}

result_batch checkpoint_batch(uint64_t id, std::vector<window_row> rows,
                              std::vector<partition_offset> offsets) {
  result_batch batch;
  batch.rows = std::move(rows);
  batch.checkpoint = id;
  batch.offsets = std::move(offsets);
  batch.merger_state = "merger-" + std::to_string(id);
  batch.detector_state = "detector-" + std::to_string(id);
  return batch;
}

struct fixture : test::caf_fixture {
  fixture() {
    std::random_device rd;
    dir = fs::temp_directory_path()
          / ("vigil-db-writer-test-" + std::to_string(::getpid()) + "-"
             + std::to_string(rd()));
    db_path = (dir / "data" / "vigil.db").string();
    durable = std::make_shared<std::vector<checkpoint_durable>>();
    // Arguments instead of captures: CAF 0.17 dereferences a null argument
    // tuple when spawning a function without arguments (UBSan reports it).
    listener = sys.spawn(
        [](caf::event_based_actor*,
           std::shared_ptr<std::vector<checkpoint_durable>> rec) {
          return caf::behavior{
              [rec](checkpoint_durable& x) { rec->push_back(std::move(x)); },
          };
        },
        durable);
    logs = std::make_shared<std::vector<std::string>>();
  }

  ~fixture() {
    caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
    if (writer)
      caf::anon_send_exit(writer, caf::exit_reason::user_shutdown);
    run();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  void spawn_writer(size_t max_buffered_rows = 100000,
                    caf::actor dead_letters = {}) {
    db_writer_config cfg;
    if (dead_letters) {
      cfg.dead_letters = [dead_letters] { return dead_letters; };
      cfg.dlq_topic = "raw_events.dlq";
    }
    cfg.path = db_path;
    cfg.topic = "raw_events";
    cfg.retry.min = 100ms;
    cfg.retry.max = 1000ms;
    cfg.retry.factor = 2.0;
    cfg.retry.random_factor = 0.0;
    cfg.seed = 1;
    cfg.now_ms = [] { return int64_t{777}; };
    cfg.durable_listener = listener;
    cfg.busy_timeout_ms = 0;
    cfg.max_buffered_rows = max_buffered_rows;
    cfg.log = [rec = logs](const std::string& line) { rec->push_back(line); };
    writer = spawn_db_writer_actor(sys, std::move(cfg));
    run();
  }

  db_writer_state& state() {
    auto* ptr = caf::actor_cast<caf::abstract_actor*>(writer);
    return dynamic_cast<db_writer_actor&>(*ptr).state;
  }

  /// Opens a short-lived read-only connection and counts rows of `table`.
  int64_t count(const std::string& table) {
    auto db = sqlite_db::open(db_path, open_mode::read_only, 1000);
    BOOST_REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
    auto stmt = db->prepare("SELECT count(*) FROM " + table);
    BOOST_REQUIRE(stmt);
    BOOST_REQUIRE(stmt->step() == step_result::row);
    return stmt->column_int64(0);
  }

  int64_t request_count(const std::string& service, int64_t start) {
    auto db = sqlite_db::open(db_path, open_mode::read_only, 1000);
    BOOST_REQUIRE(db);
    auto stmt = db->prepare("SELECT request_count FROM service_metrics "
                            "WHERE service = ?1 AND window_start = ?2");
    BOOST_REQUIRE(stmt);
    stmt->bind(1, std::string_view{service}).bind(2, start);
    BOOST_REQUIRE(stmt->step() == step_result::row);
    return stmt->column_int64(0);
  }

  /// Takes the write lock from a second connection.
  sqlite_db lock_database() {
    auto db = sqlite_db::open(db_path, open_mode::read_write_create, 0);
    BOOST_REQUIRE(db);
    BOOST_REQUIRE(db->exec("BEGIN EXCLUSIVE"));
    return std::move(*db);
  }

  /// Sends `atom::flush` from a helper actor and records the reply.
  std::shared_ptr<std::vector<uint64_t>> request_flush() {
    auto replies = std::make_shared<std::vector<uint64_t>>();
    sys.spawn(
        [replies](caf::event_based_actor* self, caf::actor dst) {
          self->request(dst, caf::infinite, atom::flush::value)
              .then([replies](uint64_t n) { replies->push_back(n); });
        },
        writer);
    return replies;
  }

  /// Next offset stored for (topic, partition), or -1.
  int64_t stored_offset(const std::string& topic, int32_t partition) {
    auto db = sqlite_db::open(db_path, open_mode::read_only, 1000);
    BOOST_REQUIRE(db);
    auto stmt = db->prepare("SELECT next_offset FROM checkpoint_offsets "
                            "WHERE topic = ?1 AND partition = ?2");
    BOOST_REQUIRE(stmt);
    stmt->bind(1, std::string_view{topic}).bind(2, int64_t{partition});
    return stmt->step() == step_result::row ? stmt->column_int64(0) : -1;
  }

  /// What a fake dead-letter producer saw.
  struct dlq_log {
    /// Checkpoints it was asked to flush for.
    std::vector<uint64_t> flushes;
    /// Durable checkpoints it was told about.
    std::vector<checkpoint_durable> durable;
    /// Replies it holds until `atom::tick`.
    std::vector<caf::response_promise> pending;
  };

  /// A fake dead-letter producer: answers a checkpoint's flush with
  /// position 42 of partition 0 once it gets `atom::tick`, or with an error
  /// if `fail`.
  caf::actor spawn_fake_dlq(std::shared_ptr<dlq_log> log, bool fail) {
    return sys.spawn(
        [](caf::event_based_actor* self, std::shared_ptr<dlq_log> log,
           bool fail) {
          return caf::behavior{
              [self, log, fail](atom::flush, uint64_t id) -> caf::result<void> {
                log->flushes.push_back(id);
                if (fail)
                  return caf::make_error(caf::sec::runtime_error, "down");
                log->pending.push_back(self->make_response_promise());
                return caf::delegated<void>{};
              },
              [log](atom::tick) {
                for (auto& rp : log->pending)
                  rp.deliver(dead_letter_positions{{{0, 42}}});
                log->pending.clear();
              },
              [log](checkpoint_durable& x) {
                log->durable.push_back(std::move(x));
              },
          };
        },
        std::move(log), fail);
  }

  fs::path dir;
  std::string db_path;
  std::shared_ptr<std::vector<checkpoint_durable>> durable;
  std::shared_ptr<std::vector<std::string>> logs;
  caf::actor listener;
  caf::actor writer;
};

} // namespace

BOOST_FIXTURE_TEST_SUITE(db_writer_tests, fixture)

BOOST_AUTO_TEST_CASE(rows_are_buffered_until_a_checkpoint_commits_them_all) {
  spawn_writer();
  caf::anon_send(writer,
                 rows_batch({make_row("api", 0, 10), make_row("db", 0, 20)}));
  caf::anon_send(
      writer, rows_batch({make_row("api", 0, 15), make_row("api", 10000, 30)}));
  run();
  BOOST_TEST(count("service_metrics") == 0);
  BOOST_TEST(state().stats().buffered_rows == 3u);
  caf::anon_send(writer, checkpoint_batch(1, {make_row("web", 0, 5)},
                                          {{0, 100}, {1, 200}}));
  run();
  BOOST_TEST(count("service_metrics") == 4);
  BOOST_TEST(request_count("api", 0) == 15); // newest emission wins
  BOOST_TEST(count("checkpoint_offsets") == 2);
  BOOST_TEST(count("checkpoints") == 1);
  auto stats = state().stats();
  BOOST_TEST(stats.transactions == 1u);
  BOOST_TEST(stats.rows_written == 4u);
  BOOST_TEST(stats.checkpoints == 1u);
  BOOST_TEST(stats.buffered_rows == 0u);
  BOOST_REQUIRE(durable->size() == 1u);
  BOOST_TEST((*durable)[0].checkpoint == 1u);
  BOOST_REQUIRE((*durable)[0].offsets.size() == 2u);
  BOOST_TEST((*durable)[0].offsets[1].next_offset == 200);
  BOOST_TEST(logs->empty());
}

BOOST_AUTO_TEST_CASE(
    a_locked_database_is_retried_after_backoff_losing_nothing) {
  spawn_writer();
  auto lock = lock_database();
  caf::anon_send(writer, rows_batch({make_row("api", 0, 10)}));
  caf::anon_send(writer,
                 checkpoint_batch(1, {make_row("db", 0, 20)}, {{0, 100}}));
  run();
  BOOST_TEST(sched.has_pending_timeout());
  BOOST_TEST(durable->empty());
  BOOST_REQUIRE(logs->size() == 1u);
  BOOST_TEST(logs->front()
             == "db_writer: database locked, retrying in 100 ms (attempt 1)");
  // Less than the delay: no new attempt.
  advance(60ms);
  BOOST_TEST(state().stats().retries == 1u);
  BOOST_TEST(count("service_metrics") == 0);
  // Still locked at the first retry: the delay doubles, no new log line.
  advance(40ms);
  BOOST_TEST(state().stats().retries == 2u);
  BOOST_TEST(logs->size() == 1u);
  // A checkpoint arriving meanwhile waits for the scheduled retry.
  caf::anon_send(writer,
                 checkpoint_batch(2, {make_row("web", 0, 30)}, {{1, 50}}));
  run();
  BOOST_TEST(state().stats().retries == 2u);
  BOOST_REQUIRE(lock.exec("COMMIT"));
  advance(150ms);
  BOOST_TEST(count("service_metrics") == 0);
  advance(50ms);
  BOOST_TEST(count("service_metrics") == 3);
  BOOST_TEST(count("checkpoint_offsets") == 2);
  auto stats = state().stats();
  BOOST_TEST(stats.transactions == 1u);
  BOOST_TEST(stats.retries == 2u);
  BOOST_TEST(stats.checkpoints == 2u);
  BOOST_REQUIRE(durable->size() == 2u);
  BOOST_TEST((*durable)[0].checkpoint == 1u);
  BOOST_TEST((*durable)[1].checkpoint == 2u);
  BOOST_REQUIRE(logs->size() == 2u);
  BOOST_TEST(logs->back().find("available again") != std::string::npos);
  BOOST_TEST(!sched.has_pending_timeout());
}

BOOST_AUTO_TEST_CASE(a_new_failure_episode_starts_at_the_minimum_delay) {
  spawn_writer();
  {
    auto lock = lock_database();
    caf::anon_send(writer, checkpoint_batch(1, {make_row("a", 0, 1)}, {}));
    run();
    advance(100ms); // second attempt, still locked
    BOOST_REQUIRE(lock.exec("COMMIT"));
    advance(200ms);
    BOOST_REQUIRE(durable->size() == 1u);
  }
  auto lock = lock_database();
  caf::anon_send(writer, checkpoint_batch(2, {make_row("b", 0, 1)}, {}));
  run();
  BOOST_REQUIRE(logs->size() == 3u);
  BOOST_TEST(logs->back()
             == "db_writer: database locked, retrying in 100 ms (attempt 1)");
  BOOST_REQUIRE(lock.exec("COMMIT"));
  advance(100ms);
  BOOST_TEST(durable->size() == 2u);
}

BOOST_AUTO_TEST_CASE(flush_commits_buffered_rows_and_replies_with_the_count) {
  spawn_writer();
  caf::anon_send(writer,
                 rows_batch({make_row("api", 0, 10), make_row("db", 0, 20)}));
  auto replies = request_flush();
  run();
  BOOST_TEST(*replies == std::vector<uint64_t>{2});
  BOOST_TEST(count("service_metrics") == 2);
  BOOST_TEST(durable->empty());
  auto empty = request_flush();
  run();
  BOOST_TEST(*empty == std::vector<uint64_t>{0});
}

BOOST_AUTO_TEST_CASE(flush_on_a_locked_database_replies_once_written) {
  spawn_writer();
  auto lock = lock_database();
  caf::anon_send(writer, rows_batch({make_row("api", 0, 10)}));
  auto replies = request_flush();
  run();
  BOOST_TEST(replies->empty());
  BOOST_REQUIRE(lock.exec("COMMIT"));
  advance(100ms);
  BOOST_TEST(*replies == std::vector<uint64_t>{1});
  BOOST_TEST(count("service_metrics") == 1);
}

BOOST_AUTO_TEST_CASE(too_many_buffered_rows_are_written_without_a_checkpoint) {
  spawn_writer(3);
  caf::anon_send(writer,
                 rows_batch({make_row("a", 0, 1), make_row("b", 0, 1)}));
  run();
  BOOST_TEST(count("service_metrics") == 0);
  caf::anon_send(writer, rows_batch({make_row("c", 0, 1)}));
  run();
  BOOST_TEST(count("service_metrics") == 3);
  BOOST_TEST(count("checkpoints") == 0);
  BOOST_TEST(state().stats().transactions == 1u);
  BOOST_TEST(durable->empty());
}

BOOST_AUTO_TEST_CASE(stats_are_reported_on_request) {
  spawn_writer();
  caf::anon_send(writer, checkpoint_batch(3, {make_row("a", 0, 1)}, {}));
  auto got = std::make_shared<db_writer_stats>();
  sys.spawn(
      [got](caf::event_based_actor* self, caf::actor dst) {
        self->request(dst, caf::infinite, atom::stats::value)
            .then([got](const db_writer_stats& x) { *got = x; });
      },
      writer);
  run();
  BOOST_TEST(got->transactions == 1u);
  BOOST_TEST(got->rows_written == 1u);
  BOOST_TEST(got->checkpoints == 1u);
  // The commit's wall time is counted (a SQLite file commit takes time).
  BOOST_TEST(got->commit_seconds > 0.0);
}

BOOST_AUTO_TEST_CASE(a_checkpoint_waits_for_the_dead_letter_flush) {
  auto log = std::make_shared<dlq_log>();
  auto dlq = spawn_fake_dlq(log, false);
  spawn_writer(100000, dlq);
  caf::anon_send(writer,
                 checkpoint_batch(1, {make_row("api", 0, 1)}, {{0, 100}}));
  run();
  BOOST_REQUIRE_EQUAL(log->flushes.size(), 1u);
  BOOST_TEST(log->flushes[0] == 1u);
  // Not committed while the dead letters are not acknowledged.
  BOOST_TEST(count("checkpoints") == 0);
  BOOST_TEST(durable->empty());
  caf::anon_send(dlq, atom::tick_v);
  run();
  BOOST_TEST(count("checkpoints") == 1);
  BOOST_TEST(stored_offset("raw_events", 0) == 100);
  BOOST_TEST(stored_offset("raw_events.dlq", 0) == 42);
  BOOST_TEST(durable->size() == 1u);
  // The producer learns which offsets are durable.
  BOOST_REQUIRE_EQUAL(log->durable.size(), 1u);
  BOOST_TEST(log->durable[0].offsets.at(0).next_offset == 100);
  caf::anon_send_exit(dlq, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(a_failed_dead_letter_flush_stops_the_writer_uncommitted) {
  auto log = std::make_shared<dlq_log>();
  auto dlq = spawn_fake_dlq(log, true);
  spawn_writer(100000, dlq);
  caf::anon_send(writer,
                 checkpoint_batch(1, {make_row("api", 0, 1)}, {{0, 100}}));
  run();
  BOOST_REQUIRE_EQUAL(log->flushes.size(), 1u);
  BOOST_TEST(count("checkpoints") == 0);
  BOOST_TEST(durable->empty());
  BOOST_REQUIRE(!logs->empty());
  BOOST_TEST(logs->back().find("dead-letter flush for checkpoint 1 failed")
             != std::string::npos);
  caf::anon_send_exit(dlq, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(an_unusable_path_stops_the_writer_with_an_error) {
  // A regular file where the directory should be.
  fs::create_directories(dir);
  { std::ofstream{dir / "data"} << "not a directory"; }
  auto down = std::make_shared<caf::error>();
  spawn_writer();
  BOOST_REQUIRE(logs->size() == 1u);
  BOOST_TEST(logs->front().find("cannot open") != std::string::npos);
  sys.spawn(
      [down](caf::event_based_actor* self, caf::actor dst) {
        self->monitor(dst);
        self->set_down_handler([self, down](caf::down_msg& msg) {
          *down = std::move(msg.reason);
          self->quit();
        });
        // Stay alive until the down message arrives.
        return caf::behavior{[](int) {
          // nop
        }};
      },
      writer);
  run();
  BOOST_TEST((*down == caf::sec::runtime_error), caf::to_string(*down));
}

BOOST_AUTO_TEST_SUITE_END()
