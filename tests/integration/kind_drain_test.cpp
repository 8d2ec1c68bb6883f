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
#include "support/pipeline.hpp"
#include "support/process.hpp"

using namespace vigil;
using json = nlohmann::json;

namespace {

constexpr int64_t minute = 60'000;

/// What one measure of one window must report.
struct measure_truth {
  int64_t count = 0;
  double sum = 0;
  double weighted = 0;
  double min = INFINITY;
  double max = -INFINITY;
  int64_t first_time = INT64_MAX;
  double first = 0;
  int64_t last_time = INT64_MIN;
  double last = 0;

  void add(double v, int64_t t, double weight) {
    ++count;
    sum += v;
    weighted += v * weight;
    min = std::min(min, v);
    max = std::max(max, v);
    // The documented order: earliest first (ties: smallest), latest last
    // (ties: largest).
    if (t < first_time || (t == first_time && v < first)) {
      first_time = t;
      first = v;
    }
    if (t > last_time || (t == last_time && v > last)) {
      last_time = t;
      last = v;
    }
  }
};

/// (joined key, window start) -> one truth per measure.
using kind_truth
    = std::map<std::pair<std::string, int64_t>, std::vector<measure_truth>>;

/// The expected rejections: (reason, payload).
using letters = std::multiset<std::pair<std::string, std::string>>;

struct produced {
  std::optional<embedded_broker> broker;
  std::string brokers;
  kind_truth windows;
  letters dead;
  uint64_t valid = 0;
};

/// The reason a correct reader gives for a generated invalid message,
/// decided from the text alone.
std::string reason_of(const std::string& text,
                      const std::vector<std::string>& measures) {
  auto doc = json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return "not_json";
  if (!doc.contains("timestamp"))
    return "missing_field";
  for (const auto& m : measures)
    if (doc.contains(m) && !doc[m].is_number())
      return "wrong_type";
  for (const auto& m : measures)
    if (!doc.contains(m))
      return "missing_field";
  return "out_of_range";
}

/// Starts a broker with `topic` (and its .dlq) and produces `messages` to
/// partition index mod `partitions`.
template <class Generator>
produced produce(Generator& gen, uint64_t count, int32_t partitions,
                 const std::string& topic, const std::vector<std::string>& keys,
                 const std::vector<std::string>& measures,
                 const std::string& weight_of, const std::string& weight) {
  produced out;
  broker_options bo;
  bo.topics.push_back({topic, partitions});
  bo.topics.push_back({topic + ".dlq", 1});
  auto started = embedded_broker::start(bo);
  BOOST_REQUIRE_MESSAGE(started, (started ? "" : started.error()));
  out.brokers = started->bootstrap();
  out.broker.emplace(std::move(*started));
  auto prod = kafka::producer::make(out.brokers);
  BOOST_REQUIRE_MESSAGE(prod, (prod ? "" : prod.error()));
  generated_message msg;
  for (uint64_t i = 0; i < count; ++i) {
    gen.next(msg);
    auto st = prod->produce(topic, static_cast<int32_t>(i % partitions),
                            msg.key, msg.json);
    BOOST_REQUIRE_MESSAGE(st, "produce failed");
    if (!msg.valid) {
      out.dead.emplace(reason_of(msg.json, measures), msg.json);
      continue;
    }
    auto doc = json::parse(msg.json);
    std::string key;
    for (const auto& k : keys)
      key += (key.empty() ? "" : "|") + doc.at(k).get<std::string>();
    // Windows are aligned to the epoch.
    int64_t start = msg.time_ms - ((msg.time_ms % minute) + minute) % minute;
    auto& w = out.windows[{key, start}];
    w.resize(measures.size());
    for (size_t m = 0; m < measures.size(); ++m) {
      double wv = measures[m] == weight_of ? doc.at(weight).get<double>() : 0;
      w[m].add(doc.at(measures[m]).get<double>(), msg.time_ms, wv);
    }
    ++out.valid;
  }
  BOOST_REQUIRE(prod->flush(std::chrono::seconds(60)));
  return out;
}

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
  auto p = produce(gen, 200'000, 16, "trades", {"symbol", "exchange"}, measures,
                   "price", "size");
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
      auto rows = db_query(
          db, "SELECT symbol, exchange, window_start, window_end, event_count, "
              "price_open, price_high, price_low, price_close, price_vwap, "
              "size_sum FROM trade_candles");
      BOOST_REQUIRE_MESSAGE(rows, (rows ? "" : rows.error().message));
      BOOST_CHECK_EQUAL(rows->size(), p.windows.size());
      size_t mismatches = 0;
      for (size_t r = 0; r < rows->size(); ++r) {
        auto key = rows->text(r, 0) + "|" + rows->text(r, 1);
        auto start = rows->int64(r, 2);
        auto i = p.windows.find({key, start});
        if (i == p.windows.end()) {
          ++mismatches;
          continue;
        }
        const auto& price = i->second[0];
        const auto& size = i->second[1];
        bool ok = rows->int64(r, 3) == start + minute
                  && rows->int64(r, 4) == price.count
                  && rows->real(r, 5) == price.first
                  && rows->real(r, 6) == price.max
                  && rows->real(r, 7) == price.min
                  && rows->real(r, 8) == price.last
                  && near(rows->real(r, 9), price.weighted / size.sum)
                  && rows->real(r, 10) == size.sum;
        if (!ok && ++mismatches <= 3)
          BOOST_ERROR("candle " << key << " @" << start << " differs: open "
                                << rows->real(r, 5) << " vs " << price.first
                                << ", close " << rows->real(r, 8) << " vs "
                                << price.last << ", vwap " << rows->real(r, 9)
                                << " vs " << price.weighted / size.sum);
      }
      BOOST_CHECK_EQUAL(mismatches, 0u);
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
  auto p = produce(gen, 120'000, 8, "readings", {"sensor_id", "site"}, measures,
                   "", "");
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
