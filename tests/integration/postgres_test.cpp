#define BOOST_TEST_MODULE postgres
#include <boost/test/unit_test.hpp>

// vigil against a real, throwaway PostgreSQL 15 (tests/support/pg_server):
// a drain is exact, an older schema migrates forward, a newer one and bad
// settings are refused at start with the part of --db to fix, and the HTTP
// API reads the same windows back.

#include <chrono>
#include <cstdint>
#include <string>

#include <libpq-fe.h>
#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "actors/node/node_http.hpp"
#include "actors/sink/pg_store.hpp"
#include "actors/sink/store.hpp"
#include "runtime/db_reader.hpp"
#include "runtime/embedded_broker.hpp"
#include "support/pg_server.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// A server of its own for each test case (initdb and start take about a
/// second).
struct pg_fixture {
  test::pg_server pg;
};

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The SQL of the migration file `name` of schemas/migrations/postgres/.
std::string migration(const std::string& name) {
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  BOOST_REQUIRE(src != nullptr);
  auto text = test::read_file(std::string{src} + "/schemas/migrations/postgres/"
                              + name);
  BOOST_REQUIRE(!text.empty());
  return text;
}

/// The `database` check of `vigil doctor --json --db url`.
nlohmann::json doctor_database(const std::string& url) {
  auto r = test::run_process(
      {test::vigil_binary(), "doctor", "--brokers", "127.0.0.1:1", "--db", url,
       "--http-port", "0", "--console-port", "0", "--timeout", "1s", "--json"},
      60s);
  BOOST_REQUIRE_MESSAGE(nlohmann::json::accept(r.out), r.out + r.err);
  auto doc = nlohmann::json::parse(r.out);
  for (const auto& c : doc["checks"])
    if (c["name"] == "database")
      return c;
  BOOST_FAIL("no database check in " + r.out);
  return {};
}

/// A batch with every kind of row, a checkpoint with binary states and the
/// offsets of 3 partitions and 2 dead-letter partitions.
result_batch sample_batch(uint64_t checkpoint) {
  result_batch b;
  b.checkpoint = checkpoint;
  for (int s = 0; s < 3; ++s)
    for (int w = 0; w < 4; ++w) {
      window_row row;
      row.service
          = s == 2 ? "tab\there \\ 'quoted'" : "svc-" + std::to_string(s);
      row.window_start = 1'767'225'600'000 + w * 10'000 + 123;
      row.window_end = row.window_start + 10'000;
      row.request_count = 100 + s * 10 + w;
      row.error_count = w;
      row.error_rate = 0.1 / 3.0 * w;
      row.avg_latency_ms = 12.345678901234567 + w;
      row.p50_latency_ms = 10.5;
      row.p95_latency_ms = 45.0 / 7.0;
      row.p99_latency_ms = 80.25;
      row.max_latency_ms = 1e6 + 0.5;
      row.late_count = w % 2;
      row.updated_at = 1'767'225'700'001;
      b.rows.push_back(row);
    }
  anomaly_row a;
  a.service = "svc-1";
  a.window_start = 1'767'225'610'123;
  a.metric = "error_rate";
  a.observed = 0.5;
  a.expected = 0.01;
  a.score = 9.75;
  a.severity = "high";
  a.detector = "spike";
  a.detected_at = 1'767'225'620'000;
  b.anomalies.push_back(a);
  incident_row open;
  open.id = 7;
  open.service = "svc-1";
  open.started_at = 1'767'225'610'123;
  open.severity = "high";
  open.anomaly_count = 1;
  open.summary = "errors on svc-1";
  incident_row closed = open;
  closed.id = 6;
  closed.ended_at = 1'767'225'605'000;
  closed.started_at = 1'767'225'600'000;
  closed.severity = "low";
  b.incidents = {open, closed};
  b.offsets = {{0, 10}, {1, 20}, {2, 30}};
  b.dead_letter_positions = {{0, 4}, {1, 5}};
  b.merger_state = std::string{"\0\1\2merger\xff", 10};
  b.detector_state = "detector";
  b.narrator_state = "narrator";
  return b;
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(postgres, pg_fixture)

BOOST_AUTO_TEST_CASE(the_readers_see_the_same_rows_on_postgresql_and_sqlite) {
  test::temp_dir dir;
  auto pgurl = pg.url("vigil");
  for (auto mode : {pg_write_mode::copy, pg_write_mode::values}) {
    auto lite = dir.file(mode == pg_write_mode::copy ? "copy.db" : "values.db");
    pg.psql("DROP TABLE IF EXISTS service_metrics, anomalies, incidents, "
            "checkpoints, checkpoint_offsets, schema_version");
    auto p = pg_store::open(pgurl, 3, mode);
    BOOST_REQUIRE_MESSAGE(p, (p ? "" : p.error().message));
    auto l = metrics_store::open(lite);
    BOOST_REQUIRE(l);
    auto batch = sample_batch(5);
    BOOST_REQUIRE(p->commit(batch, "events", 1, "events.dlq"));
    BOOST_REQUIRE(l->commit(batch, "events", 1, "events.dlq"));
    auto pw = read_latest_windows(pgurl);
    auto lw = read_latest_windows(lite);
    BOOST_REQUIRE(pw && lw);
    BOOST_REQUIRE_EQUAL(pw->size(), 3u);
    BOOST_REQUIRE_EQUAL(pw->size(), lw->size());
    for (size_t i = 0; i < pw->size(); ++i) {
      const auto& x = (*pw)[i];
      const auto& y = (*lw)[i];
      BOOST_CHECK_EQUAL(x.service, y.service);
      BOOST_CHECK_EQUAL(x.window_start, y.window_start);
      BOOST_CHECK_EQUAL(x.window_end, y.window_end);
      BOOST_CHECK_EQUAL(x.request_count, y.request_count);
      BOOST_CHECK_EQUAL(x.updated_at, y.updated_at);
      // Doubles round-trip exactly.
      BOOST_CHECK_EQUAL(x.avg_latency_ms, y.avg_latency_ms);
      BOOST_CHECK_EQUAL(x.p95_latency_ms, y.p95_latency_ms);
      BOOST_CHECK_EQUAL(x.error_rate, y.error_rate);
    }
    // What the combined detector replays at start: the last two windows of
    // each service (of four), by service, then time, on both databases.
    for (const auto& db : {pgurl, lite}) {
      auto replay = read_replay_windows(db, 10'000, 2);
      BOOST_REQUIRE_MESSAGE(replay, (replay ? "" : replay.error().message));
      BOOST_REQUIRE_EQUAL(replay->size(), 6u);
      for (size_t i = 0; i < replay->size(); ++i) {
        const auto& row = (*replay)[i];
        BOOST_CHECK_EQUAL(row.service, (*lw)[i / 2].service);
        BOOST_CHECK_EQUAL(row.window_start,
                          1'767'225'600'000 + (2 + i % 2) * 10'000 + 123);
        BOOST_CHECK_EQUAL(row.request_count, (*lw)[i / 2].request_count - 1
                                                 + static_cast<int64_t>(i % 2));
        BOOST_CHECK_EQUAL(row.p95_latency_ms, 45.0 / 7.0);
      }
      BOOST_CHECK_EQUAL(read_replay_windows(db, 10'000, 100)->size(), 12u);
    }
    auto pa = read_anomalies(pgurl, INT64_MIN, "", 100);
    auto la = read_anomalies(lite, INT64_MIN, "", 100);
    BOOST_REQUIRE(pa && la);
    BOOST_REQUIRE_EQUAL(pa->size(), 1u);
    BOOST_CHECK_EQUAL((*pa)[0].window_start, (*la)[0].window_start);
    BOOST_CHECK_EQUAL((*pa)[0].detected_at, (*la)[0].detected_at);
    BOOST_CHECK_EQUAL(read_anomalies(pgurl, INT64_MIN, "svc-0", 100)->size(),
                      0u);
    auto pi = read_incidents(pgurl, INT64_MIN, 100);
    auto li = read_incidents(lite, INT64_MIN, 100);
    BOOST_REQUIRE(pi && li);
    BOOST_REQUIRE_EQUAL(pi->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
      BOOST_CHECK_EQUAL((*pi)[i].id, (*li)[i].id);
      BOOST_CHECK_EQUAL((*pi)[i].ended_at, (*li)[i].ended_at);
      BOOST_CHECK_EQUAL((*pi)[i].started_at, (*li)[i].started_at);
    }
    // Only open incidents: "since" beyond every end.
    BOOST_CHECK_EQUAL(read_incidents(pgurl, INT64_MAX, 100)->size(), 1u);
    auto ck = p->load_latest_checkpoint("events");
    BOOST_REQUIRE(ck && ck->has_value());
    BOOST_CHECK_EQUAL((*ck)->id, 5u);
    BOOST_CHECK_EQUAL((*ck)->merger_state, batch.merger_state);
    BOOST_CHECK_EQUAL((*ck)->narrator_state, "narrator");
    BOOST_CHECK_EQUAL((*ck)->last_incident_id, 7);
    BOOST_REQUIRE_EQUAL((*ck)->offsets.size(), 3u);
    BOOST_CHECK_EQUAL((*ck)->offsets[2].next_offset, 30);
    auto dlq = p->load_latest_checkpoint("events.dlq");
    BOOST_REQUIRE(dlq && dlq->has_value());
    BOOST_CHECK_EQUAL((*dlq)->offsets.size(), 2u);
  }
}

BOOST_AUTO_TEST_CASE(a_failed_commit_writes_nothing_of_its_batch) {
  auto store = pg_store::open(pg.url());
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  BOOST_REQUIRE(store->commit(sample_batch(1), "events", 1, ""));
  auto bad = sample_batch(2);
  bad.offsets = {{0, 99}, {1, 99}, {2, 99}};
  bad.rows[0].request_count = 5555;
  // The same key twice in one statement: PostgreSQL refuses the statement,
  // after the rows, before the checkpoint and offsets.
  bad.anomalies.push_back(bad.anomalies[0]);
  auto st = store->commit(bad, "events", 1, "");
  BOOST_REQUIRE(!st);
  BOOST_CHECK(!st.error().retryable);
  BOOST_CHECK_EQUAL(pg.psql("SELECT max(id) FROM checkpoints"), "1\n");
  BOOST_CHECK_EQUAL(pg.psql("SELECT sum(next_offset) FROM checkpoint_offsets"),
                    "60\n");
  BOOST_CHECK_EQUAL(pg.psql("SELECT count(*) FROM service_metrics WHERE "
                            "request_count = 5555"),
                    "0\n");
  // The connection is usable again.
  BOOST_CHECK(store->commit(sample_batch(3), "events", 1, ""));
  BOOST_CHECK_EQUAL(pg.psql("SELECT max(id) FROM checkpoints"), "3\n");
}

BOOST_AUTO_TEST_CASE(drain_of_200k_events_into_postgresql_is_exact) {
  test::produced_topic topic;
  test::produce_topic(topic, 16, 200'000, 20261124, 997);
  const auto& spec = topic.spec;
  const auto& truth = topic.truth;
  pg.create_database("drain");
  auto db = pg.url("drain");
  auto result = test::run_process(
      {test::vigil_binary(), "run", "--drain", "--http-port", "0", "--brokers",
       spec.brokers, "--topic", "events", "--group", "drain-test", "--db", db},
      std::chrono::minutes(5));
  BOOST_TEST_MESSAGE("vigil run --drain: " << result.out << result.err);
  BOOST_REQUIRE_EQUAL(result.status, 0);
  BOOST_CHECK(contains(result.out,
                       "drained: events=" + std::to_string(truth.valid) + " "));
  BOOST_CHECK(
      contains(result.out,
               "invalid=" + std::to_string(truth.dead_letters.size()) + " "));
  // The password never reaches the log.
  BOOST_CHECK(!contains(result.out + result.err, test::pg_server::password));

  // Every window, exactly; no window missing or extra.
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);

  // Every rejected event is on the dead-letter topic with its reason.
  auto dlq = test::read_dead_letters(spec.brokers, "events.dlq",
                                     truth.dead_letters.size());
  BOOST_CHECK_EQUAL(dlq.size(), truth.dead_letters.size());
  BOOST_CHECK(dlq == truth.dead_letters);

  // One checkpoint row set per partition, committed with the results.
  auto offsets = pg.psql("SELECT count(*), sum(next_offset) FROM "
                         "checkpoint_offsets WHERE topic = 'events'",
                         "drain");
  BOOST_CHECK_EQUAL(offsets, "16|" + std::to_string(spec.count) + "\n");
  // Times are TIMESTAMPTZ.
  BOOST_CHECK_EQUAL(pg.psql("SELECT data_type FROM information_schema.columns "
                            "WHERE table_name = 'service_metrics' AND "
                            "column_name = 'window_start'",
                            "drain"),
                    "timestamp with time zone\n");
}

BOOST_AUTO_TEST_CASE(a_database_of_the_previous_schema_version_migrates) {
  pg.create_database("old");
  // Version 1: the tables, without schema_version; one window in it.
  pg.psql(migration("001_initial.sql"), "old");
  pg.psql("INSERT INTO service_metrics VALUES ('api', "
          "'2026-01-01T00:00:00Z', '2026-01-01T00:00:10Z', 7, 1, 0.142857, "
          "3, 2, 5, 6, 9, 0, now())",
          "old");
  auto store = pg_store::open(pg.url("old"));
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  auto version = store->version();
  BOOST_REQUIRE(version);
  BOOST_CHECK_EQUAL(*version, pg_store::latest_version());
  BOOST_CHECK_EQUAL(pg.psql("SELECT version FROM schema_version", "old"),
                    std::to_string(pg_store::latest_version()) + "\n");
  // The row survived and reads back as epoch milliseconds.
  BOOST_CHECK_EQUAL(pg.psql("SELECT request_count, (extract(epoch FROM "
                            "window_start) * 1000)::bigint FROM "
                            "service_metrics",
                            "old"),
                    "7|1767225600000\n");
  // Opening it again is a no-op.
  auto again = pg_store::open(pg.url("old"));
  BOOST_REQUIRE_MESSAGE(again, (again ? "" : again.error().message));
}

BOOST_AUTO_TEST_CASE(a_newer_database_is_refused_at_start) {
  pg.create_database("newer");
  auto newer = std::to_string(pg_store::latest_version() + 1);
  pg.psql(migration("001_initial.sql") + migration("002_schema_version.sql")
              + "INSERT INTO schema_version VALUES (" + newer + ");",
          "newer");
  auto r
      = test::run_process({test::vigil_binary(), "run", "--http-port", "0",
                           "--brokers", "127.0.0.1:1", "--db", pg.url("newer")},
                          60s);
  BOOST_CHECK_EQUAL(r.status, 1);
  BOOST_CHECK(contains(r.err, "schema version " + newer));
  BOOST_CHECK(contains(r.err, "newer than this vigil knows"));
}

BOOST_AUTO_TEST_CASE(bad_settings_are_refused_at_start_naming_the_part_to_fix) {
  struct bad_case {
    std::string url;
    std::string says;
  };
  auto port = std::to_string(pg.port());
  std::vector<bad_case> cases{
      {"postgresql://vigil:wrong@127.0.0.1:" + port + "/vigil",
       "fix the user or password in --db"},
      {pg.url("no_such_db"), "fix the database name at the end of --db"},
      {"postgres://nobody_here:x@127.0.0.1:" + port + "/vigil",
       "fix the user or password in --db"},
      {"postgresql://vigil:x@127.0.0.1:"
           + std::to_string(test::free_loopback_port()) + "/vigil",
       "check the host and port of --db"},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.url) {
      auto r
          = test::run_process({test::vigil_binary(), "run", "--http-port", "0",
                               "--brokers", "127.0.0.1:1", "--db", c.url},
                              60s);
      BOOST_CHECK_EQUAL(r.status, 1);
      BOOST_CHECK_MESSAGE(contains(r.err, c.says), r.err);
      BOOST_CHECK(!contains(r.err, test::pg_server::password));
    }
  }
}

BOOST_AUTO_TEST_CASE(a_user_without_privileges_is_refused_at_start) {
  pg.create_database("locked");
  pg.psql("CREATE ROLE reader LOGIN PASSWORD 'readerpw'", "postgres");
  pg.psql("REVOKE CREATE ON SCHEMA public FROM PUBLIC", "locked");
  auto url = "postgresql://reader:readerpw@127.0.0.1:"
             + std::to_string(pg.port()) + "/locked";
  auto r = test::run_process({test::vigil_binary(), "run", "--http-port", "0",
                              "--brokers", "127.0.0.1:1", "--db", url},
                             60s);
  BOOST_CHECK_EQUAL(r.status, 1);
  BOOST_CHECK_MESSAGE(contains(r.err, "permission denied"), r.err);
  BOOST_CHECK_MESSAGE(contains(r.err, "grant the --db URL's user"), r.err);
}

BOOST_AUTO_TEST_CASE(
    doctor_checks_connection_version_privileges_and_lock_waits) {
  // An empty database: reachable, version 0, the writer will migrate it.
  auto fresh = doctor_database(pg.url());
  BOOST_CHECK_EQUAL(fresh["status"], "ok");
  BOOST_CHECK(contains(fresh["evidence"], "schema version 0 of "));
  auto store = pg_store::open(pg.url());
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  BOOST_REQUIRE(store->commit(sample_batch(1), "events", 1, ""));
  auto ok = doctor_database(pg.url());
  BOOST_CHECK_EQUAL(ok["status"], "ok");
  BOOST_CHECK(
      contains(ok["evidence"],
               "schema version " + std::to_string(pg_store::latest_version())));
  BOOST_CHECK(contains(ok["evidence"], "no session waits for a lock"));
  // A wrong password fails, naming the part of the URL to fix.
  auto bad = doctor_database("postgresql://vigil:wrong@127.0.0.1:"
                             + std::to_string(pg.port()) + "/vigil");
  BOOST_CHECK_EQUAL(bad["status"], "fail");
  BOOST_CHECK(contains(bad["evidence"], "fix the user or password"));
  // A user who may not write vigil's tables fails.
  pg.psql("CREATE ROLE looker LOGIN PASSWORD 'lookerpw'; GRANT SELECT ON ALL "
          "TABLES IN SCHEMA public TO looker");
  auto ro = doctor_database("postgresql://looker:lookerpw@127.0.0.1:"
                            + std::to_string(pg.port()) + "/vigil");
  BOOST_CHECK_EQUAL(ro["status"], "fail");
  BOOST_CHECK(contains(ro["evidence"], "may not write vigil's tables"));
  // A session holding a lock and one waiting for it: a warning naming the
  // blocker.
  PGconn* holder = PQconnectdb(pg.url().c_str());
  PGconn* waiter = PQconnectdb(pg.url().c_str());
  BOOST_REQUIRE(PQstatus(holder) == CONNECTION_OK
                && PQstatus(waiter) == CONNECTION_OK);
  PQclear(PQexec(holder, "BEGIN; LOCK TABLE checkpoints IN ACCESS EXCLUSIVE "
                         "MODE"));
  BOOST_REQUIRE(PQsendQuery(waiter, "SELECT count(*) FROM checkpoints") == 1);
  auto blocker = std::to_string(PQbackendPID(holder));
  BOOST_REQUIRE(test::wait_until(10s, [&] {
    return pg.psql("SELECT count(*) FROM pg_stat_activity WHERE "
                   "wait_event_type = 'Lock'")
           == "1\n";
  }));
  auto waits = doctor_database(pg.url());
  BOOST_CHECK_EQUAL(waits["status"], "warn");
  BOOST_CHECK_MESSAGE(contains(waits["evidence"], "1 sessions wait for a lock"),
                      waits.dump());
  BOOST_CHECK(contains(waits["evidence"], "waits for pids " + blocker));
  BOOST_CHECK(contains(waits["fix"], blocker));
  PQclear(PQexec(holder, "ROLLBACK"));
  while (PGresult* r = PQgetResult(waiter))
    PQclear(r);
  PQfinish(waiter);
  PQfinish(holder);
}

BOOST_AUTO_TEST_CASE(every_sql_panel_of_the_grafana_dashboard_answers) {
  // The dashboard's SQL panels, as deploy/grafana provisions them, against
  // a database vigil wrote, read by the read-only role the compose file
  // creates (deploy/postgres-init/).
  auto store = pg_store::open(pg.url());
  BOOST_REQUIRE_MESSAGE(store, (store ? "" : store.error().message));
  BOOST_REQUIRE(store->commit(sample_batch(1), "events", 1, ""));
  const char* src = std::getenv("VIGIL_SOURCE_DIR");
  BOOST_REQUIRE(src != nullptr);
  auto deploy = std::string{src} + "/deploy/";
  // The init script grants SELECT by default privileges of role vigil: the
  // tables above exist already, so grant them as the script's effect would
  // be for tables created after it.
  pg.psql(test::read_file(deploy + "postgres-init/10-vigil-reader.sql")
          + "GRANT SELECT ON ALL TABLES IN SCHEMA public TO vigil_reader;");
  auto reader = "postgresql://vigil_reader:vigil_reader@127.0.0.1:"
                + std::to_string(pg.port()) + "/vigil";
  auto dash = nlohmann::json::parse(
      test::read_file(deploy + "grafana/dashboards/vigil.json"));
  size_t queries = 0;
  for (const auto& p : dash["panels"]) {
    if (p.value("type", "") == "row" || !p.contains("datasource")
        || p["datasource"].value("uid", "") != "vigil-postgres")
      continue;
    for (const auto& t : p["targets"]) {
      auto sql = t.value("rawSql", std::string{});
      BOOST_TEST_CONTEXT("panel '" << p.value("title", "?") << "'") {
        BOOST_REQUIRE(!sql.empty());
        auto rows = db_query(reader, sql);
        BOOST_REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
        BOOST_CHECK_GT(rows->size(), 0u);
        ++queries;
      }
    }
  }
  BOOST_CHECK_GE(queries, 3u);
  // The reader may not write.
  auto write = db_query(reader, "DELETE FROM incidents");
  BOOST_CHECK(!write);
}

BOOST_AUTO_TEST_SUITE_END()
