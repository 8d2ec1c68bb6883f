#define BOOST_TEST_MODULE file_source
#include <boost/test/unit_test.hpp>

#include <csignal>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/ingest/line_reader.hpp"
#include "runtime/db_reader.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using letters = std::multiset<std::pair<std::string, std::string>>;

/// (reason, payload) of every line of the dead-letter file of `events`.
letters read_dead_file(const std::string& events) {
  letters out;
  auto text = test::read_file(events + ".dead.jsonl");
  size_t pos = 0;
  while (pos < text.size()) {
    auto nl = text.find('\n', pos);
    BOOST_REQUIRE_MESSAGE(nl != std::string::npos,
                          "the dead-letter file ends inside a line");
    auto j = nlohmann::json::parse(text.substr(pos, nl - pos));
    out.emplace(j.at("reason").get<std::string>(),
                j.at("payload").get<std::string>());
    pos = nl + 1;
  }
  return out;
}

/// `vigil run --source file:EVENTS` with `extra` flags.
test::process_result replay(const std::string& events, const std::string& db,
                            std::vector<std::string> extra = {}) {
  std::vector<std::string> args{test::vigil_binary(),
                                "run",
                                "--source",
                                "file:" + events,
                                "--db",
                                db,
                                "--http-port",
                                "0",
                                "--console-port",
                                "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto result = test::run_process(args, 5min);
  BOOST_TEST_MESSAGE("vigil run --source file: " << result.out << result.err);
  return result;
}

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// Events with malformed ones, CRLF endings and empty lines mixed in.
test::ground_truth write_file(const std::string& path, uint64_t count,
                              uint64_t seed) {
  test::produce_spec spec;
  spec.count = count;
  spec.seed = seed;
  spec.malformed_every = 97;
  return test::write_events_file(spec, path, [](line_writer& w, uint64_t i) {
    if (i % 1013 == 5)
      BOOST_REQUIRE(w.write("")); // an empty line: not a record
    if (i % 2003 == 7)
      BOOST_REQUIRE(w.write("\r")); // an empty CRLF line
  });
}

void check_exact(const test::ground_truth& truth,
                 const test::process_result& result, const std::string& events,
                 const std::string& db) {
  BOOST_REQUIRE_EQUAL(result.status, 0);
  BOOST_TEST(mentions(result.out,
                      "drained: events=" + std::to_string(truth.valid) + " "),
             result.out);
  BOOST_TEST(
      mentions(result.out,
               "invalid=" + std::to_string(truth.dead_letters.size()) + " "),
      result.out);
  BOOST_TEST(mentions(result.out, "reorderings=0 "));
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
  auto dead = read_dead_file(events);
  BOOST_CHECK_EQUAL(dead.size(), truth.dead_letters.size());
  BOOST_CHECK(dead == truth.dead_letters);
}

} // namespace

BOOST_AUTO_TEST_CASE(a_plain_file_replays_exactly_and_twice_counts_once) {
  test::temp_dir dir;
  auto events = dir.file("events.jsonl");
  auto truth = write_file(events, 150'000, 20261201);
  auto db = dir.file("vigil.db");
  auto first = replay(events, db, {"--partitions", "4"});
  check_exact(truth, first, events, db);
  // Again over the same file and database: the checkpoint holds the end of
  // every partition, nothing is counted twice (the counters are the
  // checkpoint's, unchanged).
  auto second = replay(events, db, {"--partitions", "4"});
  BOOST_REQUIRE_EQUAL(second.status, 0);
  BOOST_TEST(mentions(second.out,
                      "drained: events=" + std::to_string(truth.valid) + " "),
             second.out);
  BOOST_TEST(mentions(second.err, "150000 skipped"), second.err);
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
  BOOST_CHECK(read_dead_file(events) == truth.dead_letters);
}

BOOST_AUTO_TEST_CASE(a_gzip_file_replays_exactly) {
  test::temp_dir dir;
  auto events = dir.file("events.jsonl.gz");
  auto truth = write_file(events, 120'000, 20261202);
  auto db = dir.file("vigil.db");
  auto result = replay(events, db, {"--partitions", "3"});
  check_exact(truth, result, events, db);
  BOOST_TEST(mentions(result.err, "(gzip)"), result.err);
}

BOOST_AUTO_TEST_CASE(a_task_failure_replays_from_the_checkpoint_exactly) {
  // The 150th of 300 batches makes its task throw: the source restarts,
  // rolls the merger back to the last durable checkpoint and reads from its
  // offsets; the dead letters written since are not written again.
  test::temp_dir dir;
  auto events = dir.file("events.jsonl");
  auto truth = write_file(events, 150'000, 20261203);
  auto db = dir.file("vigil.db");
  auto result
      = replay(events, db,
               {"--batch-size", "500", "--checkpoint-interval", "50ms",
                "--fault-task-throw-at", "150", "--fault-task-delay-ms", "5"});
  check_exact(truth, result, events, db);
  BOOST_TEST(mentions(result.out + result.err, "injected fault"));
  BOOST_TEST(mentions(result.err, "source restarted"), result.err);
  if (!mentions(result.err, "partitions from checkpoint"))
    BOOST_TEST_MESSAGE("note: the fault came before the first durable "
                       "checkpoint; the restart read from the start");
}

BOOST_AUTO_TEST_CASE(a_killed_replay_resumes_from_its_checkpoint_exactly) {
  test::temp_dir dir;
  auto events = dir.file("events.jsonl.gz");
  auto truth = write_file(events, 200'000, 20261204);
  auto db = dir.file("vigil.db");
  {
    // Slow enough to be killed in the middle.
    test::background_process node{
        {test::vigil_binary(), "run", "--source", "file:" + events, "--db", db,
         "--http-port", "0", "--console-port", "0", "--batch-size", "250",
         "--checkpoint-interval", "100ms", "--fault-task-delay-ms", "10"},
        dir.file("first.out"),
        dir.file("first.err")};
    auto durable = [&] {
      auto rows = db_query(db, "SELECT MAX(id) FROM checkpoints");
      return rows && rows->size() == 1 && rows->int64(0, 0) >= 3;
    };
    BOOST_REQUIRE(test::wait_until(120s, durable, 50ms));
    node.signal(SIGKILL);
    node.wait(30s);
    BOOST_TEST_MESSAGE(test::read_file(dir.file("first.err")));
    BOOST_TEST(!mentions(test::read_file(dir.file("first.out")), "drained:"),
               "the replay ended before it was killed; slow it down");
  }
  auto resumed = replay(events, db);
  BOOST_REQUIRE_EQUAL(resumed.status, 0);
  BOOST_TEST(mentions(resumed.err, "from checkpoint"), resumed.err);
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
  auto dead = read_dead_file(events);
  BOOST_CHECK_EQUAL(dead.size(), truth.dead_letters.size());
  BOOST_CHECK(dead == truth.dead_letters);
}

BOOST_AUTO_TEST_CASE(bad_sources_say_what_is_wrong_and_exit_2) {
  test::temp_dir dir;
  auto db = dir.file("vigil.db");
  auto missing = replay(dir.file("missing.jsonl"), db);
  BOOST_CHECK_EQUAL(missing.status, 2);
  BOOST_TEST(mentions(missing.err, "cannot read the file of --source file:"),
             missing.err);
  BOOST_TEST(mentions(missing.err, "check the path"), missing.err);
  auto foo = test::run_process({test::vigil_binary(), "run", "--source", "foo",
                                "--db", db, "--http-port", "0"},
                               1min);
  BOOST_CHECK_EQUAL(foo.status, 2);
  BOOST_TEST(mentions(foo.err, "--source must be kafka or file:PATH"), foo.err);
}
