#define BOOST_TEST_MODULE reliability
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>
#include <map>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "runtime/sqlite.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// A broker with one produced topic and its ground truth.
struct pipeline_fixture : test::produced_topic {
  test::temp_dir dir;
  std::string db;

  void produce(int32_t partitions, uint64_t count, uint64_t seed,
               uint64_t malformed_every = 1009) {
    test::produce_topic(*this, partitions, count, seed, malformed_every);
    db = dir.file("vigil.db");
  }

  std::vector<std::string> drain_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{test::vigil_binary(),
                                  "run",
                                  "--drain",
                                  "--http-port",
                                  "0",
                                  "--brokers",
                                  spec.brokers,
                                  "--topic",
                                  "events",
                                  "--db",
                                  db};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  /// Id of the newest checkpoint in the database (0 if there is none yet).
  int64_t newest_checkpoint() {
    sqlite3* h = nullptr;
    int64_t n = 0;
    if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr)
        == SQLITE_OK) {
      sqlite3_busy_timeout(h, 200);
      sqlite3_stmt* st = nullptr;
      if (sqlite3_prepare_v2(h, "SELECT coalesce(max(id), 0) FROM checkpoints",
                             -1, &st, nullptr)
              == SQLITE_OK
          && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
      sqlite3_finalize(st);
    }
    sqlite3_close(h);
    return n;
  }

  /// Runs that found dead letters of the records they replay on the topic.
  int dead_letters_skipped = 0;

  /// Kills drains `kills` times, each a seeded 0 to `max_delay_ms` ms after
  /// it made a new checkpoint durable (checkpoints every 100 ms); returns the
  /// kills done.
  int kill_after_checkpoints(int kills, uint64_t seed,
                             std::vector<std::string> extra = {},
                             int max_delay_ms = 100) {
    std::mt19937_64 rng{seed};
    std::uniform_int_distribution<int> delay_ms{0, max_delay_ms};
    int done = 0;
    for (int attempt = 0; attempt < 8 * kills && done < kills; ++attempt) {
      auto before = newest_checkpoint();
      extra.insert(extra.end(), {"--checkpoint-interval", "100ms"});
      test::background_process run{drain_args(extra), dir.file("out"),
                                   dir.file("err")};
      extra.resize(extra.size() - 2);
      test::wait_until(
          60s, [&] { return newest_checkpoint() > before; }, 10ms);
      test::hold_for(std::chrono::milliseconds(delay_ms(rng)));
      run.signal(SIGKILL);
      auto status = run.wait(30s);
      if (test::read_file(dir.file("err")).find("not producing them again")
          != std::string::npos)
        ++dead_letters_skipped;
      if (status == -SIGKILL)
        ++done;
      else
        BOOST_TEST_MESSAGE("run finished before the kill: " << status);
    }
    BOOST_TEST_MESSAGE("killed " << done << " times, newest checkpoint "
                                 << newest_checkpoint());
    return done;
  }

  /// Checks the windows against the ground truth and the incidents against
  /// the anomalies; returns the services with incidents.
  std::set<std::string> check_exact(const test::process_result& last) {
    BOOST_TEST_MESSAGE("last run: " << last.out);
    BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
    BOOST_CHECK(last.out.find("reorderings=0 ") != std::string::npos);
    return check_incidents();
  }

  /// Incidents agree with the anomalies: each anomaly lies in exactly one
  /// incident of its service, and each incident counts exactly the anomalies
  /// in it. A replay that numbered an incident anew or absorbed an anomaly
  /// twice would break this.
  std::set<std::string> check_incidents() {
    auto h = sqlite_db::open(db, open_mode::read_only, 1000);
    BOOST_REQUIRE(h);
    struct span {
      std::string service;
      int64_t begin = 0;
      int64_t end = 0;
      int64_t count = 0;
      int64_t seen = 0;
    };
    std::map<int64_t, span> incidents;
    auto st = h->prepare("SELECT id, service, started_at, coalesce(ended_at, "
                         "9223372036854775807), anomaly_count FROM incidents");
    BOOST_REQUIRE(st);
    while (st->step() == step_result::row)
      incidents[st->column_int64(0)]
          = span{st->column_text(1), st->column_int64(2), st->column_int64(3),
                 st->column_int64(4), 0};
    auto anomalies = h->prepare("SELECT service, window_start FROM anomalies");
    BOOST_REQUIRE(anomalies);
    size_t n = 0;
    while (anomalies->step() == step_result::row) {
      ++n;
      auto service = anomalies->column_text(0);
      auto start = anomalies->column_int64(1);
      int covering = 0;
      for (auto& [id, x] : incidents)
        if (x.service == service && x.begin <= start && start < x.end) {
          ++covering;
          ++x.seen;
        }
      BOOST_CHECK_MESSAGE(covering == 1,
                          "anomaly of " << service << " at " << start << " in "
                                        << covering << " incidents");
    }
    for (const auto& [id, x] : incidents)
      BOOST_CHECK_MESSAGE(x.seen == x.count,
                          "incident " << id << " counts " << x.count
                                      << " anomalies, " << x.seen << " stored");
    BOOST_TEST_MESSAGE(n << " anomalies in " << incidents.size()
                         << " incidents");
    std::set<std::string> services;
    for (const auto& [id, x] : incidents)
      services.insert(x.service);
    return services;
  }
};

/// Lines of `log` about Kafka (naming kafka, kafka_source, rdkafka or a
/// broker, or in librdkafka's own "%3|..." format), except the source's
/// partition assignment.
std::vector<std::string> kafka_lines(const std::string& log) {
  std::vector<std::string> result;
  std::regex about_kafka{"\\b(rd)?kafka(_source)?\\b|\\bbroker|^%[0-9]\\|",
                         std::regex::icase};
  std::istringstream in{log};
  for (std::string line; std::getline(in, line);)
    if (std::regex_search(line, about_kafka)
        && line.rfind("kafka_source: assigned ", 0) != 0)
      result.push_back(line);
  return result;
}

/// Holds an exclusive lock on `db` in a child process until the returned
/// pipe is closed; returns (pid, write end).
std::pair<pid_t, int> lock_database(const std::string& db) {
  int fds[2];
  BOOST_REQUIRE_EQUAL(pipe(fds), 0);
  int ready[2];
  BOOST_REQUIRE_EQUAL(pipe(ready), 0);
  auto pid = fork();
  BOOST_REQUIRE(pid >= 0);
  if (pid == 0) {
    close(fds[1]);
    close(ready[0]);
    sqlite3* h = nullptr;
    sqlite3_open(db.c_str(), &h);
    sqlite3_busy_timeout(h, 10000);
    auto rc = sqlite3_exec(h, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr);
    char c = rc == SQLITE_OK ? 'y' : 'n';
    (void)!write(ready[1], &c, 1);
    (void)!read(fds[0], &c, 1); // until the parent closes the pipe
    sqlite3_exec(h, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close(h);
    _exit(0);
  }
  close(fds[0]);
  close(ready[1]);
  char c = 0;
  BOOST_REQUIRE_EQUAL(read(ready[0], &c, 1), 1);
  close(ready[0]);
  BOOST_REQUIRE_EQUAL(c, 'y');
  return {pid, fds[1]};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(reliability, pipeline_fixture)

BOOST_AUTO_TEST_CASE(sigkill_at_random_moments_loses_and_duplicates_nothing) {
  produce(64, 1'000'000, 1);
  // The kills land mid-drain however fast the build is: each run is killed
  // 0-100 ms after its first new checkpoint, and the killed runs' tasks take
  // 5 ms per batch of at most 200 records (test-only, over 10 s for the
  // whole drain), so that an optimized build cannot finish the drain within
  // the five runs (at full speed, about a second for the million events, it
  // sometimes did). The final run goes at full speed.
  BOOST_CHECK_GE(
      kill_after_checkpoints(
          5, 20261124, {"--fault-task-delay-ms", "5", "--batch-size", "200"}),
      5);
  auto last = test::run_process(drain_args(), 5min);
  BOOST_REQUIRE_EQUAL(last.status, 0);
  // The produced errors incident on payments survives the kills as exactly
  // one set of incidents of payments, consistent with its anomalies.
  auto services = check_exact(last);
  BOOST_CHECK(services == std::set<std::string>{"payments"});
}

BOOST_AUTO_TEST_CASE(each_dead_letter_is_written_once_across_sigkills) {
  // Every 53rd event malformed (most of them rejected). Tasks slowed (10 ms
  // per batch of at most 100 records) so that a drain spans many
  // checkpoints in any build; each run is killed 0-600 ms after a
  // checkpoint, mostly after it dead-lettered records beyond it, which the
  // next run replays.
  produce(16, 200'000, 8, 53);
  BOOST_CHECK_GE(
      kill_after_checkpoints(
          5, 8, {"--fault-task-delay-ms", "10", "--batch-size", "100"}, 600),
      5);
  // Restarts found dead letters beyond their checkpoint on the topic.
  BOOST_TEST_MESSAGE(
      "runs that skipped dead letters: " << dead_letters_skipped);
  BOOST_CHECK_GE(dead_letters_skipped, 1);
  auto last = test::run_process(drain_args(), 5min);
  BOOST_REQUIRE_EQUAL(last.status, 0);
  check_exact(last);
  // The topic holds exactly the rejected payloads, each once.
  auto expected = truth.dead_letters.size();
  auto client = kafka::make_client(RD_KAFKA_PRODUCER, spec.brokers);
  BOOST_REQUIRE(client);
  auto end = kafka::query_watermarks(client.value().get(), "events.dlq", 0);
  BOOST_REQUIRE(end);
  BOOST_CHECK_EQUAL(end.value().high, static_cast<int64_t>(expected));
  auto letters = test::read_dead_letters(spec.brokers, "events.dlq", expected);
  BOOST_CHECK(letters == truth.dead_letters);
}

BOOST_AUTO_TEST_CASE(
    a_crashing_partition_task_is_restarted_from_the_checkpoint) {
  produce(8, 100'000, 2);
  auto run
      = test::run_process(drain_args({"--fault-task-throw-at", "20"}), 5min);
  BOOST_TEST_MESSAGE(run.err);
  BOOST_REQUIRE_EQUAL(run.status, 0);
  BOOST_CHECK(run.err.find("supervisor node: source restarting")
              != std::string::npos);
  // CAF reports the unhandled exception on standard output.
  BOOST_CHECK((run.out + run.err).find("injected fault") != std::string::npos);
  check_exact(run);
}

BOOST_AUTO_TEST_CASE(a_broker_down_for_ten_seconds_mid_drain_loses_nothing) {
  produce(16, 300'000, 3);
  test::background_process run{drain_args({"--checkpoint-interval", "100ms"}),
                               dir.file("out"), dir.file("err")};
  BOOST_REQUIRE(test::wait_until(60s, [&] { return newest_checkpoint() > 0; }));
  BOOST_REQUIRE(broker->set_down(true));
  test::hold_for(10s);
  BOOST_REQUIRE(broker->set_down(false));
  // And a burst of request errors on fetches after it came back.
  broker->push_request_errors(1 /* Fetch */, 5,
                              RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION);
  auto status = run.wait(5min);
  // A node that does not finish says why in its log.
  if (status != 0)
    BOOST_TEST_MESSAGE("node stderr:\n" << test::read_file(dir.file("err")));
  BOOST_REQUIRE_EQUAL(status, 0);
  test::process_result last{0, test::read_file(dir.file("out")),
                            test::read_file(dir.file("err"))};
  BOOST_TEST_MESSAGE(last.err);
  check_exact(last);
  // One line when the outage starts, one when it ends; librdkafka's own
  // lines (every reconnect attempt of every client) are counted, not shown.
  auto lines = kafka_lines(last.err);
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  BOOST_CHECK(std::regex_match(
      lines[0], std::regex{"kafka: broker " + spec.brokers
                           + " unreachable \\(.*refused.*\\), retrying "
                             "with backoff"}));
  std::smatch m;
  BOOST_REQUIRE(std::regex_match(
      lines[1], m,
      std::regex{"kafka: recovered after ([0-9.]+) s; ([0-9]+) errors? "
                 "suppressed"}));
  // The episode spans the 10 s outage (plus the reconnect backoff).
  auto seconds = std::stod(m[1].str());
  BOOST_CHECK_GE(seconds, 9.5);
  BOOST_CHECK_LT(seconds, 60.0);
  BOOST_CHECK_GT(std::stoull(m[2].str()), 0u);
}

BOOST_AUTO_TEST_CASE(
    a_broker_down_for_a_minute_is_waited_out_without_restarts) {
  // Longer than every timeout a checkpoint involves (45 s to read the
  // dead-letter topic's end offsets, librdkafka's 60 s request timeouts),
  // while dead letters may be waiting for delivery (kept 5 min): the node
  // keeps its actors and waits.
  produce(8, 50'000, 8);
  test::background_process run{
      drain_args({"--checkpoint-interval", "100ms", "--fault-task-delay-ms",
                  "20", "--batch-size", "200"}),
      dir.file("out"), dir.file("err")};
  BOOST_REQUIRE(test::wait_until(60s, [&] { return newest_checkpoint() > 0; }));
  BOOST_REQUIRE(broker->set_down(true));
  test::hold_for(65s);
  BOOST_REQUIRE(broker->set_down(false));
  auto status = run.wait(5min);
  auto err = test::read_file(dir.file("err"));
  BOOST_TEST_MESSAGE("node stderr:\n" << err);
  BOOST_REQUIRE_EQUAL(status, 0);
  test::process_result last{0, test::read_file(dir.file("out")), err};
  check_exact(last);
  BOOST_TEST(!std::regex_search(err, std::regex{"supervisor [a-z_]+: [a-z_]+ "
                                                "failed"}),
             "an actor failed during the outage");
  auto lines = kafka_lines(err);
  BOOST_REQUIRE_EQUAL(lines.size(), 2u);
  std::smatch m;
  BOOST_REQUIRE(std::regex_match(
      lines[1], m, std::regex{"kafka: recovered after ([0-9.]+) s; .*"}));
  BOOST_CHECK_GE(std::stod(m[1].str()), 64.5);
}

BOOST_AUTO_TEST_CASE(a_database_locked_by_another_process_is_waited_out) {
  produce(32, 500'000, 4);
  test::background_process run{drain_args({"--checkpoint-interval", "100ms"}),
                               dir.file("out"), dir.file("err")};
  BOOST_REQUIRE(test::wait_until(60s, [&] { return newest_checkpoint() > 0; }));
  auto [pid, release] = lock_database(db);
  test::hold_for(5s);
  close(release);
  waitpid(pid, nullptr, 0);
  BOOST_REQUIRE_EQUAL(run.wait(5min), 0);
  test::process_result last{0, test::read_file(dir.file("out")),
                            test::read_file(dir.file("err"))};
  BOOST_TEST_MESSAGE(last.err);
  BOOST_CHECK(last.err.find("database locked, retrying") != std::string::npos);
  check_exact(last);
}

BOOST_AUTO_TEST_CASE(a_million_events_in_large_batches_stay_in_offset_order) {
  produce(64, 1'000'000, 5);
  // Large batches: producer batches of up to 5000 records (one per fetch
  // from the broker) and up to 20000 records per message to a task.
  auto run = test::run_process(drain_args({"--batch-size", "20000"}), 5min);
  BOOST_REQUIRE_EQUAL(run.status, 0);
  BOOST_CHECK(
      run.out.find("drained: events=" + std::to_string(truth.valid) + " ")
      != std::string::npos);
  check_exact(run);
}

BOOST_AUTO_TEST_CASE(sigterm_finishes_a_checkpoint_and_exits_zero) {
  produce(16, 200'000, 6);
  // A long-running node (no --drain), stopped with SIGTERM while it works.
  auto args = drain_args({"--checkpoint-interval", "5s"});
  args.erase(std::find(args.begin(), args.end(), "--drain"));
  test::background_process run{args, dir.file("out"), dir.file("err")};
  BOOST_REQUIRE(test::wait_until(60s, [&] {
    return test::read_file(dir.file("err")).find("assigned 16 partitions")
           != std::string::npos;
  }));
  test::hold_for(300ms);
  run.signal(SIGTERM);
  BOOST_CHECK_EQUAL(run.wait(40s), 0);
  auto err = test::read_file(dir.file("err"));
  BOOST_TEST_MESSAGE(err);
  BOOST_CHECK(err.find("stopped cleanly at checkpoint") != std::string::npos);
  // The stop made a checkpoint durable although the interval (5 s) had not
  // elapsed; a drain afterwards completes the counts exactly.
  BOOST_CHECK_GE(newest_checkpoint(), 1);
  auto last = test::run_process(drain_args(), 5min);
  BOOST_REQUIRE_EQUAL(last.status, 0);
  check_exact(last);
}

BOOST_AUTO_TEST_CASE(a_persisting_fault_stops_the_node_naming_the_cause) {
  produce(8, 100'000, 7);
  auto run = test::run_process(
      drain_args({"--fault-task-throw-at", "3", "--fault-task-throw-always"}),
      2min);
  BOOST_TEST_MESSAGE(run.err);
  // More than 5 restarts within 30 s: the supervisor gives up, the node
  // exits non-zero and says which child failed and why.
  BOOST_CHECK_EQUAL(run.status, 1);
  BOOST_CHECK(run.err.find("vigil: node stopped:") != std::string::npos);
  BOOST_CHECK(run.err.find("restart_intensity_exceeded") != std::string::npos);
  BOOST_CHECK(run.err.find("source") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
