#define BOOST_TEST_MODULE sensor_generator
#include <boost/test/unit_test.hpp>

#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/generator/sensor_generator.hpp"

using namespace vigil;
using json = nlohmann::json;

namespace {

// 2026-01-11T23:09:52.214Z
constexpr int64_t t0_ms = 1768172992214;

sensor_config make_settings(uint64_t seed) {
  sensor_config settings;
  settings.seed = seed;
  settings.start_ms = t0_ms;
  settings.rate = 100;
  settings.sensors = 8;
  settings.max_jitter_ms = 0;
  return settings;
}

fault make_fault(const std::string& spec) {
  auto f = parse_fault(spec, event_kind::sensor);
  if (!f)
    BOOST_FAIL(f.error());
  return *f;
}

std::vector<generated_message> take(sensor_config settings, size_t n) {
  sensor_generator gen{std::move(settings)};
  std::vector<generated_message> result;
  gen.fill(result, n);
  return result;
}

double rel_s(const generated_message& m) {
  return static_cast<double>(m.time_ms - t0_ms) / 1000.0;
}

bool in_physical_range(const json& doc) {
  for (const auto& m : sensor_measures)
    if (doc.contains(m.name)) {
      auto v = doc[m.name].get<double>();
      if (v < m.valid_lo || v > m.valid_hi)
        return false;
    }
  return true;
}

bool in_healthy_band(const json& doc, const sensor_measure& m) {
  auto v = doc[m.name].get<double>();
  return v >= m.healthy_lo && v <= m.healthy_hi;
}

std::array<double, sensor_measure_count> measures(const json& doc) {
  std::array<double, sensor_measure_count> result{};
  for (size_t m = 0; m < sensor_measure_count; ++m)
    result[m] = doc[sensor_measures[m].name].get<double>();
  return result;
}

} // namespace

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_readings) {
  auto a = take(make_settings(42), 2000);
  auto b = take(make_settings(42), 2000);
  auto c = take(make_settings(43), 2000);
  size_t same = 0;
  size_t same_other_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    same += a[i].json == b[i].json ? 1 : 0;
    same_other_seed += a[i].json == c[i].json ? 1 : 0;
  }
  BOOST_TEST(same == a.size());
  BOOST_TEST(same_other_seed == 0u);
}

BOOST_AUTO_TEST_CASE(healthy_readings_are_valid_and_stay_in_the_bands) {
  auto settings = make_settings(7);
  settings.sensors = 16;
  settings.max_jitter_ms = 200;
  // Two simulated days at one reading per sensor every 16 s.
  settings.rate = 1;
  std::regex rfc3339{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
  std::set<std::string> ids;
  std::set<std::string> sites;
  double min_temp = 100;
  double max_temp = -100;
  for (const auto& msg : take(settings, 2 * 86400)) {
    auto doc = json::parse(msg.json, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!doc.is_discarded(), msg.json);
    BOOST_REQUIRE(msg.valid);
    BOOST_REQUIRE(!msg.faulted);
    BOOST_REQUIRE(doc["timestamp"].is_string());
    BOOST_REQUIRE(
        std::regex_match(doc["timestamp"].get<std::string>(), rfc3339));
    BOOST_REQUIRE(doc["sensor_id"].get<std::string>() == msg.key);
    ids.insert(msg.key);
    sites.insert(doc["site"].get<std::string>());
    BOOST_REQUIRE(in_physical_range(doc));
    for (const auto& m : sensor_measures) {
      BOOST_REQUIRE(doc[m.name].is_number_float());
      BOOST_REQUIRE_MESSAGE(in_healthy_band(doc, m), msg.json);
    }
    auto t = doc["temperature_c"].get<double>();
    min_temp = std::min(min_temp, t);
    max_temp = std::max(max_temp, t);
  }
  BOOST_TEST(ids.size() == 16u);
  BOOST_TEST(*ids.begin() == "sensor-0001");
  BOOST_TEST(*ids.rbegin() == "sensor-0016");
  BOOST_TEST(sites.size() == 4u);
  BOOST_TEST(sites.count("greenhouse-a") == 1u);
  // The daily cycle and the baselines spread the temperatures.
  BOOST_TEST(max_temp - min_temp > 4.0);
}

BOOST_AUTO_TEST_CASE(printed_values_round_trip_exactly) {
  // Every number printed parses to a double that prints back to the same
  // text with the generator's own decimals.
  std::regex number{
      R"re("(ph|temperature_c|humidity_pct|ec_ms_cm)":(-?\d+\.(\d+)))re"};
  for (const auto& msg : take(make_settings(3), 3000)) {
    auto doc = json::parse(msg.json);
    for (auto it
         = std::sregex_iterator(msg.json.begin(), msg.json.end(), number);
         it != std::sregex_iterator(); ++it) {
      const auto& match = *it;
      auto m = sensor_measure_index(match[1]);
      BOOST_REQUIRE(m < sensor_measure_count);
      BOOST_REQUIRE(match[3].length() <= sensor_measures[m].decimals);
      double v = doc[match[1].str()].get<double>();
      BOOST_TEST(format_scaled(std::llround(v * 1000), 3) == match[2].str());
      BOOST_TEST(std::stod(match[2].str()) == v);
    }
  }
  BOOST_TEST(format_scaled(6420, 3) == "6.42");
  BOOST_TEST(format_scaled(-5250, 3) == "-5.25");
  BOOST_TEST(format_scaled(7000, 3) == "7.0");
  BOOST_TEST(format_scaled(1012500, 4) == "101.25");
}

BOOST_AUTO_TEST_CASE(a_drift_leaves_the_band_during_the_fault_for_its_sensor) {
  auto settings = make_settings(5);
  auto clean = take(settings, 60000);
  settings.faults.push_back(make_fault("sensor-0003:drift:60:300"));
  auto drifted = take(settings, 60000);
  const auto& ph = sensor_measures[0];
  size_t out_of_band = 0;
  double first_out_s = -1;
  for (size_t i = 0; i < drifted.size(); ++i) {
    const auto& msg = drifted[i];
    auto doc = json::parse(msg.json);
    BOOST_REQUIRE(msg.valid);
    BOOST_REQUIRE(in_physical_range(doc));
    auto t = rel_s(msg);
    bool inside = t >= 60 && t < 360;
    if (msg.key != "sensor-0003" || !inside) {
      // Other sensors, and this one outside the fault, are as without it.
      BOOST_REQUIRE(msg.json == clean[i].json);
      BOOST_REQUIRE(in_healthy_band(doc, ph));
      continue;
    }
    BOOST_REQUIRE(msg.faulted);
    BOOST_REQUIRE((msg.fault == fault_kind::drift));
    if (!in_healthy_band(doc, ph)) {
      ++out_of_band;
      if (first_out_s < 0)
        first_out_s = t;
    }
  }
  BOOST_TEST(out_of_band > 100u);
  BOOST_TEST(first_out_s > 60.0);
  BOOST_TEST(first_out_s < 360.0);
}

BOOST_AUTO_TEST_CASE(a_stuck_sensor_repeats_its_last_reading_exactly) {
  auto settings = make_settings(9);
  settings.faults.push_back(make_fault("sensor-0002:stuck:10:20"));
  std::array<double, sensor_measure_count> last{};
  size_t stuck = 0;
  std::set<std::array<double, sensor_measure_count>> after;
  for (const auto& msg : take(settings, 6000)) {
    if (msg.key != "sensor-0002")
      continue;
    auto doc = json::parse(msg.json);
    auto values = measures(doc);
    auto t = rel_s(msg);
    if (t >= 10 && t < 30) {
      BOOST_TEST((values == last));
      ++stuck;
    } else {
      if (t >= 30)
        after.insert(values);
      last = values;
    }
  }
  BOOST_TEST(stuck == 20u * 100 / 8);
  // It moves again afterwards.
  BOOST_TEST(after.size() > 100u);
}

BOOST_AUTO_TEST_CASE(out_of_range_readings_are_exactly_the_faults_readings) {
  auto settings = make_settings(11);
  settings.faults.push_back(make_fault("sensor-0004:out_of_range:5:10"));
  size_t invalid = 0;
  size_t outside_physical = 0;
  for (const auto& msg : take(settings, 4000)) {
    auto doc = json::parse(msg.json);
    auto t = rel_s(msg);
    bool expected = msg.key == "sensor-0004" && t >= 5 && t < 15;
    BOOST_REQUIRE(msg.valid == !expected);
    invalid += msg.valid ? 0 : 1;
    outside_physical += in_physical_range(doc) ? 0 : 1;
  }
  BOOST_TEST(invalid == 10u * 100 / 8);
  BOOST_TEST(outside_physical == invalid);
}

BOOST_AUTO_TEST_CASE(missing_drops_the_named_measure_for_the_fault) {
  auto settings = make_settings(12);
  settings.faults.push_back(make_fault("sensor-0001:missing:8:4:humidity_pct"));
  size_t missing = 0;
  for (const auto& msg : take(settings, 4000)) {
    auto doc = json::parse(msg.json);
    for (const auto& m : sensor_measures)
      if (std::string{m.name} != "humidity_pct")
        BOOST_REQUIRE(doc.contains(m.name));
    if (!doc.contains("humidity_pct")) {
      ++missing;
      BOOST_TEST(msg.key == "sensor-0001");
      BOOST_TEST(!msg.valid);
    }
  }
  BOOST_TEST(missing == 4u * 100 / 8);
}

BOOST_AUTO_TEST_CASE(a_malformed_burst_replaces_exactly_its_events) {
  auto settings = make_settings(13);
  settings.faults.push_back(make_fault("*:malformed:30:5"));
  size_t malformed = 0;
  std::map<std::string, size_t> what;
  for (const auto& msg : take(settings, 6000)) {
    auto t = rel_s(msg);
    bool expected = t >= 30 && t < 35;
    BOOST_REQUIRE(msg.valid == !expected);
    if (msg.valid)
      continue;
    ++malformed;
    auto doc = json::parse(msg.json, nullptr, false);
    if (doc.is_discarded())
      ++what["truncated"];
    else if (!doc.contains("timestamp"))
      ++what["missing_timestamp"];
    else if (doc["ph"].is_string())
      ++what["non_numeric"];
    else if (doc["ec_ms_cm"].get<double>() < 0)
      ++what["negative"];
  }
  BOOST_TEST(malformed == 500u);
  BOOST_TEST(what.size() == 4u);
  for (const auto& [name, n] : what)
    BOOST_TEST(n == 125u, name);
}

BOOST_AUTO_TEST_CASE(malformed_every_replaces_every_nth_event) {
  auto settings = make_settings(14);
  settings.malformed_every = 10;
  auto msgs = take(settings, 1000);
  for (size_t i = 0; i < msgs.size(); ++i)
    BOOST_TEST(msgs[i].valid == ((i + 1) % 10 != 0));
}

BOOST_AUTO_TEST_CASE(bad_fault_specs_say_what_is_expected) {
  for (const char* bad :
       {"sensor-0001:spike:1:1", "sensor-0001:drift:1:1:salinity",
        "sensor-0001:drift:1", "sensor-0001:stuck:1:0",
        "sensor-0001:stuck:1:1:ph"}) {
    auto f = parse_fault(bad, event_kind::sensor);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!f.has_value());
      BOOST_TEST(f.error().find("SENSOR:KIND:START_S:DURATION_S")
                 != std::string::npos);
    }
  }
  auto f = parse_fault("sensor-0003:drift:60:300", event_kind::sensor);
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->param == "ph");
  BOOST_TEST(f->start_s == 60.0);
  BOOST_TEST(f->duration_s == 300.0);
  BOOST_TEST(!parse_fault("x:drift:1:1", event_kind::request).has_value());
}
