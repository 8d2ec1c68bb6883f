#pragma once

// A seeded generator of market trades with scripted faults (spike,
// malformed); no I/O, no clock.
//
// {"timestamp":"2026-01-11T23:09:52.214Z","symbol":"SYM0001",
//  "exchange":"XNAS","price":101.25,"size":300}

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "actors/generator/generator_common.hpp"

namespace vigil {

/// Settings of a trade generator.
struct trade_config {
  /// Number of symbols (SYM0001, SYM0002, ...).
  size_t symbols = 20;
  /// Scripted faults.
  std::vector<fault> faults;
  /// Event time of event 0, Unix epoch milliseconds.
  int64_t start_ms = 0;
  /// Trades per second of event time over all symbols.
  double rate = 1000;
  /// Each event's time is moved back by a seeded amount in [0, max].
  int64_t max_jitter_ms = 200;
  /// Replace every Nth event by a malformed one (0 = never).
  uint64_t malformed_every = 0;
  /// Sigma of the log return of one trade.
  double sigma = 0.0005;
  /// Symbol i gets a share of trades proportional to 1 / (i + 1)^skew.
  double skew = 1.0;
  /// Seed of every random choice.
  uint64_t seed = 1;
};

/// Deterministic generator of trades.
class trade_generator : public message_generator<trade_generator> {
public:
  using message_generator::next;

  explicit trade_generator(trade_config settings);

  /// Fills `out` with the next event at `base_time_ms` (before jitter).
  void next(generated_message& out, int64_t base_time_ms);

  /// Number of events generated so far.
  uint64_t index() const noexcept {
    return index_;
  }

  /// The settings.
  const trade_config& settings() const noexcept {
    return settings_;
  }

  /// Symbol number `i` (0-based): SYM0001, ...
  static std::string symbol_name(size_t i);

  /// The exchanges trades happen on: XNAS, XNYS, ARCX, BATS, IEXG.
  static const std::vector<std::string>& exchanges();

private:
  struct symbol_state {
    std::string name;
    /// The exchange the symbol is listed on (half of its trades).
    size_t primary = 0;
    /// Unrounded price level of the walk.
    double level = 0;
    /// Per fault: 0 not yet, 1 jump applied, 2 over.
    std::vector<uint8_t> spike_phase;
  };

  trade_config settings_;
  std::vector<symbol_state> symbols_;
  std::vector<double> cumulative_weight_;
  std::mt19937_64 rng_;
  uint64_t index_ = 0;
  uint64_t malformed_count_ = 0;
};

} // namespace vigil
