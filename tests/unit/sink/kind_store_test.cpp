#define BOOST_TEST_MODULE kind_store
#include <boost/test/unit_test.hpp>

// metrics_store::use_kind (actors/sink/store.hpp) on a real SQLite file:
// window rows of an event kind go to the kind's table with the joined key
// split into its columns, in the same transaction as anomalies and the
// checkpoint; a re-commit updates the row.

#include <string>
#include <vector>

#include "actors/sink/store.hpp"
#include "runtime/event_kind.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

struct fixture {
  test::temp_dir dir;
  std::string db_path = dir.file("data/vigil.db");
  std::string topic = "sensor_events";
};

kind_schema load(const std::string& name) {
  auto k = load_kind_schema(name);
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  return *k;
}

metrics_store open_store(const std::string& path) {
  auto store = metrics_store::open(path, 1000);
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  return std::move(*store);
}

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

/// A sensor window row: value column i holds base + i / 4.
window_row sensor_row(const std::string& key, int64_t start, double base,
                      int64_t events) {
  window_row row;
  row.service = key;
  row.window_start = start;
  row.window_end = start + 60'000;
  row.request_count = events;
  row.late_count = 1;
  row.updated_at = start + 61'000;
  for (int i = 0; i < 16; ++i)
    row.values.push_back(base + i / 4.0);
  return row;
}

anomaly_row band_anomaly(const std::string& key, int64_t start) {
  anomaly_row a;
  a.service = key;
  a.window_start = start;
  a.metric = "ph";
  a.observed = 8.2;
  a.expected = 7.5;
  a.score = 0.85;
  a.severity = "high";
  a.detector = "band";
  a.detected_at = start + 62'000;
  return a;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(kind_store, fixture)

BOOST_AUTO_TEST_CASE(kind_rows_go_to_the_kind_table_with_split_keys) {
  auto store = open_store(db_path);
  BOOST_REQUIRE(store.use_kind(load("sensor")));
  result_batch batch;
  batch.rows.push_back(sensor_row("s-1|north", 60'000, 7, 30));
  batch.rows.push_back(sensor_row("s-2|south", 60'000, 6, 12));
  batch.rows.push_back(sensor_row("s-1|north", 120'000, 5, 31));
  batch.anomalies.push_back(band_anomaly("s-1|north", 60'000));
  batch.checkpoint = 4;
  batch.offsets = {{0, 40}, {1, 33}};
  batch.merger_state = R"({"version":1})";
  batch.detector_state = R"({"version":1,"detector":"kind","services":{}})";
  auto st = store.commit(batch, topic, 9'000);
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));

  auto& db = store.db();
  BOOST_TEST(query(db, "SELECT sensor_id, site, window_start, window_end, "
                       "event_count, late_count, ph_mean, ph_last, "
                       "ec_ms_cm_last, updated_at FROM sensor_metrics "
                       "ORDER BY sensor_id, window_start")
                 == (std::vector<std::string>{
                     "s-1|north|60000|120000|30|1|7.0|7.75|10.75|121000",
                     "s-1|north|120000|180000|31|1|5.0|5.75|8.75|181000",
                     "s-2|south|60000|120000|12|1|6.0|6.75|9.75|121000"}),
             boost::test_tools::per_element());
  // Nothing went to the request table.
  BOOST_TEST(query(db, "SELECT count(*) FROM service_metrics")
             == std::vector<std::string>{"0"});
  // Anomalies and the checkpoint in the same commit.
  BOOST_TEST(query(db, "SELECT service, metric, detector FROM anomalies")
                 == std::vector<std::string>{"s-1|north|ph|band"},
             boost::test_tools::per_element());
  auto loaded = store.load_latest_checkpoint(topic);
  BOOST_REQUIRE(loaded);
  BOOST_REQUIRE(loaded->has_value());
  BOOST_TEST((*loaded)->id == 4u);
  BOOST_TEST((*loaded)->detector_state == batch.detector_state);
  BOOST_REQUIRE_EQUAL((*loaded)->offsets.size(), 2u);
  BOOST_TEST((*loaded)->offsets[1].next_offset == 33);
}

BOOST_AUTO_TEST_CASE(a_recommit_updates_the_row) {
  auto store = open_store(db_path);
  BOOST_REQUIRE(store.use_kind(load("sensor")));
  result_batch first;
  first.rows.push_back(sensor_row("s-1|north", 60'000, 7, 30));
  BOOST_REQUIRE(store.commit(first, topic, 1));
  result_batch second;
  auto row = sensor_row("s-1|north", 60'000, 2, 45);
  row.late_count = 4;
  row.updated_at = 0; // the commit time then
  second.rows.push_back(row);
  second.checkpoint = 1;
  second.offsets = {{0, 10}};
  BOOST_REQUIRE(store.commit(second, topic, 777'000));
  BOOST_TEST(query(store.db(), "SELECT sensor_id, site, event_count, "
                               "late_count, ph_mean, humidity_pct_max, "
                               "updated_at FROM sensor_metrics")
                 == std::vector<std::string>{"s-1|north|45|4|2.0|4.5|777000"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_failed_commit_leaves_no_kind_rows_behind) {
  auto store = open_store(db_path);
  BOOST_REQUIRE(store.use_kind(load("sensor")));
  BOOST_REQUIRE(store.db().exec(
      "CREATE TRIGGER fail_offsets BEFORE INSERT ON checkpoint_offsets "
      "BEGIN SELECT RAISE(ABORT, 'injected'); END"));
  result_batch batch;
  batch.rows.push_back(sensor_row("s-1|north", 60'000, 7, 30));
  batch.anomalies.push_back(band_anomaly("s-1|north", 60'000));
  batch.checkpoint = 2;
  batch.offsets = {{0, 10}};
  auto st = store.commit(batch, topic, 1);
  BOOST_REQUIRE(!st);
  BOOST_TEST(query(store.db(), "SELECT count(*) FROM sensor_metrics")
             == std::vector<std::string>{"0"});
  BOOST_TEST(query(store.db(), "SELECT count(*) FROM anomalies")
             == std::vector<std::string>{"0"});
  BOOST_TEST(query(store.db(), "SELECT count(*) FROM checkpoints")
             == std::vector<std::string>{"0"});
}

BOOST_AUTO_TEST_CASE(trade_rows_and_a_reopened_store_keep_the_table) {
  {
    auto store = open_store(db_path);
    BOOST_REQUIRE(store.use_kind(load("trade")));
    result_batch batch;
    window_row row;
    row.service = "ACME|XNYS";
    row.window_start = 0;
    row.window_end = 60'000;
    row.request_count = 7;
    row.updated_at = 1;
    row.values = {100.5, 101.25, 99.75, 100.0, 100.125, 700};
    batch.rows.push_back(row);
    BOOST_REQUIRE(store.commit(batch, "trades", 1));
  }
  // use_kind on a database that already has the table.
  auto store = open_store(db_path);
  BOOST_REQUIRE(store.use_kind(load("trade")));
  result_batch batch;
  window_row row;
  row.service = "ACME|XNYS";
  row.window_start = 60'000;
  row.window_end = 120'000;
  row.request_count = 2;
  row.updated_at = 2;
  // Fewer values than columns: the rest are stored as 0.
  row.values = {100.0, 100.5};
  batch.rows.push_back(row);
  // A key without the separator: the missing key values are empty.
  row.service = "BOLT";
  batch.rows.push_back(row);
  BOOST_REQUIRE(store.commit(batch, "trades", 2));
  BOOST_TEST(query(store.db(),
                   "SELECT symbol, exchange, window_start, event_count, "
                   "price_open, price_high, price_close, price_vwap, size_sum "
                   "FROM trade_candles ORDER BY symbol, window_start")
                 == (std::vector<std::string>{
                     "ACME|XNYS|0|7|100.5|101.25|100.0|100.125|700.0",
                     "ACME|XNYS|60000|2|100.0|100.5|0.0|0.0|0.0",
                     "BOLT||60000|2|100.0|100.5|0.0|0.0|0.0"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()
