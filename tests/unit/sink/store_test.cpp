#define BOOST_TEST_MODULE store
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "actors/sink/store.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace fs = std::filesystem;

namespace {

struct fixture {
  test::temp_dir dir;
  std::string db_path = dir.file("data/vigil.db");
  std::string topic = "raw_events";
};

window_row make_row(const std::string& service, int64_t start, int64_t requests,
                    int64_t errors, double p95) {
  window_row row;
  row.service = service;
  row.window_start = start;
  row.window_end = start + 10000;
  row.request_count = requests;
  row.error_count = errors;
  row.error_rate = requests > 0 ? static_cast<double>(errors) / requests : 0;
  row.avg_latency_ms = p95 / 2;
  row.p50_latency_ms = p95 / 3;
  row.p95_latency_ms = p95;
  row.p99_latency_ms = p95 * 1.5;
  row.max_latency_ms = p95 * 2;
  row.late_count = 1;
  row.updated_at = start + 12000;
  return row;
}

anomaly_row make_anomaly(const std::string& service, int64_t start,
                         double observed, int64_t detected_at) {
  anomaly_row anomaly;
  anomaly.service = service;
  anomaly.window_start = start;
  anomaly.metric = "error_rate";
  anomaly.observed = observed;
  anomaly.expected = 0.01;
  anomaly.score = 20;
  anomaly.severity = "critical";
  anomaly.detector = "ewma";
  anomaly.detected_at = detected_at;
  return anomaly;
}

metrics_store open_store(const std::string& path, int busy_timeout_ms = 1000) {
  auto store = metrics_store::open(path, busy_timeout_ms);
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  return std::move(*store);
}

sqlite_db open_reader(const std::string& path) {
  auto db = sqlite_db::open(path, open_mode::read_only, 1000);
  BOOST_REQUIRE_MESSAGE(db, (db ? "" : db.error().message));
  return std::move(*db);
}

/// Runs a query and returns every row as text columns joined by '|'.
std::vector<std::string> query(sqlite_db& db, const std::string& sql) {
  auto stmt = db.prepare(sql);
  BOOST_REQUIRE_MESSAGE(stmt, (stmt ? "" : stmt.error().message));
  std::vector<std::string> rows;
  while (stmt->step() == step_result::row) {
    std::string line;
    for (int i = 0; i < stmt->column_count(); ++i) {
      if (i > 0)
        line += '|';
      line += stmt->column_is_null(i) ? "NULL" : stmt->column_text(i);
    }
    rows.push_back(std::move(line));
  }
  return rows;
}

int64_t count(sqlite_db& db, const std::string& table) {
  auto stmt = db.prepare("SELECT count(*) FROM " + table);
  BOOST_REQUIRE(stmt);
  BOOST_REQUIRE(stmt->step() == step_result::row);
  return stmt->column_int64(0);
}

fs::path source_root() {
  if (const char* env = std::getenv("VIGIL_SOURCE_DIR"))
    return env;
  return fs::path{__FILE__}
      .parent_path()
      .parent_path()
      .parent_path()
      .parent_path();
}

/// The text of schemas/migrations/*.sql, one entry per file, in order.
std::vector<std::string> read_migrations() {
  auto dir = source_root() / "schemas" / "migrations";
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator{dir})
    if (entry.path().extension() == ".sql")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  BOOST_REQUIRE_MESSAGE(!files.empty(), "no migrations under " << dir);
  std::vector<std::string> out;
  for (const auto& file : files) {
    std::ifstream in{file};
    std::stringstream buf;
    buf << in.rdbuf();
    out.push_back(buf.str());
  }
  return out;
}

std::string read_schema_file() {
  std::string text;
  for (const auto& sql : read_migrations())
    text += sql;
  return text;
}

const char* master_sql = "SELECT type, name, tbl_name, sql FROM sqlite_master "
                         "ORDER BY type, name";

} // namespace

BOOST_FIXTURE_TEST_SUITE(store_tests, fixture)

BOOST_AUTO_TEST_CASE(the_store_schema_equals_the_migrations_in_schemas) {
  auto text = read_schema_file();
  BOOST_TEST(std::string{metrics_store::schema()} == text);
  auto store = open_store(db_path);
  auto reference
      = sqlite_db::open(dir.file("reference.db"), open_mode::read_write_create);
  BOOST_REQUIRE(reference);
  BOOST_REQUIRE(reference->exec(text));
  auto expected = query(*reference, master_sql);
  auto actual = query(store.db(), master_sql);
  BOOST_TEST(expected.size() >= 5u);
  BOOST_TEST(actual == expected, boost::test_tools::per_element());
  for (auto table : {"service_metrics", "anomalies", "incidents", "checkpoints",
                     "checkpoint_offsets"}) {
    auto pragma = std::string{"PRAGMA table_info("} + table + ")";
    BOOST_TEST(query(store.db(), pragma) == query(*reference, pragma),
               boost::test_tools::per_element());
  }
}

BOOST_AUTO_TEST_CASE(a_new_database_is_at_the_latest_schema_version) {
  auto store = open_store(db_path);
  BOOST_TEST(metrics_store::latest_version()
             == static_cast<int64_t>(read_migrations().size()));
  auto version = store.version();
  BOOST_REQUIRE(version);
  BOOST_TEST(*version == metrics_store::latest_version());
}

BOOST_AUTO_TEST_CASE(a_database_of_the_previous_version_migrates_forward) {
  // Version 1: vigil's tables without the schema_version table, as every
  // vigil before the version was recorded left them.
  fs::create_directories(fs::path{db_path}.parent_path());
  {
    auto old = sqlite_db::open(db_path, open_mode::read_write_create);
    BOOST_REQUIRE(old);
    BOOST_REQUIRE(old->exec(read_migrations().at(0)));
    BOOST_REQUIRE(old->exec(
        "INSERT INTO service_metrics VALUES ('checkout', 0, 10000, 10, 1, "
        "0.1, 5, 4, 9, 12, 20, 0, 12000)"));
  }
  auto store = open_store(db_path);
  auto version = store.version();
  BOOST_REQUIRE(version);
  BOOST_TEST(*version == metrics_store::latest_version());
  auto rows = query(store.db(), "SELECT service, request_count FROM "
                                "service_metrics");
  BOOST_TEST(rows == std::vector<std::string>{"checkout|10"},
             boost::test_tools::per_element());
  auto stamped = query(store.db(), "SELECT version FROM schema_version");
  BOOST_TEST(stamped
                 == std::vector<std::string>{std::to_string(
                     metrics_store::latest_version())},
             boost::test_tools::per_element());
  // Opening it again changes nothing.
  auto again = open_store(db_path);
  BOOST_TEST(query(again.db(), "SELECT count(*) FROM schema_version")
                 == std::vector<std::string>{"1"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_database_newer_than_this_vigil_is_refused) {
  { auto store = open_store(db_path); }
  {
    auto db = sqlite_db::open(db_path, open_mode::read_write_create);
    BOOST_REQUIRE(db);
    BOOST_REQUIRE(
        db->exec("UPDATE schema_version SET version = "
                 + std::to_string(metrics_store::latest_version() + 1)));
  }
  auto store = metrics_store::open(db_path);
  BOOST_REQUIRE(!store);
  const auto& message = store.error().message;
  BOOST_TEST(message.find("newer than this vigil") != std::string::npos,
             message);
  BOOST_TEST(message.find("--db") != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(opening_creates_the_parent_directory_and_uses_wal) {
  auto nested = dir.file("a/b/c/vigil.db");
  auto store = open_store(nested);
  BOOST_TEST(fs::exists(nested));
  BOOST_TEST(query(store.db(), "PRAGMA journal_mode")
             == std::vector<std::string>{"wal"});
  // synchronous=NORMAL is 1.
  BOOST_TEST(query(store.db(), "PRAGMA synchronous")
             == std::vector<std::string>{"1"});
}

BOOST_AUTO_TEST_CASE(opening_again_keeps_existing_data) {
  {
    auto store = open_store(db_path);
    result_batch batch;
    batch.rows.push_back(make_row("api", 0, 100, 1, 50));
    BOOST_REQUIRE(store.commit(batch, topic, 1));
  }
  auto store = open_store(db_path);
  BOOST_TEST(count(store.db(), "service_metrics") == 1);
}

BOOST_AUTO_TEST_CASE(upserting_a_window_twice_keeps_one_row_with_the_latest) {
  auto store = open_store(db_path);
  result_batch first;
  first.rows.push_back(make_row("api", 10000, 100, 1, 50));
  BOOST_REQUIRE(store.commit(first, topic, 1));
  result_batch second;
  second.rows.push_back(make_row("api", 10000, 130, 7, 80));
  BOOST_REQUIRE(store.commit(second, topic, 2));
  auto reader = open_reader(db_path);
  auto rows = query(reader, "SELECT service, window_start, window_end, "
                            "request_count, error_count, p95_latency_ms, "
                            "updated_at FROM service_metrics");
  BOOST_TEST(
      rows == std::vector<std::string>{"api|10000|20000|130|7|80.0|22000"},
      boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(rows_without_an_update_time_get_the_commit_time) {
  auto store = open_store(db_path);
  result_batch batch;
  batch.rows.push_back(make_row("api", 0, 100, 1, 50));
  batch.rows.back().updated_at = 0;
  BOOST_REQUIRE(store.commit(batch, topic, 4242));
  BOOST_TEST(query(store.db(), "SELECT updated_at FROM service_metrics")
             == std::vector<std::string>{"4242"});
}

BOOST_AUTO_TEST_CASE(a_replayed_anomaly_keeps_its_first_detection_time) {
  auto store = open_store(db_path);
  result_batch first;
  first.anomalies.push_back(make_anomaly("api", 0, 0.4, 1000));
  BOOST_REQUIRE(store.commit(first, topic, 1000));
  result_batch replay;
  replay.anomalies.push_back(make_anomaly("api", 0, 0.45, 9000));
  BOOST_REQUIRE(store.commit(replay, topic, 9000));
  BOOST_TEST(query(store.db(), "SELECT observed, detected_at FROM anomalies")
             == std::vector<std::string>{"0.45|1000"});
}

BOOST_AUTO_TEST_CASE(without_a_checkpoint_nothing_is_loaded) {
  auto store = open_store(db_path);
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_TEST(!loaded->has_value());
}

BOOST_AUTO_TEST_CASE(a_checkpoint_commit_stores_rows_offsets_and_states) {
  auto store = open_store(db_path);
  result_batch batch;
  batch.rows.push_back(make_row("api", 0, 100, 1, 50));
  batch.rows.push_back(make_row("db", 0, 10, 0, 5));
  batch.anomalies.push_back(make_anomaly("api", 0, 0.4, 77));
  batch.checkpoint = 7;
  batch.offsets = {{0, 120}, {1, 98}, {2, 0}};
  batch.merger_state = std::string{"merger\0state", 12};
  batch.detector_state = R"({"services":{}})";
  BOOST_REQUIRE(store.commit(batch, topic, 5000));
  auto reader = open_reader(db_path);
  BOOST_TEST(count(reader, "service_metrics") == 2);
  BOOST_TEST(count(reader, "anomalies") == 1);
  BOOST_TEST(query(reader, "SELECT topic, partition, next_offset, checkpoint "
                           "FROM checkpoint_offsets ORDER BY partition")
                 == (std::vector<std::string>{"raw_events|0|120|7",
                                              "raw_events|1|98|7",
                                              "raw_events|2|0|7"}),
             boost::test_tools::per_element());
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  const auto& cp = **loaded;
  BOOST_TEST(cp.id == 7u);
  BOOST_TEST(cp.created_at == 5000);
  BOOST_TEST(cp.merger_state == batch.merger_state);
  BOOST_TEST(cp.detector_state == batch.detector_state);
  BOOST_REQUIRE(cp.offsets.size() == 3u);
  BOOST_TEST(cp.offsets[0].next_offset == 120);
  BOOST_TEST(cp.offsets[1].partition == 1);
  BOOST_TEST(cp.offsets[1].next_offset == 98);
  auto other = store.load_latest_checkpoint("other_topic");
  BOOST_REQUIRE(other);
  BOOST_REQUIRE(other->has_value());
  BOOST_TEST((*other)->offsets.empty());
}

BOOST_AUTO_TEST_CASE(the_latest_checkpoint_wins_and_only_a_few_are_kept) {
  auto store = open_store(db_path);
  for (uint64_t id = 1; id <= 6; ++id) {
    result_batch batch;
    batch.checkpoint = id;
    batch.offsets = {{0, static_cast<int64_t>(id * 10)}};
    batch.detector_state = "state-" + std::to_string(id);
    BOOST_REQUIRE(store.commit(batch, topic, static_cast<int64_t>(id)));
  }
  BOOST_TEST(query(store.db(), "SELECT id FROM checkpoints ORDER BY id")
                 == (std::vector<std::string>{"4", "5", "6"}),
             boost::test_tools::per_element());
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST((*loaded)->id == 6u);
  BOOST_TEST((*loaded)->detector_state == "state-6");
  BOOST_REQUIRE((*loaded)->offsets.size() == 1u);
  BOOST_TEST((*loaded)->offsets[0].next_offset == 60);
}

BOOST_AUTO_TEST_CASE(a_failure_inside_the_commit_leaves_nothing_behind) {
  auto store = open_store(db_path);
  // Make the last step of the transaction fail.
  BOOST_REQUIRE(store.db().exec(
      "CREATE TRIGGER fail_offsets BEFORE INSERT ON checkpoint_offsets "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END"));
  result_batch batch;
  batch.rows.push_back(make_row("api", 0, 100, 1, 50));
  batch.anomalies.push_back(make_anomaly("api", 0, 0.4, 77));
  batch.checkpoint = 3;
  batch.offsets = {{0, 10}};
  auto st = store.commit(batch, topic, 1);
  BOOST_REQUIRE(!st);
  BOOST_TEST(!st.error().retryable);
  BOOST_TEST(st.error().message.find("injected") != std::string::npos);
  BOOST_TEST(!store.db().in_transaction());
  for (auto table :
       {"service_metrics", "anomalies", "checkpoints", "checkpoint_offsets"})
    BOOST_TEST(count(store.db(), table) == 0, table);
}

BOOST_AUTO_TEST_CASE(a_locked_database_gives_a_retryable_error_then_commits) {
  auto store = open_store(db_path, 10);
  auto other = sqlite_db::open(db_path, open_mode::read_write_create, 0);
  BOOST_REQUIRE(other);
  BOOST_REQUIRE(other->exec("BEGIN EXCLUSIVE"));
  result_batch batch;
  batch.rows.push_back(make_row("api", 0, 100, 1, 50));
  batch.checkpoint = 1;
  batch.offsets = {{0, 42}};
  auto st = store.commit(batch, topic, 1);
  BOOST_REQUIRE(!st);
  BOOST_TEST(st.error().retryable);
  BOOST_TEST(!store.db().in_transaction());
  BOOST_REQUIRE(other->exec("COMMIT"));
  auto retried = store.commit(batch, topic, 2);
  BOOST_REQUIRE_MESSAGE(retried, (retried ? "" : retried.error().message));
  auto reader = open_reader(db_path);
  BOOST_TEST(count(reader, "service_metrics") == 1);
  BOOST_TEST(query(reader, "SELECT next_offset FROM checkpoint_offsets")
             == std::vector<std::string>{"42"});
}

BOOST_AUTO_TEST_CASE(read_only_readers_read_while_a_write_is_in_progress) {
  auto store = open_store(db_path);
  result_batch first;
  first.rows.push_back(make_row("api", 0, 100, 1, 50));
  BOOST_REQUIRE(store.commit(first, topic, 1));
  // Hold the write lock with a second writer, mid-transaction.
  auto writer = sqlite_db::open(db_path, open_mode::read_write_create, 0);
  BOOST_REQUIRE(writer);
  BOOST_REQUIRE(writer->exec("BEGIN IMMEDIATE"));
  BOOST_REQUIRE(writer->exec("UPDATE service_metrics SET request_count = 999"));
  auto reader = open_reader(db_path);
  BOOST_TEST(query(reader, "SELECT request_count FROM service_metrics")
             == std::vector<std::string>{"100"});
  // Read-only connections cannot write.
  auto st = reader.exec("DELETE FROM service_metrics");
  BOOST_TEST(!st);
  BOOST_REQUIRE(writer->exec("COMMIT"));
  BOOST_TEST(query(reader, "SELECT request_count FROM service_metrics")
             == std::vector<std::string>{"999"});
}

BOOST_AUTO_TEST_CASE(incidents_are_upserted_by_id_and_open_ones_have_no_end) {
  auto store = open_store(db_path);
  incident_row open;
  open.id = 7;
  open.service = "payments";
  open.started_at = 30000;
  open.severity = "high";
  open.anomaly_count = 2;
  open.summary = "payments: error rate up to 30.0%";
  result_batch first;
  first.incidents.push_back(open);
  BOOST_REQUIRE(store.commit(first, topic, 1));
  BOOST_TEST(query(store.db(), "SELECT id, service, started_at, ended_at, "
                               "severity, anomaly_count, summary FROM "
                               "incidents")
                 == (std::vector<std::string>{
                     "7|payments|30000|NULL|high|2|payments: error rate up "
                     "to 30.0%"}),
             boost::test_tools::per_element());
  auto closed = open;
  closed.ended_at = 90000;
  closed.severity = "critical";
  closed.anomaly_count = 6;
  closed.summary = "closed";
  result_batch second;
  second.incidents.push_back(closed);
  second.checkpoint = 2;
  second.narrator_state = R"({"next_id":8})";
  BOOST_REQUIRE(store.commit(second, topic, 2));
  BOOST_TEST(query(store.db(), "SELECT id, ended_at, severity, anomaly_count, "
                               "summary FROM incidents")
                 == (std::vector<std::string>{"7|90000|critical|6|closed"}),
             boost::test_tools::per_element());
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST((*loaded)->narrator_state == second.narrator_state);
  BOOST_TEST((*loaded)->last_incident_id == 7);
}

BOOST_AUTO_TEST_CASE(a_database_of_an_older_version_gains_the_narrator_column) {
  {
    auto old = sqlite_db::open(db_path, open_mode::read_write_create);
    BOOST_REQUIRE(old);
    BOOST_REQUIRE(old->exec(
        "CREATE TABLE checkpoints (id INTEGER PRIMARY KEY, created_at "
        "INTEGER NOT NULL, merger_state BLOB, detector_state BLOB);"
        "INSERT INTO checkpoints VALUES (3, 30, 'm', 'd')"));
  }
  auto store = open_store(db_path);
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST((*loaded)->id == 3u);
  BOOST_TEST((*loaded)->detector_state == "d");
  BOOST_TEST((*loaded)->narrator_state.empty());
  BOOST_TEST((*loaded)->last_incident_id == 0);
  result_batch batch;
  batch.checkpoint = 4;
  batch.narrator_state = "n";
  BOOST_REQUIRE(store.commit(batch, topic, 40));
  // Opening again finds the column and leaves the table alone.
  auto again = open_store(db_path);
  loaded = again.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST((*loaded)->narrator_state == "n");
}

BOOST_AUTO_TEST_SUITE_END()
