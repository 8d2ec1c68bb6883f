#define BOOST_TEST_MODULE trade_generator
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "actors/generator/trade_generator.hpp"

using namespace vigil;
using json = nlohmann::json;

namespace {

// 2026-01-11T23:09:52.214Z
constexpr int64_t t0_ms = 1768172992214;

trade_config make_settings(uint64_t seed) {
  trade_config settings;
  settings.seed = seed;
  settings.start_ms = t0_ms;
  settings.rate = 100;
  settings.max_jitter_ms = 0;
  return settings;
}

fault make_fault(const std::string& spec) {
  auto f = parse_fault(spec, event_kind::trade);
  if (!f)
    BOOST_FAIL(f.error());
  return *f;
}

std::vector<generated_message> take(trade_config settings, size_t n) {
  trade_generator gen{std::move(settings)};
  std::vector<generated_message> result;
  gen.fill(result, n);
  return result;
}

double rel_s(const generated_message& m) {
  return static_cast<double>(m.time_ms - t0_ms) / 1000.0;
}

/// The printed price as an integer number of 1/10000 (exact decimal
/// arithmetic on the text, no floating point).
int64_t price_ticks(const std::string& text) {
  std::smatch match;
  static const std::regex price{R"re("price":(\d+)\.(\d{1,4})[,}])re"};
  BOOST_REQUIRE_MESSAGE(std::regex_search(text, match, price), text);
  auto frac = match[2].str();
  frac.resize(4, '0');
  return std::stoll(match[1].str()) * 10000 + std::stoll(frac);
}

} // namespace

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_trades) {
  auto a = take(make_settings(42), 3000);
  auto b = take(make_settings(42), 3000);
  auto c = take(make_settings(43), 3000);
  size_t same = 0;
  size_t same_other_seed = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    same += a[i].json == b[i].json ? 1 : 0;
    same_other_seed += a[i].json == c[i].json ? 1 : 0;
  }
  BOOST_TEST(same == a.size());
  BOOST_TEST(same_other_seed == 0u);
}

BOOST_AUTO_TEST_CASE(every_trade_is_valid_with_positive_price_and_size) {
  auto settings = make_settings(7);
  settings.max_jitter_ms = 200;
  const auto& exchanges = trade_generator::exchanges();
  std::set<std::string> seen_exchanges;
  std::set<std::string> symbols;
  size_t odd_lots = 0;
  size_t big = 0;
  std::regex rfc3339{R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"};
  for (const auto& msg : take(settings, 20000)) {
    auto doc = json::parse(msg.json, nullptr, false);
    BOOST_REQUIRE_MESSAGE(!doc.is_discarded(), msg.json);
    BOOST_REQUIRE(msg.valid);
    BOOST_REQUIRE(
        std::regex_match(doc["timestamp"].get<std::string>(), rfc3339));
    BOOST_REQUIRE(doc["symbol"].get<std::string>() == msg.key);
    symbols.insert(msg.key);
    auto exchange = doc["exchange"].get<std::string>();
    BOOST_REQUIRE(std::count(exchanges.begin(), exchanges.end(), exchange)
                  == 1);
    seen_exchanges.insert(exchange);
    BOOST_REQUIRE(doc["price"].is_number_float());
    BOOST_REQUIRE(doc["price"].get<double>() > 0);
    BOOST_REQUIRE(doc["size"].is_number_integer());
    auto size = doc["size"].get<int64_t>();
    BOOST_REQUIRE(size > 0);
    if (size % 100 != 0)
      ++odd_lots;
    if (size >= 1000)
      ++big;
  }
  BOOST_TEST(symbols.size() == 20u);
  BOOST_TEST(*symbols.begin() == "SYM0001");
  BOOST_TEST(seen_exchanges.size() == exchanges.size());
  // Odd lots about a quarter, and a heavy tail of large prints.
  BOOST_TEST(odd_lots > 20000u / 5);
  BOOST_TEST(odd_lots < 20000u * 3 / 10);
  BOOST_TEST(big > 20000u / 50);
}

BOOST_AUTO_TEST_CASE(printed_prices_round_trip_and_give_an_exact_vwap) {
  // The price text has at most 4 decimals; parsed as a double it prints back
  // to the same text, and the exact VWAP from the text matches the doubles.
  std::map<std::string, std::pair<int64_t, int64_t>> notional; // ticks*size
  std::map<std::string, double> notional_double;
  for (const auto& msg : take(make_settings(3), 10000)) {
    auto doc = json::parse(msg.json);
    auto ticks = price_ticks(msg.json);
    double price = doc["price"].get<double>();
    BOOST_REQUIRE(std::llround(price * 10000) == ticks);
    BOOST_REQUIRE(msg.json.find("\"price\":" + format_scaled(ticks, 4))
                  != std::string::npos);
    auto size = doc["size"].get<int64_t>();
    auto& [sum, volume] = notional[msg.key];
    sum += ticks * size;
    volume += size;
    notional_double[msg.key] += price * static_cast<double>(size);
  }
  for (const auto& [symbol, totals] : notional) {
    double exact = static_cast<double>(totals.first) / 10000.0;
    BOOST_TEST(std::abs(notional_double[symbol] - exact) <= exact * 1e-12);
  }
}

BOOST_AUTO_TEST_CASE(prices_walk_with_small_returns) {
  std::map<std::string, double> last;
  double max_return = 0;
  for (const auto& msg : take(make_settings(5), 20000)) {
    auto price = json::parse(msg.json)["price"].get<double>();
    if (auto it = last.find(msg.key); it != last.end())
      max_return = std::max(max_return, std::abs(std::log(price / it->second)));
    last[msg.key] = price;
  }
  // sigma 0.0005: 6 sigma at most over 20000 trades (plus rounding).
  BOOST_TEST(max_return < 0.004);
  BOOST_TEST(max_return > 0.0005);
}

BOOST_AUTO_TEST_CASE(the_busiest_symbol_trades_much_more_than_the_median) {
  std::map<std::string, size_t> counts;
  for (const auto& msg : take(make_settings(9), 20000))
    ++counts[msg.key];
  std::vector<size_t> xs;
  for (const auto& [symbol, n] : counts)
    xs.push_back(n);
  std::sort(xs.begin(), xs.end());
  BOOST_REQUIRE(xs.size() == 20u);
  BOOST_TEST(xs.back() == counts["SYM0001"]);
  BOOST_TEST(xs.back() > 5 * xs[xs.size() / 2]);
}

BOOST_AUTO_TEST_CASE(a_spike_jumps_at_its_start_and_reverts_at_its_end) {
  auto settings = make_settings(11);
  auto clean = take(settings, 20000);
  settings.faults.push_back(make_fault("SYM0002:spike:60:30:8"));
  auto spiked = take(settings, 20000);
  double prev = 0;
  size_t spikes = 0;
  bool reverted = false;
  for (size_t i = 0; i < spiked.size(); ++i) {
    const auto& msg = spiked[i];
    auto t = rel_s(msg);
    if (msg.key != "SYM0002") {
      BOOST_REQUIRE(msg.json == clean[i].json);
      continue;
    }
    auto price = json::parse(msg.json)["price"].get<double>();
    if (msg.faulted) {
      BOOST_TEST((msg.fault == fault_kind::spike));
      BOOST_TEST(t >= 60.0);
      BOOST_TEST(t < 61.0); // SYM0002 trades several times a second
      BOOST_TEST(price / prev == 1.08, boost::test_tools::tolerance(2e-4));
      ++spikes;
    } else if (t >= 90 && !reverted) {
      BOOST_TEST(price / prev == 1 / 1.08, boost::test_tools::tolerance(2e-4));
      reverted = true;
    } else if (t < 60) {
      BOOST_REQUIRE(msg.json == clean[i].json);
    }
    prev = price;
  }
  BOOST_TEST(spikes == 1u);
  BOOST_TEST(reverted);
}

BOOST_AUTO_TEST_CASE(a_malformed_burst_replaces_exactly_its_events) {
  auto settings = make_settings(13);
  settings.faults.push_back(make_fault("*:malformed:30:5"));
  size_t malformed = 0;
  std::map<std::string, size_t> what;
  for (const auto& msg : take(settings, 6000)) {
    auto t = rel_s(msg);
    BOOST_REQUIRE(msg.valid == !(t >= 30 && t < 35));
    if (msg.valid)
      continue;
    ++malformed;
    auto doc = json::parse(msg.json, nullptr, false);
    if (doc.is_discarded())
      ++what["truncated"];
    else if (!doc.contains("timestamp"))
      ++what["missing_timestamp"];
    else if (doc["price"].is_string())
      ++what["non_numeric"];
    else if (doc["size"].get<int64_t>() < 0)
      ++what["negative"];
  }
  BOOST_TEST(malformed == 500u);
  BOOST_TEST(what.size() == 4u);
  for (const auto& [name, n] : what)
    BOOST_TEST(n == 125u, name);
}

BOOST_AUTO_TEST_CASE(malformed_every_and_a_symbols_burst_count_exactly) {
  auto settings = make_settings(14);
  settings.malformed_every = 7;
  auto msgs = take(settings, 700);
  for (size_t i = 0; i < msgs.size(); ++i)
    BOOST_TEST(msgs[i].valid == ((i + 1) % 7 != 0));
  auto burst = make_settings(15);
  burst.faults.push_back(make_fault("SYM0001:malformed:0:10"));
  size_t expected = 0;
  size_t invalid = 0;
  for (const auto& msg : take(burst, 2000)) {
    expected += msg.key == "SYM0001" && rel_s(msg) < 10 ? 1 : 0;
    invalid += msg.valid ? 0 : 1;
    if (!msg.valid)
      BOOST_TEST(msg.key == "SYM0001");
  }
  BOOST_TEST(invalid == expected);
  BOOST_TEST(invalid > 100u);
}

BOOST_AUTO_TEST_CASE(bad_trade_fault_specs_say_what_is_expected) {
  for (const char* bad : {"SYM0001:drift:1:1", "SYM0001:spike:1:1:-100",
                          "SYM0001:spike:1:1:x", "SYM0001:spike:1:1:0"}) {
    auto f = parse_fault(bad, event_kind::trade);
    BOOST_TEST_CONTEXT(bad) {
      BOOST_REQUIRE(!f.has_value());
      BOOST_TEST(f.error().find("SYMBOL:KIND:START_S:DURATION_S")
                 != std::string::npos);
    }
  }
  auto f = parse_fault("SYM0001:spike:120:60", event_kind::trade);
  BOOST_REQUIRE(f.has_value());
  BOOST_TEST(f->param == "8");
}
