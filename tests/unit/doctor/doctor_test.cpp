#define BOOST_TEST_MODULE doctor
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "actors/doctor/doctor.hpp"
#include "actors/sink/store.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace vigil::doctor;
namespace fs = std::filesystem;

namespace {

constexpr int64_t now_ms = 1'768'172'992'000; // 2026-01-11T23:09:52Z
constexpr int64_t minute = 60'000;
constexpr int64_t hour = 60 * minute;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::string event(const std::string& timestamp) {
  return R"({"timestamp":")" + timestamp
         + R"(","service":"checkout","status_code":200,"latency_ms":12.5})";
}

std::string event_at(int64_t ms) {
  return R"({"timestamp":)" + std::to_string(ms)
         + R"(,"service":"checkout","status_code":200,"latency_ms":12.5})";
}

topic_probe topic_with(std::vector<partition_state> parts) {
  topic_probe t;
  t.name = "raw_events";
  t.exists = true;
  t.partitions = std::move(parts);
  return t;
}

node_config config() {
  node_config cfg;
  cfg.brokers = "127.0.0.1:9092";
  return cfg;
}

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path{path}.parent_path());
  std::ofstream{path} << text;
}

/// A socket listening on an ephemeral loopback port, closed on destruction.
struct listener {
  int fd = -1;
  uint16_t port = 0;
  listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr))
                  == 0);
    BOOST_REQUIRE(::listen(fd, 1) == 0);
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port = ntohs(addr.sin_port);
  }
  ~listener() {
    ::close(fd);
  }
};

} // namespace

// -- config_paths
// -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(
    a_missing_database_directory_under_a_writable_parent_is_ok) {
  test::temp_dir cwd;
  auto r = check_config_paths("./data/vigil.db", cwd.path());
  BOOST_TEST(r.status == check_result::ok);
  BOOST_TEST(contains(r.evidence, "does not exist yet"), r.evidence);
  BOOST_TEST(!fs::exists(cwd.file("data"))); // the doctor creates nothing
}

BOOST_AUTO_TEST_CASE(a_database_directory_that_cannot_be_created_fails) {
  test::temp_dir cwd;
  write_file(cwd.file("data"), "a file where a directory should be");
  auto r = check_config_paths("./data/vigil.db", cwd.path());
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "is not a directory"), r.evidence);
  BOOST_TEST(contains(r.fix, "--db"), r.fix);
}

BOOST_AUTO_TEST_CASE(a_database_path_naming_a_directory_fails) {
  test::temp_dir cwd;
  fs::create_directories(cwd.file("data"));
  auto r = check_config_paths("./data", cwd.path());
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "is a directory"), r.evidence);
}

BOOST_AUTO_TEST_CASE(
    an_unwritable_absolute_path_outside_the_working_directory_names_vigil_db) {
  test::temp_dir tmp;
  write_file(tmp.file("data"), "not a directory");
  fs::create_directories(tmp.file("work"));
  auto r = check_config_paths(tmp.file("data/vigil.db"), tmp.file("work"));
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.fix, "VIGIL_DB=./data/vigil.db"), r.fix);
  BOOST_TEST(contains(r.fix, "outside the working directory"), r.fix);
}

// -- kafka judges
// -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(
    an_unanswered_metadata_probe_fails_with_address_and_error) {
  broker_probe probe;
  probe.bootstrap = "127.0.0.1:1";
  probe.timeout = std::chrono::milliseconds{5000};
  probe.error = "Local: Broker transport failure";
  auto r = check_broker_reachable(probe);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "127.0.0.1:1"));
  BOOST_TEST(contains(r.evidence, "Broker transport failure"));
  BOOST_TEST(contains(r.fix, "VIGIL_BROKERS"));
  probe.error.clear();
  probe.brokers = 3;
  BOOST_TEST(check_broker_reachable(probe).status == check_result::ok);
}

BOOST_AUTO_TEST_CASE(topic_exists_reports_partitions_and_warns_when_empty) {
  broker_probe broker;
  broker.bootstrap = "b:9092";
  broker.topics = {"other", "__consumer_offsets"};
  std::vector<partition_state> parts(8);
  for (int32_t i = 0; i < 8; ++i)
    parts[static_cast<size_t>(i)] = {i, 10, 20, -1};
  auto ok = check_topic_exists(topic_with(parts), broker);
  BOOST_TEST(ok.status == check_result::ok);
  BOOST_TEST(contains(ok.evidence, "raw_events: 8 partitions, 80 messages"),
             ok.evidence);
  for (auto& p : parts)
    p.low = p.high;
  auto empty = check_topic_exists(topic_with(parts), broker);
  BOOST_TEST(empty.status == check_result::warn);
  BOOST_TEST(contains(empty.evidence, "0 messages"), empty.evidence);
  topic_probe missing;
  missing.name = "raw_events";
  auto absent = check_topic_exists(missing, broker);
  BOOST_TEST(absent.status == check_result::fail);
  BOOST_TEST(contains(absent.evidence, "topics there: other)"),
             absent.evidence);
}

BOOST_AUTO_TEST_CASE(
    group_offsets_at_the_end_without_a_checkpoint_warn_with_the_reset_command) {
  auto topic = topic_with({{0, 0, 50, 50}, {1, 0, 30, 30}, {2, 0, 0, -1}});
  auto r = check_consumer_offsets(topic, config(), {});
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "starts past all 80 messages"), r.evidence);
  BOOST_TEST(contains(r.fix, "kafka-consumer-groups --bootstrap-server "
                             "127.0.0.1:9092 --group vigil --topic raw_events "
                             "--reset-offsets --to-earliest --execute"),
             r.fix);
  // The same offsets with this node's checkpoint: a node that caught up.
  auto caught_up = check_consumer_offsets(topic, config(), {{0, 50}, {1, 30}});
  BOOST_TEST(caught_up.status == check_result::ok);
}

BOOST_AUTO_TEST_CASE(consumer_lag_is_the_sum_of_high_minus_committed) {
  auto topic = topic_with({{0, 0, 50, 40}, {1, 10, 30, 5}, {2, 0, 9, -1}});
  auto r = check_consumer_offsets(topic, config(), {{0, 40}});
  BOOST_TEST(r.status == check_result::ok);
  // 10 + (30 - 10: a commit below the log start counts from the start).
  BOOST_TEST(contains(r.evidence, "total lag 30 messages"), r.evidence);
  BOOST_TEST(contains(r.evidence, "over 2 of 3 partitions"), r.evidence);
}

BOOST_AUTO_TEST_CASE(a_group_without_commits_has_unknown_lag_and_passes) {
  auto r = check_consumer_offsets(topic_with({{0, 0, 7, -1}}), config(), {});
  BOOST_TEST(r.status == check_result::ok);
  BOOST_TEST(contains(r.evidence, "group vigil has no committed offsets on 1 "
                                  "partition (lag unknown)"),
             r.evidence);
}

BOOST_AUTO_TEST_CASE(start_latest_warns_about_the_messages_it_would_skip) {
  auto cfg = config();
  cfg.start = "latest";
  auto r = check_consumer_offsets(topic_with({{0, 0, 7, -1}, {1, 0, 5, -1}}),
                                  cfg, {{1, 5}});
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "skipping 7 messages"), r.evidence);
  BOOST_TEST(contains(r.fix, "--start earliest"));
}

// -- event_contract
// -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(rejected_and_repaired_events_warn_with_counts_by_reason) {
  std::vector<sampled_message> samples;
  auto add = [&](std::string payload) {
    samples.push_back(
        {0, static_cast<int64_t>(samples.size()), std::move(payload), -1});
  };
  add(event("2026-01-11T23:09:52.214Z"));
  add(event("2026-01-11T23:09:52.214823+00:00Z"));
  add(event("2026-01-11T23:09:53.000+00:00Z"));
  add(event("yesterday"));
  add(event("2026-13-11T23:09:52Z"));
  add(R"({"service":"x","status_code":200,"latency_ms":1})");
  auto r = check_event_contract(samples, config(), 1);
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "3 valid, 3 rejected"), r.evidence);
  BOOST_TEST(contains(r.evidence, "bad_timestamp 2, missing_field 1"),
             r.evidence);
  BOOST_TEST(contains(r.evidence, "2 events carry the double zone marker "
                                  "+00:00Z (accepted and counted as "
                                  "repaired)"),
             r.evidence);
  BOOST_TEST(contains(r.fix, "replace('+00:00', 'Z')"), r.fix);
  BOOST_TEST(contains(r.fix, "raw_events.dlq"), r.fix);
}

BOOST_AUTO_TEST_CASE(all_sampled_events_invalid_is_schema_drift_and_fails) {
  std::string long_payload = R"({"ts":")" + std::string(500, 'x') + R"("})";
  auto r = check_event_contract({{0, 0, long_payload, -1}, {1, 3, "{}", -1}},
                                config(), 2);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "missing_field 2"), r.evidence);
  BOOST_TEST(contains(r.evidence, "..."), r.evidence); // example truncated
  BOOST_TEST(r.evidence.size() < 400u);
}

BOOST_AUTO_TEST_CASE(valid_samples_pass_the_event_contract) {
  auto r = check_event_contract({{0, 0, event("2026-01-11T23:09:52Z"), -1}},
                                config(), 1);
  BOOST_TEST(r.status == check_result::ok);
  BOOST_TEST(r.fix.empty());
  BOOST_TEST(check_event_contract({}, config(), 0).status == check_result::ok);
}

// -- checkpoint_retention
// -------------------------------------------------------

BOOST_AUTO_TEST_CASE(
    a_checkpoint_below_the_log_start_fails_with_the_lost_count) {
  auto topic = topic_with({{0, 1200, 5000, -1}, {1, 0, 10, -1}});
  auto r = check_checkpoint_retention(topic, {{0, 200}, {1, 10}}, "db", true,
                                      "b:9092");
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "1000 offsets of raw_events lost to "
                                  "retention"),
             r.evidence);
  BOOST_TEST(contains(r.evidence, "p0: checkpoint at 200, log starts at 1200"),
             r.evidence);
  BOOST_TEST(contains(r.fix, "kafka-configs --bootstrap-server b:9092"));
}

BOOST_AUTO_TEST_CASE(a_checkpoint_beyond_the_log_end_means_a_recreated_topic) {
  auto topic = topic_with({{0, 0, 12, -1}});
  auto r = check_checkpoint_retention(topic, {{0, 900}, {3, 5}}, "x.db", true,
                                      "b:9092");
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "recreated"), r.evidence);
  BOOST_TEST(contains(r.evidence, "p3: checkpointed but the topic has no "
                                  "such partition"),
             r.evidence);
  BOOST_TEST(contains(r.fix, "DELETE FROM checkpoint_offsets WHERE "
                             "topic='raw_events'"),
             r.fix);
}

BOOST_AUTO_TEST_CASE(checkpoints_within_the_log_pass_retention) {
  auto topic = topic_with({{0, 100, 500, -1}});
  auto r = check_checkpoint_retention(topic, {{0, 100}}, "db", true, "b:9092");
  BOOST_TEST(r.status == check_result::ok);
  BOOST_TEST(contains(r.evidence, "400 messages behind"), r.evidence);
  BOOST_TEST(check_checkpoint_retention(topic, {}, "db", true, "b:9092").status
             == check_result::ok);
}

// -- clock_skew
// -------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(events_more_than_five_minutes_ahead_warn) {
  auto r = check_clock_skew({{0, 0, event_at(now_ms + 2 * hour), now_ms}},
                            config(), now_ms);
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "2.0 h ahead"), r.evidence);
  auto fine = check_clock_skew({{0, 0, event_at(now_ms + 4 * minute), -1}},
                               config(), now_ms);
  BOOST_TEST(fine.status == check_result::ok);
}

BOOST_AUTO_TEST_CASE(recent_messages_stamped_hours_ago_warn) {
  std::vector<sampled_message> samples;
  samples.reserve(5);
  for (int64_t i = 0; i < 5; ++i)
    samples.push_back(
        {0, i, event_at(now_ms - 5 * hour - i * 1000), now_ms - minute});
  auto r = check_clock_skew(samples, config(), now_ms);
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "Kafka timestamp 5.0 h"), r.evidence);
  // A backlog written hours ago is old data, not skew.
  for (auto& s : samples)
    s.broker_time_ms = now_ms - 5 * hour;
  BOOST_TEST(check_clock_skew(samples, config(), now_ms).status
             == check_result::ok);
}

// -- database
// ---------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_missing_database_is_ok_and_a_vigil_database_is_healthy) {
  test::temp_dir dir;
  auto db = dir.file("vigil.db");
  BOOST_TEST(check_database(db).status == check_result::ok);
  {
    auto store = metrics_store::open(db);
    BOOST_REQUIRE(store);
  }
  auto r = check_database(db);
  BOOST_TEST(r.status == check_result::ok, r.evidence);
  BOOST_TEST(contains(r.evidence, "journal_mode=wal"), r.evidence);
  BOOST_TEST(contains(r.evidence, "writable"), r.evidence);
}

BOOST_AUTO_TEST_CASE(a_file_that_is_not_sqlite_fails_the_database_check) {
  test::temp_dir dir;
  write_file(dir.file("vigil.db"), std::string(4096, 'z'));
  auto r = check_database(dir.file("vigil.db"));
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "cannot read the schema"), r.evidence);
}

BOOST_AUTO_TEST_CASE(a_database_without_vigil_tables_or_wal_warns) {
  test::temp_dir dir;
  sqlite3* db = nullptr;
  sqlite3_open(dir.file("other.db").c_str(), &db);
  sqlite3_exec(db, "CREATE TABLE t(x)", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  auto r = check_database(dir.file("other.db"));
  BOOST_TEST(r.status == check_result::warn);
  BOOST_TEST(contains(r.evidence, "tables missing: service_metrics"),
             r.evidence);
  BOOST_TEST(contains(r.evidence, "journal_mode=delete"), r.evidence);
}

BOOST_AUTO_TEST_CASE(a_write_lock_held_elsewhere_fails_naming_the_holder_pid) {
  test::temp_dir dir;
  auto path = dir.file("vigil.db");
  {
    auto store = metrics_store::open(path);
    BOOST_REQUIRE(store);
  }
  sqlite3* other = nullptr;
  BOOST_REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  BOOST_REQUIRE(
      sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr)
      == SQLITE_OK);
  auto r = check_database(path, "/proc", 50);
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "locked"), r.evidence);
  BOOST_TEST(contains(r.evidence, "pid " + std::to_string(::getpid())),
             r.evidence);
  BOOST_TEST(contains(r.evidence, "WRITE lock on vigil.db-shm"), r.evidence);
  BOOST_TEST(contains(r.fix, "kill " + std::to_string(::getpid())), r.fix);
}

// -- ports
// ------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_taken_port_fails_naming_the_listening_pid) {
  listener taken;
  auto r = check_ports(
      {{"http", "--http-port", taken.port}, {"console", "--console-port", 0}});
  BOOST_TEST(r.status == check_result::fail);
  BOOST_TEST(contains(r.evidence, "127.0.0.1:" + std::to_string(taken.port)
                                      + " in use by pid "
                                      + std::to_string(::getpid())),
             r.evidence);
  BOOST_TEST(contains(r.evidence, "console port not checked"), r.evidence);
  BOOST_TEST(contains(r.fix, "--http-port"), r.fix);
}

BOOST_AUTO_TEST_CASE(a_free_port_passes) {
  uint16_t port = 0;
  {
    listener probe;
    port = probe.port;
  }
  auto r = check_ports({{"http", "--http-port", port}});
  BOOST_TEST(r.status == check_result::ok);
  BOOST_TEST(contains(r.evidence, "free"), r.evidence);
}

// -- rendering
// --------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(text_output_tags_each_check_and_indents_fixes) {
  std::vector<check_result> results{
      {"a", check_result::ok, "fine", ""},
      {"b", check_result::warn, "hmm", "do x"},
      {"c", check_result::fail, "broken", "do y"}};
  auto text = render_text(results);
  BOOST_TEST(contains(text, "OK    a: fine\n"));
  BOOST_TEST(contains(text, "WARN  b: hmm\n      fix: do x\n"));
  BOOST_TEST(contains(text, "FAIL  c: broken\n      fix: do y\n"));
  BOOST_TEST(contains(text, "1 ok, 1 warn, 1 fail"));
  BOOST_TEST(exit_status(results) == 1);
  results.pop_back();
  BOOST_TEST(exit_status(results) == 0);
}

BOOST_AUTO_TEST_CASE(json_output_is_one_document_with_checks_and_ok) {
  std::vector<check_result> results{
      {"a", check_result::ok, "fine", ""},
      {"b", check_result::fail, std::string{"bad \xff byte"}, "fix it"}};
  auto doc = nlohmann::json::parse(render_json(results));
  BOOST_TEST(doc["ok"] == false);
  BOOST_REQUIRE_EQUAL(doc["checks"].size(), 2u);
  BOOST_TEST(doc["checks"][1]["status"] == "fail");
  BOOST_TEST(doc["checks"][1]["fix"] == "fix it");
  BOOST_TEST(doc["checks"][0]["name"] == "a");
}

BOOST_AUTO_TEST_CASE(a_running_node_with_a_stalled_partition_is_named) {
  vigil::doctor::node_probe probe;
  probe.address = "127.0.0.1:8080";
  probe.answered = true;
  probe.assigned = 2;
  probe.stalled.push_back({1, 16000, 61000});
  auto r = vigil::doctor::check_running_node(probe);
  BOOST_TEST(r.status == vigil::doctor::check_result::fail);
  BOOST_TEST(r.evidence.find("partition 1 (lag 16000, no progress for 61 s)")
                 != std::string::npos,
             r.evidence);
  BOOST_TEST(r.fix.find("vigil console partitions") != std::string::npos);
  probe.stalled.clear();
  r = vigil::doctor::check_running_node(probe);
  BOOST_TEST(r.status == vigil::doctor::check_result::ok);
  BOOST_TEST(r.evidence.find("2 partitions, none stalled") != std::string::npos,
             r.evidence);
}

BOOST_AUTO_TEST_CASE(no_running_node_is_not_a_problem) {
  // Nothing listens on a port that was free a moment ago.
  auto probe = vigil::doctor::probe_running_node(
      "127.0.0.1", static_cast<uint64_t>(vigil::test::free_loopback_port()));
  BOOST_TEST(!probe.answered);
  auto r = vigil::doctor::check_running_node(probe);
  BOOST_TEST(r.status == vigil::doctor::check_result::ok);
  BOOST_TEST(r.evidence.find("nothing running to inspect")
             != std::string::npos);
}
