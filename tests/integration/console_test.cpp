#define BOOST_TEST_MODULE console
#include <boost/test/unit_test.hpp>

// `vigil console` against a real node: `vigil run` over events produced to
// the embedded broker, asked through its console endpoint (CAF BASP).

#include <unistd.h>

#include <chrono>
#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <librdkafka/rdkafka.h>

#include "integration/node_fixture.hpp"
#include "runtime/kafka.hpp"

using namespace std::chrono_literals;
using namespace vigil;

namespace {

/// One row of `partitions`.
struct partition_line {
  int64_t next = -1;
  int64_t end = -1;
  std::string lag;
  std::string state;
  int64_t in_flight = 0;
  std::string checkpointed;
  /// What the consumer was told: fetching, paused, or seeking (nothing
  /// fetched since the assignment yet).
  std::string consumer;
  uint64_t epoch = 0;
};

/// Parses the rows of `partitions` by partition.
std::map<int32_t, partition_line> parse_partitions(const std::string& text) {
  std::map<int32_t, partition_line> out;
  std::istringstream in{text};
  std::string line;
  std::regex row{R"(^ *([0-9]+) +([0-9]+) +([0-9?]+) +([0-9?]+) +)"
                 R"((reading|paused|held|finished|stalled) +([0-9]+) +)"
                 R"(([0-9-]+) +(fetching|paused|seeking) +([0-9]+) +(\S+)$)"};
  while (std::getline(in, line)) {
    std::smatch m;
    if (!std::regex_match(line, m, row))
      continue;
    partition_line p;
    p.next = std::stoll(m[2].str());
    p.end = m[3].str() == "?" ? -1 : std::stoll(m[3].str());
    p.lag = m[4].str();
    p.state = m[5].str();
    p.in_flight = std::stoll(m[6].str());
    p.checkpointed = m[7].str();
    p.consumer = m[8].str();
    p.epoch = std::stoull(m[9].str());
    out[std::stoi(m[1].str())] = p;
  }
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The events the node's `status` reports consumed (-1 if not shown).
int64_t consumed(const std::string& status) {
  std::smatch m;
  if (!std::regex_search(status, m, std::regex{"events +([0-9]+) consumed"}))
    return -1;
  return std::stoll(m[1].str());
}

struct fixture : test::node_fixture {
  std::string address() const {
    return "127.0.0.1:" + std::to_string(console_port);
  }

  /// Runs `vigil console --connect ADDRESS words...`.
  test::process_result console(const std::vector<std::string>& words) const {
    std::vector<std::string> args{test::vigil_binary(), "console", "--connect",
                                  address()};
    args.insert(args.end(), words.begin(), words.end());
    return test::run_process(args, 30s);
  }

  /// Waits until the node consumed exactly the produced valid events (a
  /// replay counted twice never matches) and every partition is read to its
  /// end and checkpointed there; returns the last `partitions` answer.
  std::string wait_until_caught_up() {
    std::string last;
    auto valid = std::to_string(truth.valid);
    bool done = test::wait_until(60s, [&] {
      auto status = console({"status"});
      if (!contains(status.out, "events      " + valid + " consumed"))
        return false;
      last = console({"partitions"}).out;
      auto rows = parse_partitions(last);
      if (rows.size() != static_cast<size_t>(spec.partitions))
        return false;
      for (const auto& [p, row] : rows)
        if (row.lag != "0" || row.next != row.end
            || row.checkpointed != std::to_string(row.next))
          return false;
      return true;
    });
    BOOST_REQUIRE_MESSAGE(done, "the node did not catch up; status:\n"
                                    << console({"status"}).out
                                    << "partitions:\n"
                                    << last << "node stderr:\n"
                                    << test::read_file(dir.file("node.err")));
    return last;
  }
};

} // namespace

BOOST_FIXTURE_TEST_CASE(the_console_reports_a_node_that_consumed_every_event,
                        fixture) {
  // 20 s of event time at 2000 events/s: the first windows become final.
  const uint64_t produced_count = 40000;
  start(4, produced_count);
  auto partitions = wait_until_caught_up();
  // Every produced partition, read to its end and checkpointed there.
  auto rows = parse_partitions(partitions);
  BOOST_TEST(rows.size() == 4u);
  int64_t records = 0;
  for (const auto& [p, row] : rows) {
    BOOST_TEST(row.state == "reading");
    records += row.end;
  }
  BOOST_TEST(records == static_cast<int64_t>(produced_count));
  BOOST_TEST(contains(partitions, "4 partitions, 0 paused (backpressure), "
                                  "total lag 0"),
             partitions);

  auto status = console({"status"});
  BOOST_TEST(status.status == 0, status.err);
  BOOST_TEST(contains(status.out, "mode        run: consumes until stopped"),
             status.out);
  BOOST_TEST(
      contains(status.out, "invalid     "
                               + std::to_string(produced_count - truth.valid)
                               + " ("),
      status.out);
  BOOST_TEST(contains(status.out, "4 assigned, total lag 0"), status.out);
  for (const auto* actor :
       {"db_writer", "narrator", "detector", "merger", "dlq", "source"})
    BOOST_TEST(std::regex_search(
                   status.out,
                   std::regex{std::string{"\n"} + actor + " +running +0\n"}),
               actor << " in\n"
                     << status.out);

  // Every produced service has its latest window listed.
  std::set<std::string> produced;
  for (const auto& [id, window] : truth.windows)
    produced.insert(id.first);
  // Windows are stored once the watermark passes them (partitions at
  // their end stop holding it back after the idle timeout).
  test::process_result services;
  auto listed
      = std::to_string(produced.size()) + " services, latest window each";
  BOOST_TEST(test::wait_until(60s,
                              [&] {
                                services = console({"services"});
                                return contains(services.out, listed);
                              }),
             services.out);
  BOOST_TEST(services.status == 0, services.err);
  for (const auto& name : produced)
    BOOST_TEST(std::regex_search(services.out,
                                 std::regex{"\n" + name + " +[0-9]{4}-"}),
               name << " in\n"
                    << services.out);

  auto restarts = console({"restarts"});
  BOOST_TEST(restarts.status == 0, restarts.err);
  BOOST_TEST(contains(restarts.out, "no actor has failed"), restarts.out);

  auto checkpoint = console({"checkpoint"});
  BOOST_TEST(checkpoint.status == 0, checkpoint.err);
  BOOST_TEST(contains(checkpoint.out, "a restart resumes each partition"),
             checkpoint.out);
}

BOOST_FIXTURE_TEST_CASE(a_restarted_actor_shows_in_restarts_and_status,
                        fixture) {
  // The partition task that receives the second batch throws once: the
  // node's supervisor restarts the source and its tasks.
  start(4, 4000, {"--fault-task-throw-at", "2", "--batch-size", "100"});
  // The restart happens within seconds (catching up after it waits for the
  // consumer group to rebalance, which this test does not need).
  test::process_result restarts;
  std::regex restarted{"node +source +restarted +restart #1"};
  BOOST_TEST(test::wait_until(60s,
                              [&] {
                                restarts = console({"restarts"});
                                return std::regex_search(restarts.out,
                                                         restarted);
                              }),
             restarts.out);
  BOOST_TEST(restarts.status == 0, restarts.err);
  BOOST_TEST(std::regex_search(restarts.out,
                               std::regex{"node +source +failed +[a-z]"}),
             restarts.out);
  auto status = console({"status"});
  BOOST_TEST(
      std::regex_search(status.out, std::regex{"\nsource +running +1\n"}),
      status.out);
  // The restarted source rejoins the consumer group, gets its partitions
  // back within the session timeout (10 s) and catches up, counting the
  // records it replays exactly once; a graceful stop then finishes a
  // checkpoint and exits 0.
  auto rejoin_started = std::chrono::steady_clock::now();
  wait_until_caught_up();
  auto rejoin = std::chrono::steady_clock::now() - rejoin_started;
  BOOST_TEST_MESSAGE(
      "caught up "
      << std::chrono::duration_cast<std::chrono::milliseconds>(rejoin).count()
      << " ms after the restart was reported");
  // The failed source left the group as it terminated: not a rebalance of
  // the running node (nothing to resume, nothing to count).
  BOOST_TEST(test::metric_value(get("/metrics").body, "vigil_rebalances_total")
                 .value_or(-1)
             == 0.0);
  node->signal(SIGTERM);
  auto rc = node->wait(30s);
  auto err = test::read_file(dir.file("node.err"));
  BOOST_TEST(rc == 0, "exit " << rc << "; node stderr:\n" << err);
  BOOST_TEST(!contains(err, "revoked by a consumer-group rebalance"), err);
  // A teardown that hung was cut short by the exit watchdog (seen in CI
  // after a source restart, not reproduced locally): reported, not failed.
  BOOST_WARN_MESSAGE(!contains(err, "did not finish within"), err);
}

BOOST_FIXTURE_TEST_CASE(a_group_rebalance_mid_stream_counts_every_event_once,
                        fixture) {
  // Slowed tasks keep the node reading while another member joins and
  // leaves the group: each rebalance revokes the node's partitions in the
  // middle of the stream, with records read after the last checkpoint. Two
  // partitions: each task sleeps 100 ms per batch of 100, so reading takes
  // about 10 s however many cores the machine has.
  start(
      2, 20000,
      {"--fault-task-delay-ms", "100", "--batch-size", "100", "--credit", "4"});
  BOOST_REQUIRE(test::wait_until(
      60s, [&] { return consumed(console({"status"}).out) > 1000; }));
  BOOST_REQUIRE_MESSAGE(test::join_and_leave_group(spec.brokers, "events.dlq"),
                        "the other member never got its partition; node "
                        "stderr:\n"
                            << test::read_file(dir.file("node.err")));
  auto during = consumed(console({"status"}).out);
  BOOST_TEST_MESSAGE("rebalanced with " << during << " of " << truth.valid
                                        << " events consumed");
  BOOST_TEST(during < static_cast<int64_t>(truth.valid),
             "the rebalance came after the stream was read");
  // Every event counted exactly once (a replay from stale offsets counts
  // some twice) and checkpoints still complete (one aligning over a revoked
  // partition never did).
  wait_until_caught_up();
  auto restarts = console({"restarts"});
  BOOST_TEST(contains(restarts.out, "no actor has failed"), restarts.out);
  auto metrics = get("/metrics").body;
  BOOST_TEST(test::metric_value(metrics, "vigil_rebalances_total").value_or(0)
             >= 2.0);
  BOOST_TEST(
      test::metric_value(metrics, "vigil_assigned_partitions").value_or(0)
      == 2.0);
  // Each stored window holds exactly its events.
  auto stored = test::read_windows(dir.file("vigil.db"));
  BOOST_TEST(!stored.empty());
  for (const auto& [id, row] : stored) {
    auto it = truth.windows.find(id);
    BOOST_REQUIRE_MESSAGE(it != truth.windows.end(),
                          "extra window " << id.first << "@" << id.second);
    BOOST_TEST(row.count == it->second.count, id.first << "@" << id.second);
    BOOST_TEST(row.errors == it->second.errors, id.first << "@" << id.second);
  }
  node->signal(SIGTERM);
  auto rc = node->wait(30s);
  BOOST_TEST(rc == 0, "exit " << rc << "; node stderr:\n"
                              << test::read_file(dir.file("node.err")));
  BOOST_TEST(
      contains(test::read_file(dir.file("node.err")), "partitions revoked"));
}

BOOST_FIXTURE_TEST_CASE(a_member_sharing_the_group_is_reported, fixture) {
  start(4, 1000);
  wait_until_caught_up();
  // Another member of the group for the same topic takes half of it.
  bool joined = test::join_and_leave_group(spec.brokers, "events", [&] {
    std::string err;
    bool warned = test::wait_until(30s, [&] {
      err = test::read_file(dir.file("node.err"));
      return contains(err, "kafka_source: warning: 2 of the 4 partitions of "
                           "events are held by other members of consumer "
                           "group vigil");
    });
    BOOST_TEST(warned, err);
    BOOST_TEST(wait_for_metric("vigil_assigned_partitions", 2, 10s).value_or(0)
               == 2.0);
  });
  BOOST_REQUIRE_MESSAGE(joined, "the other member never got its partitions; "
                                "node stderr:\n"
                                    << test::read_file(dir.file("node.err")));
  // Once it left, the node holds all four again and has consumed each
  // event exactly once.
  wait_until_caught_up();
}

BOOST_FIXTURE_TEST_CASE(pause_holds_consumption_until_resume, fixture) {
  start(
      2, 20000,
      {"--fault-task-delay-ms", "50", "--batch-size", "100", "--credit", "4"});
  BOOST_REQUIRE(test::wait_until(
      60s, [&] { return consumed(console({"status"}).out) > 1000; }));
  auto pause = console({"pause"});
  BOOST_TEST(pause.status == 0, pause.err);
  BOOST_TEST(contains(pause.out, "consumption paused: the source stops "
                                 "fetching and keeps its 2 partitions"),
             pause.out);
  // The batches in flight finish; then every partition is held.
  std::string partitions;
  BOOST_TEST(test::wait_until(30s,
                              [&] {
                                partitions = console({"partitions"}).out;
                                auto rows = parse_partitions(partitions);
                                if (rows.size() != 2u)
                                  return false;
                                for (const auto& [p, row] : rows)
                                  if (row.state != "held" || row.in_flight != 0
                                      || row.consumer != "paused")
                                    return false;
                                return true;
                              }),
             partitions);
  BOOST_TEST(contains(partitions, "2 held by the operator"), partitions);
  auto before = consumed(console({"status"}).out);
  // Nothing is consumed while held (the node keeps polling the group).
  test::hold_for(2s);
  auto status = console({"status"});
  BOOST_TEST(consumed(status.out) == before, status.out);
  BOOST_TEST(before < static_cast<int64_t>(truth.valid));
  BOOST_TEST(contains(status.out, "paused      by the operator"), status.out);
  BOOST_TEST(wait_for_metric("vigil_held_partitions", 2, 10s).value_or(0)
             == 2.0);
  BOOST_TEST(contains(get("/api/status").body, "\"paused_by_operator\":true"));
  auto again = console({"pause"});
  BOOST_TEST(contains(again.out, "consumption is already paused"), again.out);
  auto resume = console({"resume"});
  BOOST_TEST(resume.status == 0, resume.err);
  BOOST_TEST(contains(resume.out, "consumption resumed after"), resume.out);
  // Every event counted once, held or not.
  wait_until_caught_up();
  BOOST_TEST(contains(console({"resume"}).out, "consumption is not paused"));
  BOOST_TEST(wait_for_metric("vigil_held_partitions", 0, 10s).value_or(-1)
             == 0.0);
}

BOOST_FIXTURE_TEST_CASE(a_piped_session_answers_each_command_until_quit,
                        fixture) {
  start(2, 1000);
  wait_until_caught_up();
  auto run = test::run_process(
      {"/bin/sh", "-c",
       "printf 'status\\n\\nbogus\\npartitions\\nquit\\nservices\\n' | '"
           + test::vigil_binary() + "' console --connect " + address()},
      30s);
  BOOST_TEST(run.status == 0, run.err);
  // Each command is echoed, then answered; a bad one does not end the
  // session; nothing after quit runs.
  auto status_at = run.out.find("vigil> status\nnode ");
  auto bogus_at = run.out.find("vigil> bogus\nunknown command 'bogus'");
  auto partitions_at = run.out.find("vigil> partitions\nPARTITION");
  BOOST_TEST(status_at != std::string::npos, run.out);
  BOOST_TEST(bogus_at != std::string::npos, run.out);
  BOOST_TEST(partitions_at != std::string::npos, run.out);
  BOOST_TEST((status_at < bogus_at && bogus_at < partitions_at), run.out);
  BOOST_TEST(!contains(run.out, "services, latest window each"), run.out);
  BOOST_TEST(!contains(run.out, "vigil> quit"), run.out);
}

BOOST_FIXTURE_TEST_CASE(an_unknown_command_fails_with_the_reference, fixture) {
  start(1, 10);
  auto run = console({"stauts"});
  BOOST_TEST(run.status == 2);
  BOOST_TEST(contains(run.err, "unknown command 'stauts'"), run.err);
  BOOST_TEST(contains(run.err, "anomalies [SERVICE] [N]"), run.err);
  BOOST_TEST(run.out.empty(), run.out);
  auto bad = console({"anomalies", "x", "0"});
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(contains(bad.err, "N must be an integer in 1..1000 (got '0')"),
             bad.err);
}

BOOST_AUTO_TEST_CASE(an_unreachable_console_exits_1_naming_the_address) {
  auto port = std::to_string(test::free_loopback_port());
  auto run = test::run_process({test::vigil_binary(), "console", "--connect",
                                "127.0.0.1:" + port, "status"},
                               30s);
  BOOST_TEST(run.status == 1);
  BOOST_TEST(
      contains(run.err, "cannot reach the console at 127.0.0.1:" + port + ": "),
      run.err);
  BOOST_TEST(contains(run.err, "is `vigil run` running? check `vigil doctor`"),
             run.err);
}

BOOST_AUTO_TEST_CASE(a_malformed_address_is_a_usage_error) {
  auto run = test::run_process(
      {test::vigil_binary(), "console", "--connect", "localhost", "status"},
      30s);
  BOOST_TEST(run.status == 2);
  BOOST_TEST(contains(run.err, "--connect expects HOST:PORT"), run.err);
}

BOOST_AUTO_TEST_CASE(a_taken_console_port_stops_the_node_naming_the_flag) {
  // A listening socket holds the port for the duration of the run.
  int taken = 0;
  int fd = test::bind_loopback(true, taken);
  auto port = std::to_string(taken);
  test::temp_dir dir;
  auto run = test::run_process({test::vigil_binary(), "run", "--brokers",
                                "127.0.0.1:1", "--db", dir.file("vigil.db"),
                                "--http-port", "0", "--console-port", port},
                               60s);
  ::close(fd);
  BOOST_TEST(run.status == 1);
  BOOST_TEST(contains(run.err, "cannot serve the console on 127.0.0.1:" + port),
             run.err);
  BOOST_TEST(contains(run.err, "--console-port"), run.err);
}
