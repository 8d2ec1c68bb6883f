#define BOOST_TEST_MODULE doctor_cli
#include <boost/test/unit_test.hpp>

// Each check of `vigil doctor` provoked for real: the real binary against the
// embedded broker, a real SQLite file, a real lock held by another process,
// a real listening socket.

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <nlohmann/json.hpp>

#include "actors/sink/store.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

const kafka::config_map quiet{{"log_level", "2"}};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso(int64_t ms, const char* zone = "Z") {
  auto secs = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[96];
  std::snprintf(out, sizeof(out), "%s.%03d%s", buf, static_cast<int>(ms % 1000),
                zone);
  return out;
}

std::string event(const std::string& timestamp, const std::string& pad = "") {
  return R"({"timestamp":")" + timestamp
         + R"(","service":"checkout","status_code":200,"latency_ms":12.5)"
         + (pad.empty() ? "" : R"(,"pad":")" + pad + "\"") + "}";
}

/// One broker, one topic, a database path and free ports per test.
struct fixture {
  test::temp_dir dir;
  std::string topic = "events";
  std::string db = dir.file("data/vigil.db");
  embedded_broker broker = start({{"events", 2}});

  static embedded_broker start(std::vector<topic_spec> topics) {
    broker_options options;
    options.topics = std::move(topics);
    auto b = embedded_broker::start(options);
    BOOST_REQUIRE_MESSAGE(b.has_value(), (b ? "" : b.error()));
    return std::move(b).value();
  }

  void produce(int32_t partition, const std::vector<std::string>& payloads) {
    auto prod = kafka::producer::make(broker.bootstrap(), quiet);
    BOOST_REQUIRE(prod.has_value());
    for (const auto& p : payloads)
      BOOST_REQUIRE(prod->produce(topic, partition, "", p));
    BOOST_REQUIRE(prod->flush(30s));
    BOOST_REQUIRE_EQUAL(prod->delivered(), payloads.size());
  }

  void produce_valid(int n) {
    std::vector<std::string> events;
    events.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i)
      events.push_back(event(iso(wall_ms() - 1000 + i)));
    produce(0, events);
    produce(1, events);
  }

  void create_db() {
    auto store = metrics_store::open(db);
    BOOST_REQUIRE(store);
  }

  void exec_db(const std::string& sql) {
    auto conn = sqlite_db::open(db, open_mode::read_write_create);
    BOOST_REQUIRE(conn);
    BOOST_REQUIRE(conn->exec(sql));
  }

  std::vector<std::string> args(std::vector<std::string> extra = {}) {
    std::vector<std::string> out{test::vigil_binary(),
                                 "doctor",
                                 "--brokers",
                                 broker.bootstrap(),
                                 "--topic",
                                 topic,
                                 "--db",
                                 db,
                                 "--http-port",
                                 std::to_string(test::free_loopback_port()),
                                 "--console-port",
                                 std::to_string(test::free_loopback_port()),
                                 "--timeout",
                                 "5s",
                                 "--json"};
    out.insert(out.end(), extra.begin(), extra.end());
    return out;
  }
};

/// A finished `vigil doctor --json` run.
struct doctor_run {
  int status = -1;
  json doc;
  std::string raw;

  const json& check(const std::string& name) const {
    for (const auto& c : doc["checks"])
      if (c["name"] == name)
        return c;
    BOOST_FAIL("no check " + name + " in " + raw);
    return doc;
  }

  std::string status_of(const std::string& name) const {
    return check(name)["status"].get<std::string>();
  }

  std::string evidence(const std::string& name) const {
    return check(name)["evidence"].get<std::string>();
  }

  std::string fix(const std::string& name) const {
    return check(name)["fix"].get<std::string>();
  }
};

doctor_run run_doctor(const std::vector<std::string>& args) {
  auto res = test::run_process(args, 30s);
  doctor_run run;
  run.status = res.status;
  run.raw = res.out + res.err;
  BOOST_TEST_MESSAGE(res.out);
  BOOST_REQUIRE_MESSAGE(json::accept(res.out), "not JSON: " + run.raw);
  run.doc = json::parse(res.out);
  BOOST_REQUIRE_EQUAL(run.doc["checks"].size(), 12u);
  BOOST_TEST(run.doc["ok"] == (run.status == 0));
  return run;
}

/// A `sqlite3` child process holding BEGIN EXCLUSIVE on a database until the
/// object is destroyed.
class sqlite_locker {
public:
  explicit sqlite_locker(const std::string& db) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    pid_ = ::fork();
    BOOST_REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::dup2(fds[0], 0);
      int null = ::open("/dev/null", O_WRONLY);
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::close(fds[1]);
      ::execlp("sqlite3", "sqlite3", db.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[0]);
    stdin_ = fds[1];
    const std::string sql = "BEGIN EXCLUSIVE;\n";
    BOOST_REQUIRE(::write(stdin_, sql.data(), sql.size())
                  == static_cast<ssize_t>(sql.size()));
    // Ready once our own attempt to take the write lock is refused.
    BOOST_REQUIRE(test::wait_until(10s, [&] {
      sqlite3* conn = nullptr;
      sqlite3_open(db.c_str(), &conn);
      auto rc
          = sqlite3_exec(conn, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
      if (rc == SQLITE_OK)
        sqlite3_exec(conn, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(conn);
      return rc == SQLITE_BUSY;
    }));
  }

  ~sqlite_locker() {
    ::close(stdin_);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }

  sqlite_locker(const sqlite_locker&) = delete;
  sqlite_locker& operator=(const sqlite_locker&) = delete;

  int pid() const noexcept {
    return pid_;
  }

private:
  int pid_ = -1;
  int stdin_ = -1;
};

} // namespace

BOOST_AUTO_TEST_CASE(an_unreachable_broker_fails_with_its_address_and_error) {
  test::temp_dir dir;
  auto run
      = run_doctor({test::vigil_binary(), "doctor", "--brokers", "127.0.0.1:1",
                    "--db", dir.file("vigil.db"), "--http-port", "0",
                    "--console-port", "0", "--timeout", "2s", "--json"});
  BOOST_TEST(run.status == 1);
  BOOST_TEST(run.status_of("broker_reachable") == "fail");
  BOOST_TEST(contains(run.evidence("broker_reachable"), "127.0.0.1:1"));
  BOOST_TEST(contains(run.evidence("broker_reachable"), "Connection refused"),
             run.evidence("broker_reachable"));
  BOOST_TEST(contains(run.fix("broker_reachable"), "--brokers"));
  BOOST_TEST(contains(run.evidence("topic_exists"), "not checked"));
}

BOOST_AUTO_TEST_CASE(
    the_text_output_prints_tags_and_fix_lines_and_bad_flags_exit_2) {
  auto res = test::run_process({test::vigil_binary(), "doctor", "--brokers",
                                "127.0.0.1:1", "--timeout", "1s", "--http-port",
                                "0", "--console-port", "0"},
                               30s);
  BOOST_TEST(res.status == 1);
  BOOST_TEST(contains(res.out, "FAIL  broker_reachable: "), res.out);
  BOOST_TEST(contains(res.out, "\n      fix: check --brokers"), res.out);
  BOOST_TEST(contains(res.out, "OK    config_paths: "), res.out);
  auto bad = test::run_process(
      {test::vigil_binary(), "doctor", "--sample", "many"}, 30s);
  BOOST_TEST(bad.status == 2);
  BOOST_TEST(contains(bad.err, "sample"), bad.err);
}

BOOST_FIXTURE_TEST_CASE(a_missing_topic_fails_and_an_empty_topic_warns,
                        fixture) {
  topic = "nope";
  auto missing = run_doctor(args());
  BOOST_TEST(missing.status == 1);
  BOOST_TEST(missing.status_of("topic_exists") == "fail");
  BOOST_TEST(contains(missing.evidence("topic_exists"), "topics there: events"),
             missing.evidence("topic_exists"));
  topic = "events";
  auto empty = run_doctor(args());
  BOOST_TEST(empty.status == 0, empty.raw);
  BOOST_TEST(empty.status_of("topic_exists") == "warn");
  BOOST_TEST(contains(empty.evidence("topic_exists"),
                      "events: 2 partitions, 0 messages retained"),
             empty.evidence("topic_exists"));
  BOOST_TEST(contains(empty.fix("topic_exists"), "vigil generate"));
}

BOOST_FIXTURE_TEST_CASE(group_offsets_at_the_end_warn_with_the_reset_command,
                        fixture) {
  produce_valid(15);
  // A plain consumer of group "spark" commits the end of both partitions.
  kafka::config_map cfg = quiet;
  cfg.emplace_back("group.id", "spark");
  cfg.emplace_back("enable.auto.commit", "false");
  auto rk = kafka::make_client(RD_KAFKA_CONSUMER, broker.bootstrap(), cfg);
  BOOST_REQUIRE(rk.has_value());
  kafka::partition_list_ptr list{rd_kafka_topic_partition_list_new(2)};
  for (int32_t p = 0; p < 2; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset
        = 15;
  BOOST_REQUIRE(rd_kafka_commit(rk->get(), list.get(), 0)
                == RD_KAFKA_RESP_ERR_NO_ERROR);
  rd_kafka_consumer_close(rk->get());
  auto run = run_doctor(args({"--group", "spark"}));
  BOOST_TEST(run.status == 0, run.raw);
  BOOST_TEST(run.status_of("consumer_offsets") == "warn");
  BOOST_TEST(contains(run.evidence("consumer_offsets"),
                      "offsets at end: a new node in this group starts past "
                      "all 30 messages"),
             run.evidence("consumer_offsets"));
  BOOST_TEST(contains(run.evidence("consumer_offsets"), "total lag 0"));
  BOOST_TEST(contains(run.fix("consumer_offsets"),
                      "kafka-consumer-groups --bootstrap-server "
                          + broker.bootstrap()
                          + " --group spark --topic events --reset-offsets "
                            "--to-earliest --execute"),
             run.fix("consumer_offsets"));
  // Another group has committed nothing: no warning, and lag is reported.
  auto other = run_doctor(args({"--group", "fresh"}));
  BOOST_TEST(other.status_of("consumer_offsets") == "ok");
}

BOOST_FIXTURE_TEST_CASE(bad_timestamps_in_the_topic_warn_with_counts_by_reason,
                        fixture) {
  auto now = wall_ms();
  produce(0, {event(iso(now)), event(iso(now, "+00:00Z")),
              event(iso(now + 1, "+00:00Z")), event(iso(now + 2, "+00:00Z")),
              event("not a time"), event("2026-13-45T99:00:00Z")});
  produce(1, {event(iso(now)), R"({"timestamp":"x")"});
  auto run = run_doctor(args());
  BOOST_TEST(run.status == 0, run.raw);
  BOOST_TEST(run.status_of("event_contract") == "warn");
  auto ev = run.evidence("event_contract");
  BOOST_TEST(contains(ev, "sampled 8 messages from 2 partitions: 5 valid, 3 "
                          "rejected (bad_timestamp 2, not_json 1)"),
             ev);
  BOOST_TEST(contains(ev, "3 events carry the double zone marker +00:00Z "
                          "(accepted and counted as repaired)"),
             ev);
  BOOST_TEST(contains(run.fix("event_contract"), "fix the producer"));
}

BOOST_FIXTURE_TEST_CASE(
    a_database_locked_by_another_process_fails_naming_that_pid, fixture) {
  produce_valid(3);
  create_db();
  sqlite_locker locker{db};
  auto run = run_doctor(args());
  BOOST_TEST(run.status == 1, run.raw);
  BOOST_TEST(run.status_of("database") == "fail");
  auto ev = run.evidence("database");
  BOOST_TEST(contains(ev, "locked"), ev);
  BOOST_TEST(contains(ev, "pid " + std::to_string(locker.pid()) + " (sqlite3 "
                              + db + ")"),
             ev);
  BOOST_TEST(
      contains(run.fix("database"), "kill " + std::to_string(locker.pid())));
  // Only the database fails.
  for (const auto& c : run.doc["checks"])
    if (c["name"] != "database")
      BOOST_TEST(c["status"] != "fail", c.dump());
}

BOOST_FIXTURE_TEST_CASE(a_taken_port_fails_naming_the_listening_pid, fixture) {
  produce_valid(3);
  int taken = 0;
  int fd = test::bind_loopback(true, taken);
  auto port = std::to_string(taken);
  auto run = run_doctor(args({"--http-port", port}));
  ::close(fd);
  BOOST_TEST(run.status == 1, run.raw);
  BOOST_TEST(run.status_of("ports") == "fail");
  BOOST_TEST(contains(run.evidence("ports"), "http 127.0.0.1:" + port
                                                 + " in use by pid "
                                                 + std::to_string(::getpid())),
             run.evidence("ports"));
  BOOST_TEST(contains(run.fix("ports"), "--http-port"));
}

BOOST_FIXTURE_TEST_CASE(
    a_checkpoint_overrun_by_retention_fails_with_the_lost_count, fixture) {
  create_db();
  exec_db("INSERT INTO checkpoints(id, created_at) VALUES (1, 0);"
          "INSERT INTO checkpoint_offsets VALUES ('events', 0, 0, 1);"
          "INSERT INTO checkpoint_offsets VALUES ('events', 1, 0, 1);");
  // The mock keeps about 5 MiB per partition: 7 MiB moves partition 0's log
  // start past the checkpoint.
  std::vector<std::string> events;
  events.reserve(900);
  const std::string pad(size_t{8} * 1024, 'p');
  for (int i = 0; i < 900; ++i)
    events.push_back(event(iso(wall_ms()), pad));
  produce(0, events);
  auto wm = [&] {
    auto rk = kafka::make_client(RD_KAFKA_PRODUCER, broker.bootstrap(), quiet);
    BOOST_REQUIRE(rk.has_value());
    auto w = kafka::query_watermarks(rk->get(), topic, 0);
    BOOST_REQUIRE(w.has_value());
    return *w;
  }();
  BOOST_REQUIRE_GT(wm.low, 0);
  auto run = run_doctor(args());
  BOOST_TEST(run.status == 1, run.raw);
  BOOST_TEST(run.status_of("checkpoint_retention") == "fail");
  auto ev = run.evidence("checkpoint_retention");
  BOOST_TEST(contains(ev, std::to_string(wm.low)
                              + " offsets of events lost "
                                "to retention"),
             ev);
  BOOST_TEST(contains(ev, "p0: checkpoint at 0, log starts at "
                              + std::to_string(wm.low)),
             ev);
  BOOST_TEST(!contains(ev, "p1"), ev);
  BOOST_TEST(contains(run.fix("checkpoint_retention"), "retention.ms"));
}

BOOST_FIXTURE_TEST_CASE(events_from_the_future_warn_about_clock_skew, fixture) {
  produce(0, {event(iso(wall_ms() + int64_t{3} * 3600 * 1000))});
  auto run = run_doctor(args());
  BOOST_TEST(run.status_of("clock_skew") == "warn");
  BOOST_TEST(contains(run.evidence("clock_skew"), "h ahead of this host's "
                                                  "clock"),
             run.evidence("clock_skew"));
}

BOOST_FIXTURE_TEST_CASE(a_healthy_setup_passes_every_check_and_exits_zero,
                        fixture) {
  produce_valid(40);
  create_db();
  exec_db("INSERT INTO checkpoints(id, created_at) VALUES (1, 0);"
          "INSERT INTO checkpoint_offsets VALUES ('events', 0, 30, 1);"
          "INSERT INTO checkpoint_offsets VALUES ('events', 1, 40, 1);");
  auto run = run_doctor(args({"--sample", "10"}));
  BOOST_TEST(run.status == 0, run.raw);
  BOOST_TEST(run.doc["ok"] == true);
  for (const auto& c : run.doc["checks"])
    BOOST_TEST(c["status"] == "ok", c.dump());
  BOOST_TEST(contains(run.evidence("topic_exists"),
                      "events: 2 partitions, 80 messages retained"));
  BOOST_TEST(contains(run.evidence("event_contract"),
                      "sampled 20 messages from 2 partitions: 20 valid"),
             run.evidence("event_contract"));
  BOOST_TEST(
      contains(run.evidence("checkpoint_retention"), "10 messages behind"),
      run.evidence("checkpoint_retention"));
  BOOST_TEST(contains(run.evidence("database"), "journal_mode=wal"));
}
