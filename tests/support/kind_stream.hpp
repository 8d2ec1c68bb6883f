#pragma once

// Sensor and trade streams for end-to-end tests and benchmarks: produce a
// generator's messages to an embedded broker and compute, from the produced
// text alone (nlohmann/json, not vigil's parser), what every one-minute
// window of every key must report and which messages must be rejected.

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>
#include <stdexcept>

#include "actors/generator/generator_common.hpp"
#include "runtime/db_reader.hpp"
#include "runtime/embedded_broker.hpp"
#include "runtime/kafka.hpp"

namespace vigil::test {

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
inline std::string reason_of(const std::string& text,
                             const std::vector<std::string>& measures) {
  auto doc = nlohmann::json::parse(text, nullptr, false);
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

/// Starts a broker with `topic` (and its .dlq) and produces `count` messages
/// of `gen` to partition index mod `partitions`; `weight_of` is weighed by
/// `weight` (VWAP). Throws std::runtime_error on any broker error.
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
  if (!started)
    throw std::runtime_error("embedded broker: " + started.error());
  out.brokers = started->bootstrap();
  out.broker.emplace(std::move(*started));
  auto prod = kafka::producer::make(out.brokers);
  if (!prod)
    throw std::runtime_error("producer: " + prod.error());
  generated_message msg;
  for (uint64_t i = 0; i < count; ++i) {
    gen.next(msg);
    auto st = prod->produce(topic, static_cast<int32_t>(i % partitions),
                            msg.key, msg.json);
    if (!st)
      throw std::runtime_error("produce failed");
    if (!msg.valid) {
      out.dead.emplace(reason_of(msg.json, measures), msg.json);
      continue;
    }
    auto doc = nlohmann::json::parse(msg.json);
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
  if (!prod->flush(std::chrono::seconds(60)))
    throw std::runtime_error("produced messages not delivered within 60 s");
  return out;
}

/// Compares the trade_candles rows of the SQLite file `db` with the truth
/// (one-minute windows, measures price and size): counts, OHLC and volume
/// exact, VWAP within 1e-9 relative, no window missing or extra. Returns
/// the mismatches and describes the first in `first`.
inline size_t compare_trade_candles(const std::string& db,
                                    const kind_truth& truth,
                                    std::string& first) {
  auto rows = db_query(
      db, "SELECT symbol, exchange, window_start, window_end, event_count, "
          "price_open, price_high, price_low, price_close, price_vwap, "
          "size_sum FROM trade_candles");
  if (!rows) {
    first = rows.error().message;
    return truth.size() + 1;
  }
  auto near = [](double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max({1.0, std::abs(a), std::abs(b)});
  };
  size_t mismatches = rows->size() > truth.size() ? rows->size() - truth.size()
                                                  : truth.size() - rows->size();
  if (mismatches > 0)
    first = std::to_string(rows->size()) + " candles stored, "
            + std::to_string(truth.size()) + " expected";
  for (size_t r = 0; r < rows->size(); ++r) {
    auto key = rows->text(r, 0) + "|" + rows->text(r, 1);
    auto start = rows->int64(r, 2);
    auto i = truth.find({key, start});
    if (i == truth.end()) {
      ++mismatches;
      continue;
    }
    const auto& price = i->second[0];
    const auto& size = i->second[1];
    bool ok = rows->int64(r, 3) == start + minute
              && rows->int64(r, 4) == price.count
              && rows->real(r, 5) == price.first
              && rows->real(r, 6) == price.max && rows->real(r, 7) == price.min
              && rows->real(r, 8) == price.last
              && near(rows->real(r, 9), price.weighted / size.sum)
              && rows->real(r, 10) == size.sum;
    if (!ok && ++mismatches == 1)
      first = "candle " + key + " @" + std::to_string(start) + ": open "
              + std::to_string(rows->real(r, 5)) + " vs "
              + std::to_string(price.first) + ", close "
              + std::to_string(rows->real(r, 8)) + " vs "
              + std::to_string(price.last);
  }
  return mismatches;
}

} // namespace vigil::test
