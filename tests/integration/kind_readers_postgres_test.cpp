#define BOOST_TEST_MODULE kind_readers_postgres
#include <boost/test/unit_test.hpp>

// The readers of /api/kind/keys, /api/kind/windows and the console's
// `services` (actors/node/kind_view.hpp) see the same windows of a kind's
// table on a real, throwaway PostgreSQL 15 (timestamptz, double precision)
// as on SQLite (epoch ms, REAL): trade candles, sensor windows, a declared
// kind whose table and keys are SQL keywords, and the request kind's
// service_metrics.

#include <cstdint>
#include <string>
#include <vector>

#include "actors/node/kind_view.hpp"
#include "actors/sink/pg_store.hpp"
#include "actors/sink/store.hpp"
#include "runtime/event_kind.hpp"
#include "support/pg_server.hpp"
#include "support/process.hpp"

using namespace vigil;

namespace {

constexpr int64_t t0 = 1'767'225'600'000;

/// Three windows of two keys of `kind`, values i / 7 + k (not exact in
/// decimal: they must round-trip as doubles).
result_batch kind_batch(const kind_schema& kind,
                        const std::vector<std::string>& keys) {
  result_batch b;
  auto n = kind.value_columns().size();
  for (size_t k = 0; k < keys.size(); ++k)
    for (int w = 0; w < 3; ++w) {
      window_row row;
      row.service = keys[k];
      row.window_start = t0 + w * 10'000 + 123;
      row.window_end = row.window_start + 10'000;
      row.request_count = 10 * static_cast<int64_t>(k) + w + 1;
      row.late_count = w % 2;
      for (size_t i = 0; i < n; ++i)
        row.values.push_back(static_cast<double>(i) / 7.0
                             + static_cast<double>(k) + w);
      row.updated_at = t0 + 100'001;
      row.final = true;
      b.rows.push_back(row);
    }
  return b;
}

void check_same(const std::vector<kind_window_row>& pg,
                const std::vector<kind_window_row>& lite) {
  BOOST_REQUIRE_EQUAL(pg.size(), lite.size());
  for (size_t i = 0; i < pg.size(); ++i) {
    BOOST_TEST(pg[i].key == lite[i].key);
    BOOST_TEST(pg[i].key_values == lite[i].key_values,
               boost::test_tools::per_element());
    BOOST_TEST(pg[i].window_start == lite[i].window_start);
    BOOST_TEST(pg[i].window_end == lite[i].window_end);
    BOOST_TEST(pg[i].event_count == lite[i].event_count);
    BOOST_TEST(pg[i].late_count == lite[i].late_count);
    BOOST_TEST(pg[i].updated_at == lite[i].updated_at);
    BOOST_REQUIRE_EQUAL(pg[i].values.size(), lite[i].values.size());
    for (size_t c = 0; c < pg[i].values.size(); ++c) {
      BOOST_TEST_REQUIRE(pg[i].values[c].has_value());
      BOOST_TEST_REQUIRE(lite[i].values[c].has_value());
      BOOST_TEST(*pg[i].values[c] == *lite[i].values[c]);
    }
  }
}

} // namespace

BOOST_AUTO_TEST_CASE(kind_readers_agree_on_postgresql_and_sqlite) {
  test::pg_server pg;
  test::temp_dir dir;
  for (const std::string name : {"trade", "sensor"}) {
    auto kind = load_kind_schema(name);
    BOOST_REQUIRE_MESSAGE(kind, (kind ? "" : kind.error()));
    pg.create_database(name);
    auto pgurl = pg.url(name);
    auto lite = dir.file(name + ".db");
    auto p = pg_store::open(pgurl);
    BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
    auto l = metrics_store::open(lite);
    BOOST_REQUIRE(l);
    BOOST_REQUIRE(p->use_kind(*kind));
    BOOST_REQUIRE(l->use_kind(*kind));
    std::vector<std::string> keys
        = name == "trade" ? std::vector<std::string>{"B|XNAS", "A|XNYS"}
                          : std::vector<std::string>{"sensor-0002|north",
                                                     "sensor-0001|south"};
    auto batch = kind_batch(*kind, keys);
    BOOST_REQUIRE(p->commit(batch, "events", t0 + 100'002, "events.dlq"));
    BOOST_REQUIRE(l->commit(batch, "events", t0 + 100'002, "events.dlq"));
    auto view = make_kind_view(&*kind);

    auto pl = read_kind_latest(pgurl, view);
    auto ll = read_kind_latest(lite, view);
    BOOST_REQUIRE_MESSAGE(pl, (pl ? "" : pl.error().message));
    BOOST_REQUIRE_MESSAGE(ll, (ll ? "" : ll.error().message));
    BOOST_REQUIRE_EQUAL(ll->size(), 2u);
    // Ordered by key, each its latest window.
    BOOST_TEST((*ll)[0].key == keys[1]);
    BOOST_TEST((*ll)[1].key == keys[0]);
    BOOST_TEST((*ll)[0].window_start == t0 + 20'123);
    BOOST_TEST((*ll)[0].event_count == 13);
    BOOST_TEST(*(*ll)[0].values.back()
               == static_cast<double>(view.columns.size() - 1) / 7.0 + 3);
    check_same(*pl, *ll);

    auto parts = split_key(keys[0], view.keys.size());
    for (int64_t since : {INT64_MIN, t0 + 10'123, t0 + 10'124}) {
      auto pw = read_kind_windows(pgurl, view, parts, since);
      auto lw = read_kind_windows(lite, view, parts, since);
      BOOST_REQUIRE_MESSAGE(pw, (pw ? "" : pw.error().message));
      BOOST_REQUIRE(lw);
      BOOST_TEST(lw->size()
                 == (since == INT64_MIN     ? 3u
                     : since == t0 + 10'123 ? 2u
                                            : 1u));
      check_same(*pw, *lw);
    }
    BOOST_TEST(
        read_kind_windows(pgurl, view, {"none", "x"}, INT64_MIN)->empty());
  }
}

BOOST_AUTO_TEST_CASE(keys_and_tables_named_like_sql_keywords_are_read) {
  test::pg_server pg;
  test::temp_dir dir;
  auto kind = parse_kind_schema(R"({
    "kind": "orders", "table": "order", "keys": ["group", "user"],
    "time": "timestamp",
    "measures": [{"name": "select", "aggregations": ["sum", "max"]}]})",
                                "orders.json");
  BOOST_REQUIRE_MESSAGE(kind, (kind ? "" : kind.error()));
  auto pgurl = pg.url("vigil");
  auto lite = dir.file("orders.db");
  auto p = pg_store::open(pgurl);
  BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
  auto l = metrics_store::open(lite);
  BOOST_REQUIRE(l);
  BOOST_REQUIRE(p->use_kind(*kind));
  BOOST_REQUIRE(l->use_kind(*kind));
  auto batch = kind_batch(*kind, {"g1|u1", "g1|u2"});
  BOOST_REQUIRE(p->commit(batch, "events", t0 + 100'002, "events.dlq"));
  BOOST_REQUIRE(l->commit(batch, "events", t0 + 100'002, "events.dlq"));
  auto view = make_kind_view(&*kind);
  for (const auto& db : {pgurl, lite}) {
    auto latest = read_kind_latest(db, view);
    BOOST_REQUIRE_MESSAGE(latest, (latest ? "" : latest.error().message));
    BOOST_REQUIRE_EQUAL(latest->size(), 2u);
    BOOST_TEST((*latest)[1].key == "g1|u2");
    auto windows = read_kind_windows(db, view, {"g1", "u1"}, INT64_MIN);
    BOOST_REQUIRE_MESSAGE(windows, (windows ? "" : windows.error().message));
    BOOST_TEST(windows->size() == 3u);
  }
  check_same(*read_kind_latest(pgurl, view), *read_kind_latest(lite, view));
}

BOOST_AUTO_TEST_CASE(the_request_view_reads_service_metrics_on_postgresql) {
  test::pg_server pg;
  test::temp_dir dir;
  auto pgurl = pg.url("vigil");
  auto lite = dir.file("request.db");
  auto p = pg_store::open(pgurl);
  BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
  auto l = metrics_store::open(lite);
  BOOST_REQUIRE(l);
  result_batch b;
  for (int w = 0; w < 2; ++w) {
    window_row row;
    row.service = "checkout";
    row.window_start = t0 + w * 10'000;
    row.window_end = row.window_start + 10'000;
    row.request_count = 100 + w;
    row.error_count = 3;
    row.error_rate = 3.0 / (100 + w);
    row.p95_latency_ms = 45.0 / 7.0;
    row.updated_at = t0 + 30'000;
    b.rows.push_back(row);
  }
  BOOST_REQUIRE(p->commit(b, "events", t0 + 30'001, "events.dlq"));
  BOOST_REQUIRE(l->commit(b, "events", t0 + 30'001, "events.dlq"));
  auto view = make_kind_view(nullptr);
  auto pl = read_kind_latest(pgurl, view);
  auto ll = read_kind_latest(lite, view);
  BOOST_REQUIRE_MESSAGE(pl, (pl ? "" : pl.error().message));
  BOOST_REQUIRE(ll);
  BOOST_REQUIRE_EQUAL(ll->size(), 1u);
  BOOST_TEST((*ll)[0].event_count == 101);
  check_same(*pl, *ll);
  auto pw = read_kind_windows(pgurl, view, {"checkout"}, INT64_MIN);
  auto lw = read_kind_windows(lite, view, {"checkout"}, INT64_MIN);
  BOOST_REQUIRE(pw && lw);
  BOOST_TEST(lw->size() == 2u);
  check_same(*pw, *lw);
}
