#define BOOST_TEST_MODULE kind_drain
#include <boost/test/unit_test.hpp>

// Drains of the sensor and trade kinds through the real node and broker,
// compared with a ground truth the test computes from the produced text
// (nlohmann/json, not vigil's parser).

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/generator/sensor_generator.hpp"
#include "actors/generator/trade_generator.hpp"
#include "runtime/db_reader.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"
#include "support/kind_stream.hpp"
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using json = nlohmann::json;
using test::minute;
using test::produced;

namespace {

test::process_result drain(const produced& p, const std::string& kind,
                           const std::string& topic, const std::string& db,
                           std::vector<std::string> extra = {}) {
  std::vector<std::string> args{test::vigil_binary(),
                                "run",
                                "--drain",
                                "--kind",
                                kind,
                                "--window",
                                "1m",
                                "--http-port",
                                "0",
                                "--brokers",
                                p.brokers,
                                "--topic",
                                topic,
                                "--group",
                                "kind-" + kind,
                                "--db",
                                db};
  args.insert(args.end(), extra.begin(), extra.end());
  auto result = test::run_process(args, std::chrono::minutes(5));
  BOOST_TEST_MESSAGE("vigil run --kind " << kind << ": " << result.out
                                         << result.err);
  return result;
}

bool near(double a, double b, double rel = 1e-9) {
  return std::abs(a - b) <= rel * std::max({1.0, std::abs(a), std::abs(b)});
}

} // namespace

BOOST_AUTO_TEST_CASE(a_trade_drain_is_exact_candle_by_candle) {
  trade_config tc;
  tc.symbols = 200;
  // 1,000 s of trades: 17 one-minute candles, the spike in the 14th (the
  // jump rule judges from its 11th).
  tc.rate = 200;
  tc.start_ms = 1'780'000'000'000;
  tc.malformed_every = 997;
  tc.seed = 20261206;
  auto spike = parse_fault("SYM0002:spike:800:30:8", event_kind::trade);
  BOOST_REQUIRE(spike);
  tc.faults.push_back(*spike);
  trade_generator gen{tc};
  const std::vector<std::string> measures{"price", "size"};
  auto p = test::produce(gen, 200'000, 16, "trades", {"symbol", "exchange"},
                         measures, "price", "size");
  BOOST_REQUIRE_GT(p.dead.size(), 100u);

  test::temp_dir dir;
  for (bool crash : {false, true}) {
    BOOST_TEST_CONTEXT((crash ? "a task fails mid-drain" : "clean drain")) {
      auto db = dir.file(crash ? "crash.db" : "trade.db");
      std::vector<std::string> extra;
      if (crash)
        extra = {"--fault-task-throw-at", "40", "--group", "kind-crash"};
      auto result = drain(p, "trade", "trades", db, extra);
      BOOST_REQUIRE_EQUAL(result.status, 0);
      BOOST_CHECK(
          result.out.find("drained: events=" + std::to_string(p.valid) + " ")
          != std::string::npos);
      std::string first;
      auto mismatches = test::compare_trade_candles(db, p.windows, first);
      BOOST_CHECK_MESSAGE(mismatches == 0,
                          mismatches << " candles differ; " << first);
    }
  }
  // The rejected trades are on the dead-letter topic with their reasons
  // (both drains wrote them; the clean one's are the first copies).
  auto dlq = test::read_dead_letters(p.brokers, "trades.dlq", p.dead.size());
  BOOST_CHECK_EQUAL(dlq.size(), p.dead.size());
  BOOST_CHECK(dlq == p.dead);
  // The 8 % spike of SYM0002 is a jump anomaly (keys are symbol|exchange).
  auto jumps = db_query(dir.file("trade.db"),
                        "SELECT service, metric, window_start, observed, "
                        "expected, score FROM anomalies WHERE detector = "
                        "'jump'");
  BOOST_REQUIRE(jumps);
  std::set<std::string> jumped;
  for (size_t r = 0; r < jumps->size(); ++r) {
    BOOST_TEST_MESSAGE("jump: "
                       << jumps->text(r, 0) << " @" << jumps->int64(r, 2)
                       << " observed " << jumps->real(r, 3) << " after close "
                       << jumps->real(r, 4) << " score " << jumps->real(r, 5));
  }
  for (size_t r = 0; r < jumps->size(); ++r)
    jumped.insert(jumps->text(r, 0).substr(0, jumps->text(r, 0).find('|')));
  BOOST_TEST_MESSAGE("jump anomalies on: " << jumps->size());
  // On every exchange the symbol trades on, and nowhere else.
  BOOST_CHECK(jumped == std::set<std::string>{"SYM0002"});
  BOOST_CHECK_GE(jumps->size(), 3u);
}

BOOST_AUTO_TEST_CASE(a_sensor_drain_is_exact_and_pages_on_the_drifting_sensor) {
  sensor_config sc;
  sc.sensors = 16;
  sc.rate = 200;
  sc.start_ms = 1'780'000'000'000;
  sc.seed = 20261207;
  for (const char* spec :
       {"sensor-0003:drift:120:240:ph", "sensor-0005:stuck:60:120",
        "sensor-0007:out_of_range:30:20", "sensor-0009:missing:200:10:ec_ms_cm",
        "*:malformed:300:2"}) {
    auto f = parse_fault(spec, event_kind::sensor);
    BOOST_REQUIRE_MESSAGE(f, spec);
    sc.faults.push_back(*f);
  }
  sensor_generator gen{sc};
  const std::vector<std::string> measures{"ph", "temperature_c", "humidity_pct",
                                          "ec_ms_cm"};
  auto p = test::produce(gen, 120'000, 8, "readings", {"sensor_id", "site"},
                         measures, "", "");
  BOOST_REQUIRE_GT(p.dead.size(), 50u);

  test::temp_dir dir;
  auto db = dir.file("sensor.db");
  auto result = drain(p, "sensor", "readings", db);
  BOOST_REQUIRE_EQUAL(result.status, 0);
  BOOST_CHECK(
      result.out.find("drained: events=" + std::to_string(p.valid) + " ")
      != std::string::npos);
  BOOST_CHECK(result.out.find("invalid=" + std::to_string(p.dead.size()) + " ")
              != std::string::npos);
  std::string sql = "SELECT sensor_id, site, window_start, event_count";
  for (const auto& m : measures)
    sql += ", " + m + "_mean, " + m + "_min, " + m + "_max, " + m + "_last";
  auto rows = db_query(db, sql + " FROM sensor_metrics");
  BOOST_REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
  BOOST_CHECK_EQUAL(rows->size(), p.windows.size());
  size_t mismatches = 0;
  for (size_t r = 0; r < rows->size(); ++r) {
    auto i = p.windows.find(
        {rows->text(r, 0) + "|" + rows->text(r, 1), rows->int64(r, 2)});
    if (i == p.windows.end()) {
      ++mismatches;
      continue;
    }
    bool ok = rows->int64(r, 3) == i->second[0].count;
    for (size_t m = 0; m < measures.size(); ++m) {
      const auto& t = i->second[m];
      size_t c = 4 + m * 4;
      ok = ok && near(rows->real(r, c), t.sum / static_cast<double>(t.count))
           && rows->real(r, c + 1) == t.min && rows->real(r, c + 2) == t.max
           && rows->real(r, c + 3) == t.last;
    }
    if (!ok && ++mismatches <= 3)
      BOOST_ERROR("window " << rows->text(r, 0) << " @" << rows->int64(r, 2)
                            << " differs");
  }
  BOOST_CHECK_EQUAL(mismatches, 0u);

  auto dlq = test::read_dead_letters(p.brokers, "readings.dlq", p.dead.size());
  BOOST_CHECK(dlq == p.dead);

  // Only the drifting sensor leaves its healthy band.
  auto bands = db_query(db, "SELECT DISTINCT service, metric FROM anomalies "
                            "WHERE detector = 'band'");
  BOOST_REQUIRE(bands);
  std::set<std::pair<std::string, std::string>> paged;
  for (size_t r = 0; r < bands->size(); ++r)
    paged.emplace(bands->text(r, 0), bands->text(r, 1));
  BOOST_CHECK(paged.size() == 1u);
  BOOST_CHECK(paged.count({"sensor-0003|greenhouse-d", "ph"}) == 1
              || paged.count({"sensor-0003|greenhouse-c", "ph"}) == 1);
}
