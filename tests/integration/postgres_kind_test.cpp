#define BOOST_TEST_MODULE postgres_kind
#include <boost/test/unit_test.hpp>

// pg_store::use_kind against a real, throwaway PostgreSQL 15
// (tests/support/pg_server): the kind's table is created from its
// declaration, rows land with their key split into columns and times as
// timestamptz, in the checkpoint's transaction, and a re-commit updates them.

#include <algorithm>
#include <string>

#include "actors/messages.hpp"
#include "actors/sink/pg_store.hpp"
#include "runtime/event_kind.hpp"
#include "support/pg_server.hpp"

using namespace vigil;

namespace {

struct pg_fixture {
  test::pg_server pg;
};

kind_schema load(const std::string& name) {
  auto k = load_kind_schema(name);
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  return *k;
}

window_row candle(const std::string& key, int64_t start, double open,
                  double close, int64_t trades) {
  window_row row;
  row.service = key;
  row.window_start = start;
  row.window_end = start + 60'000;
  row.request_count = trades;
  row.late_count = 1;
  row.updated_at = start + 61'000;
  row.values = {open,  std::max(open, close) + 0.5, std::min(open, close) - 0.5,
                close, (open + close) / 2,          1000.0 / 3.0};
  return row;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(postgres_kind, pg_fixture)

BOOST_AUTO_TEST_CASE(trade_candles_are_stored_with_the_checkpoint) {
  auto store = pg_store::open(pg.url());
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  auto st = store->use_kind(load("trade"));
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  result_batch batch;
  const int64_t t0 = 1'767'225'600'000;
  batch.rows.push_back(candle("ACME|XNYS", t0, 100.25, 101.5, 12));
  batch.rows.push_back(candle("ACME|XLON", t0, 80, 79.5, 3));
  batch.checkpoint = 1;
  batch.offsets = {{0, 15}};
  batch.detector_state = R"({"version":1,"detector":"kind","services":{}})";
  st = store->commit(batch, "trades", t0 + 62'000, "");
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  BOOST_TEST(pg.psql("SELECT symbol, exchange, "
                     "extract(epoch FROM window_start)::bigint * 1000, "
                     "extract(epoch FROM window_end)::bigint * 1000, "
                     "event_count, late_count, price_open, price_close, "
                     "size_sum FROM trade_candles ORDER BY exchange")
             == "ACME|XLON|1767225600000|1767225660000|3|1|80|79.5|"
                "333.3333333333333\n"
                "ACME|XNYS|1767225600000|1767225660000|12|1|100.25|101.5|"
                "333.3333333333333\n");
  BOOST_TEST(pg.psql("SELECT count(*) FROM service_metrics") == "0\n");
  BOOST_TEST(pg.psql("SELECT max(id) FROM checkpoints") == "1\n");
  // The primary key is (keys..., window_start).
  BOOST_TEST(pg.psql("SELECT a.attname FROM pg_index i JOIN pg_attribute a "
                     "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
                     "WHERE i.indrelid = 'trade_candles'::regclass AND "
                     "i.indisprimary ORDER BY array_position(i.indkey, "
                     "a.attnum)")
             == "symbol\nexchange\nwindow_start\n");

  // A re-commit of the window updates it; use_kind again on the existing
  // table is fine.
  BOOST_REQUIRE(store->use_kind(load("trade")));
  result_batch again;
  again.rows.push_back(candle("ACME|XNYS", t0, 100.25, 99.0, 20));
  again.checkpoint = 2;
  again.offsets = {{0, 30}};
  st = store->commit(again, "trades", t0 + 70'000, "");
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  BOOST_TEST(pg.psql("SELECT count(*), sum(event_count) FROM trade_candles")
             == "2|23\n");
  BOOST_TEST(pg.psql("SELECT price_close, price_low FROM trade_candles "
                     "WHERE exchange = 'XNYS'")
             == "99|98.5\n");
  BOOST_TEST(pg.psql("SELECT max(id) FROM checkpoints") == "2\n");
}

BOOST_AUTO_TEST_CASE(a_kind_with_keyword_keys_gets_a_working_table) {
  auto k = parse_kind_schema(
      R"({"kind":"grp","table":"order","keys":["group","user"],"time":"t",
          "measures":[{"name":"v","aggregations":["mean","max"]}]})",
      "grp.json");
  BOOST_REQUIRE_MESSAGE(k, (k ? "" : k.error()));
  auto store = pg_store::open(pg.url());
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  auto st = store->use_kind(*k);
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  result_batch batch;
  window_row row;
  row.service = "a|b";
  row.window_start = 0;
  row.window_end = 10'000;
  row.request_count = 2;
  row.updated_at = 1;
  row.values = {1.5, 2};
  batch.rows.push_back(row);
  st = store->commit(batch, "t", 1, "");
  BOOST_REQUIRE_MESSAGE(st, (st ? "" : st.error().message));
  BOOST_TEST(pg.psql("SELECT \"group\", \"user\", v_mean, v_max FROM \"order\"")
             == "a|b|1.5|2\n");
}

BOOST_AUTO_TEST_SUITE_END()
