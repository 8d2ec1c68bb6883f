#define BOOST_TEST_MODULE postgres_reliability
#include <boost/test/unit_test.hpp>

// What survives what when the database is a real, throwaway PostgreSQL 15
// (tests/support/pg_server): SIGKILL of the node at random moments, and the
// server itself stopped (`pg_ctl stop -m fast`) and started again mid-drain.
// Both end exact: every (service, window) as the ground truth says.

#include <chrono>
#include <csignal>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <string>

#include <libpq-fe.h>

#include "runtime/embedded_broker.hpp"
#include "support/pg_server.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

/// Runs `sql` over libpq and returns the first column of each row; empty if
/// the server does not answer.
std::vector<std::string> column(const std::string& url,
                                const std::string& sql) {
  std::vector<std::string> out;
  PGconn* conn = PQconnectdb((url + "?connect_timeout=2").c_str());
  if (PQstatus(conn) == CONNECTION_OK) {
    PGresult* res = PQexec(conn, sql.c_str());
    if (PQresultStatus(res) == PGRES_TUPLES_OK)
      for (int r = 0; r < PQntuples(res); ++r)
        out.emplace_back(PQgetvalue(res, r, 0));
    PQclear(res);
  }
  PQfinish(conn);
  return out;
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t n = 0;
  for (auto i = text.find(part); i != std::string::npos;
       i = text.find(part, i + 1))
    ++n;
  return n;
}

/// A broker with one produced topic, a PostgreSQL server and a database.
struct pg_pipeline_fixture : test::produced_topic {
  test::pg_server pg;
  test::temp_dir dir;
  std::string db = pg.url("vigil");

  void produce(int32_t partitions, uint64_t count, uint64_t seed,
               uint64_t malformed_every = 1009) {
    test::produce_topic(*this, partitions, count, seed, malformed_every);
  }

  std::vector<std::string> drain_args(std::vector<std::string> extra = {}) {
    std::vector<std::string> args{test::vigil_binary(),
                                  "run",
                                  "--drain",
                                  "--brokers",
                                  spec.brokers,
                                  "--topic",
                                  "events",
                                  "--db",
                                  db};
    if (std::find(extra.begin(), extra.end(), "--http-port") == extra.end())
      args.insert(args.end(), {"--http-port", "0"});
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  /// Id of the newest checkpoint in the database (0 if none or unreachable).
  int64_t newest_checkpoint() {
    auto v = column(db, "SELECT coalesce(max(id), 0) FROM checkpoints");
    return v.empty() ? 0 : std::stoll(v[0]);
  }

  /// Every anomaly lies in exactly one incident of its service and each
  /// incident counts exactly the anomalies in it; returns the services with
  /// incidents.
  std::set<std::string> check_incidents() {
    struct span {
      std::string service;
      int64_t begin = 0;
      int64_t end = 0;
      int64_t count = 0;
      int64_t seen = 0;
    };
    std::map<int64_t, span> incidents;
    for (const auto& line :
         column(db, "SELECT id || '|' || service || '|' || (extract(epoch FROM "
                    "started_at) * 1000)::bigint || '|' || coalesce((extract("
                    "epoch FROM ended_at) * 1000)::bigint, 9223372036854775807)"
                    " || '|' || anomaly_count FROM incidents")) {
      std::vector<std::string> f;
      size_t start = 0;
      for (auto bar = line.find('|'); bar != std::string::npos;
           bar = line.find('|', start)) {
        f.push_back(line.substr(start, bar - start));
        start = bar + 1;
      }
      f.push_back(line.substr(start));
      BOOST_REQUIRE_EQUAL(f.size(), 5u);
      incidents[std::stoll(f[0])]
          = span{f[1], std::stoll(f[2]), std::stoll(f[3]), std::stoll(f[4]), 0};
    }
    for (const auto& line :
         column(db, "SELECT service || '|' || (extract(epoch FROM "
                    "window_start) * 1000)::bigint FROM anomalies")) {
      auto bar = line.find('|');
      auto service = line.substr(0, bar);
      auto at = std::stoll(line.substr(bar + 1));
      int covering = 0;
      for (auto& [id, x] : incidents)
        if (x.service == service && x.begin <= at && at < x.end) {
          ++covering;
          ++x.seen;
        }
      BOOST_CHECK_MESSAGE(covering == 1,
                          "anomaly of " << service << " at " << at << " in "
                                        << covering << " incidents");
    }
    std::set<std::string> services;
    for (const auto& [id, x] : incidents) {
      BOOST_CHECK_MESSAGE(x.seen == x.count,
                          "incident " << id << " counts " << x.count
                                      << " anomalies, " << x.seen << " stored");
      services.insert(x.service);
    }
    return services;
  }
};

/// `curl` of `url`: the HTTP status and the body.
std::pair<int, std::string> http_get(const std::string& url) {
  auto r = test::run_process(
      {"/usr/bin/curl", "-s", "-m", "5", "-w", "\n%{http_code}", url}, 10s);
  auto nl = r.out.rfind('\n');
  if (nl == std::string::npos)
    return {0, r.out};
  return {std::atoi(r.out.c_str() + nl + 1), r.out.substr(0, nl)};
}

} // namespace

BOOST_FIXTURE_TEST_SUITE(postgres_reliability, pg_pipeline_fixture)

BOOST_AUTO_TEST_CASE(sigkill_at_random_moments_loses_and_duplicates_nothing) {
  // As reliability_test's SQLite case: the produced errors incident on
  // payments lies in the second half of the million events.
  produce(64, 1'000'000, 1);
  std::mt19937_64 rng{20261204};
  std::uniform_int_distribution<int> delay_ms{0, 100};
  int kills = 0;
  for (int attempt = 0; attempt < 40 && kills < 5; ++attempt) {
    auto before = newest_checkpoint();
    // Tasks slowed (5 ms per batch of at most 200 records) so that the
    // drain spans the kills however fast the build is.
    test::background_process run{
        drain_args({"--checkpoint-interval", "100ms", "--fault-task-delay-ms",
                    "5", "--batch-size", "200"}),
        dir.file("out"), dir.file("err")};
    test::wait_until(
        60s, [&] { return newest_checkpoint() > before; }, 10ms);
    test::hold_for(std::chrono::milliseconds(delay_ms(rng)));
    run.signal(SIGKILL);
    if (run.wait(30s) == -SIGKILL)
      ++kills;
  }
  BOOST_CHECK_EQUAL(kills, 5);
  BOOST_TEST_MESSAGE("killed " << kills << " times, newest checkpoint "
                               << newest_checkpoint());
  auto last = test::run_process(drain_args(), 5min);
  BOOST_TEST_MESSAGE("last run: " << last.out << last.err);
  BOOST_REQUIRE_EQUAL(last.status, 0);
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
  BOOST_CHECK(last.out.find("reorderings=0 ") != std::string::npos);
  auto services = check_incidents();
  BOOST_CHECK(services == std::set<std::string>{"payments"});
}

BOOST_AUTO_TEST_CASE(postgresql_restarted_mid_drain_loses_nothing) {
  produce(16, 200'000, 3);
  auto port = test::free_loopback_port();
  auto base = "http://127.0.0.1:" + std::to_string(port);
  test::background_process run{
      drain_args({"--checkpoint-interval", "100ms", "--http-port",
                  std::to_string(port), "--fault-task-delay-ms", "5",
                  "--batch-size", "200"}),
      dir.file("out"), dir.file("err")};
  BOOST_REQUIRE(test::wait_until(60s, [&] { return newest_checkpoint() > 0; }));
  pg.stop();
  // While it is down: the node stays up, /ready names the database, and
  // the retries are counted.
  auto ready = std::make_pair(0, std::string{});
  BOOST_CHECK(test::wait_until(20s, [&] {
    ready = http_get(base + "/ready");
    return ready.first == 503
           && ready.second.find("\"database\"") != std::string::npos;
  }));
  BOOST_TEST_MESSAGE("/ready while down: " << ready.second);
  BOOST_CHECK(ready.second.find("unreachable") != std::string::npos);
  BOOST_CHECK(ready.second.find(test::pg_server::password)
              == std::string::npos);
  BOOST_CHECK(test::wait_until(20s, [&] {
    auto m = http_get(base + "/metrics").second;
    auto at = m.find("\nvigil_db_retries_total ");
    return at != std::string::npos
           && std::stod(m.substr(at + 24, m.find('\n', at + 1) - at - 24)) > 0;
  }));
  BOOST_CHECK(run.running());
  test::hold_for(3s);
  pg.start();
  auto status = run.wait(5min);
  auto err = test::read_file(dir.file("err"));
  BOOST_TEST_MESSAGE("node stderr:\n" << err);
  BOOST_REQUIRE_EQUAL(status, 0);
  BOOST_CHECK_EQUAL(test::compare_windows(truth, db), 0u);
  check_incidents();
  // One line when the episode starts, one when it ends; no actor failed.
  BOOST_CHECK_EQUAL(count_of(err, "db_writer: database unavailable"), 1u);
  BOOST_CHECK_EQUAL(count_of(err, "db_writer: database available again"), 1u);
  BOOST_TEST(!std::regex_search(err, std::regex{"supervisor [a-z_]+: [a-z_]+ "
                                                "failed"}),
             "an actor failed during the outage");
}

BOOST_AUTO_TEST_SUITE_END()
