#define BOOST_TEST_MODULE generate_cli
#include <boost/test/unit_test.hpp>

// `vigil generate --kind ...`: the flags parsed in-process, and the real
// binary (VIGIL_BIN) writing JSON lines with --output; no broker needed.

#include <chrono>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/cli/cli_flags.hpp"
#include "support/process.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {

using args = std::vector<std::string>;

constexpr int64_t now_ms = 1768172992214;

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    result.push_back(line);
  return result;
}

test::process_result generate(const args& flags) {
  args argv{test::vigil_binary(), "generate"};
  argv.insert(argv.end(), flags.begin(), flags.end());
  return test::run_process(argv, 60s);
}

} // namespace

BOOST_AUTO_TEST_CASE(kind_defaults_to_request) {
  auto flags = parse_generate_flags({}, now_ms);
  BOOST_REQUIRE(flags.has_value());
  BOOST_TEST((flags->options.kind == event_kind::request));
  BOOST_TEST(flags->options.output.empty());
}

BOOST_AUTO_TEST_CASE(kind_specific_flags_parse) {
  auto sensor = parse_generate_flags(
      {"--kind", "sensor", "--sensors", "4", "--fault",
       "sensor-0003:drift:60:300:temperature_c", "--fault", "*:malformed:30:5",
       "--output", "out.jsonl"},
      now_ms);
  BOOST_REQUIRE(sensor.has_value());
  BOOST_TEST((sensor->options.kind == event_kind::sensor));
  BOOST_TEST(sensor->options.sensors == 4u);
  BOOST_REQUIRE(sensor->options.faults.size() == 2u);
  BOOST_TEST((sensor->options.faults[0].kind == fault_kind::drift));
  BOOST_TEST(sensor->options.faults[0].param == "temperature_c");
  BOOST_TEST(sensor->options.output == "out.jsonl");
  auto trade = parse_generate_flags(
      {"--fault=SYM0002:spike:10:5:-3", "--symbols=5", "--kind=trade"}, now_ms);
  BOOST_REQUIRE(trade.has_value());
  BOOST_TEST(trade->options.symbols == 5u);
  BOOST_TEST(trade->options.faults[0].param == "-3");
}

BOOST_AUTO_TEST_CASE(bad_kind_flags_say_what_is_wrong_and_how_to_fix_it) {
  struct bad_case {
    args flags;
    std::vector<std::string> says;
  };
  std::vector<bad_case> cases{
      {{"--kind", "bogus"}, {"'bogus'", "request, sensor or trade"}},
      {{"--kind", "sensor", "--symbols", "3"},
       {"--symbols is for --kind trade", "--kind sensor"}},
      {{"--sensors", "3"}, {"--sensors is for --kind sensor"}},
      {{"--kind", "trade", "--services", "3"},
       {"--services is for --kind request"}},
      {{"--kind", "trade", "--fault", "SYM0099:spike:1:1"},
       {"SYM0099", "--symbols"}},
      {{"--kind", "sensor", "--fault", "sensor-0001:spike:1:1"},
       {"unknown kind 'spike'", "drift|stuck"}},
      {{"--fault", "x:malformed:1:1"}, {"--incident"}},
      {{"--kind", "trade", "--output", "f", "--brokers", "h:1"},
       {"--brokers", "--output"}},
      {{"--kind", "sensor", "--sensors", "0"}, {"--sensors must be at least"}},
  };
  for (const auto& c : cases) {
    auto flags = parse_generate_flags(c.flags, now_ms);
    BOOST_TEST_CONTEXT(c.flags.front() << " " << c.flags.back()) {
      BOOST_REQUIRE(!flags.has_value());
      for (const auto& part : c.says)
        BOOST_TEST(mentions(flags.error(), part), flags.error());
    }
  }
}

BOOST_AUTO_TEST_CASE(the_binary_writes_n_trade_lines_to_a_file) {
  test::temp_dir dir;
  auto path = dir.file("trades.jsonl");
  auto res = generate({"--kind", "trade", "--rate", "0", "--count", "250",
                       "--seed", "3", "--start-time", "2026-01-11T23:00:00Z",
                       "--output", path});
  BOOST_TEST(res.status == 0, res.err);
  auto text = test::read_file(path);
  auto rows = lines(text);
  BOOST_TEST(rows.size() == 250u);
  std::set<std::string> symbols;
  for (const auto& row : rows) {
    auto doc = nlohmann::json::parse(row, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!doc.is_discarded(), row);
    symbols.insert(doc["symbol"].get<std::string>());
    BOOST_TEST(doc["price"].get<double>() > 0);
    BOOST_TEST(doc["size"].get<int64_t>() > 0);
  }
  BOOST_TEST(symbols.size() > 5u);
  BOOST_TEST(mentions(res.err, "generated 250 events (250 delivered"));
  // Deterministic for a seed and start time.
  auto again = generate({"--kind", "trade", "--rate", "0", "--count", "250",
                         "--seed", "3", "--start-time", "2026-01-11T23:00:00Z",
                         "--output", "-"});
  BOOST_TEST(again.status == 0);
  BOOST_TEST(again.out == text);
}

BOOST_AUTO_TEST_CASE(the_binary_writes_sensor_and_request_lines_too) {
  auto sensor = generate({"--kind", "sensor", "--rate", "0", "--count", "40",
                          "--sensors", "4", "--output", "-"});
  BOOST_TEST(sensor.status == 0, sensor.err);
  auto rows = lines(sensor.out);
  BOOST_REQUIRE(rows.size() == 40u);
  BOOST_TEST(nlohmann::json::parse(rows[5])["sensor_id"] == "sensor-0002");
  auto request = generate({"--rate", "0", "--count", "30", "--output", "-"});
  BOOST_TEST(request.status == 0, request.err);
  rows = lines(request.out);
  BOOST_REQUIRE(rows.size() == 30u);
  BOOST_TEST(nlohmann::json::parse(rows[0]).contains("service"));
}

BOOST_AUTO_TEST_CASE(the_binary_rejects_a_bogus_kind_with_exit_2) {
  auto res = generate({"--kind", "bogus", "--output", "-"});
  BOOST_TEST(res.status == 2);
  BOOST_TEST(mentions(res.err, "--kind expects request, sensor or trade"),
             res.err);
  BOOST_TEST(res.out.empty());
  auto dir = generate({"--kind", "trade", "--count", "1", "--output",
                       "/nonexistent-dir/x.jsonl"});
  BOOST_TEST(dir.status == 1);
  BOOST_TEST(mentions(dir.err, "cannot open --output"), dir.err);
}
