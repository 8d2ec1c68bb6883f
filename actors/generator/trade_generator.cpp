#include "actors/generator/trade_generator.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace vigil {

namespace {

/// Share of trades that are odd lots (1..99 shares).
constexpr double odd_lot_share = 0.25;

/// Tail index of the Pareto number of round lots (heavy tail).
constexpr double lot_tail = 1.3;

/// Most round lots in one trade.
constexpr double max_lots = 500;

/// Share of a symbol's trades on its primary exchange.
constexpr double primary_share = 0.5;

} // namespace

std::string trade_generator::symbol_name(size_t i) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "SYM%04zu", i + 1);
  return buf;
}

const std::vector<std::string>& trade_generator::exchanges() {
  static const std::vector<std::string> names{"XNAS", "XNYS", "ARCX", "BATS",
                                              "IEXG"};
  return names;
}

trade_generator::trade_generator(trade_config settings)
    : settings_(std::move(settings)), rng_(settings_.seed) {
  if (!(settings_.rate > 0))
    settings_.rate = 1000;
  settings_.symbols = std::max<size_t>(settings_.symbols, 1);
  settings_.max_jitter_ms = std::max<int64_t>(settings_.max_jitter_ms, 0);
  if (!(settings_.sigma >= 0))
    settings_.sigma = 0.0005;
  std::mt19937_64 profile_rng{settings_.seed ^ 0x7add5eed0b00c5ULL};
  double total = 0;
  for (size_t i = 0; i < settings_.symbols; ++i) {
    symbol_state s;
    s.name = symbol_name(i);
    s.primary = i % 4;
    // Starting prices from 20 to 400, log-uniform, in cents.
    double start = std::exp(std::log(20.0)
                            + (std::log(400.0) - std::log(20.0))
                                  * unit_uniform(profile_rng));
    s.level = std::round(start * 100) / 100;
    s.spike_phase.assign(settings_.faults.size(), 0);
    symbols_.push_back(std::move(s));
    total += 1.0 / std::pow(static_cast<double>(i + 1), settings_.skew);
    cumulative_weight_.push_back(total);
  }
}

void trade_generator::next(generated_message& out, int64_t base_time_ms) {
  // A fixed number of draws per trade, whatever the faults.
  double pick = unit_uniform(rng_) * cumulative_weight_.back();
  auto pos = std::upper_bound(cumulative_weight_.begin(),
                              cumulative_weight_.end(), pick);
  auto& s = symbols_[std::min<size_t>(
      static_cast<size_t>(pos - cumulative_weight_.begin()),
      symbols_.size() - 1)];
  double z = std::normal_distribution<double>{0.0, 1.0}(rng_);
  double u_exchange = unit_uniform(rng_);
  auto exchange_draw = rng_();
  double u_lot = unit_uniform(rng_);
  auto odd_draw = rng_();
  double u_size = 1.0 - unit_uniform(rng_); // (0, 1]
  out.time_ms = base_time_ms - draw_jitter(rng_, settings_.max_jitter_ms);
  out.key = s.name;
  out.valid = true;
  out.faulted = false;
  out.fault = fault_kind::malformed;
  ++index_;
  // Price: a geometric random walk, except at a spike's start (the level
  // jumps by the spike's percent) and at its end (the jump is taken back;
  // the walk in between is kept).
  bool stepped = false;
  bool malformed = settings_.malformed_every > 0
                   && index_ % settings_.malformed_every == 0;
  for (size_t k = 0; k < settings_.faults.size(); ++k) {
    const auto& f = settings_.faults[k];
    if (f.target != "*" && f.target != s.name)
      continue;
    bool active = fault_active(f, s.name, settings_.start_ms, base_time_ms);
    if (f.kind == fault_kind::malformed) {
      if (active) {
        malformed = true;
        out.faulted = true;
        out.fault = f.kind;
      }
      continue;
    }
    double factor = 1 + std::strtod(f.param.c_str(), nullptr) / 100;
    auto& phase = s.spike_phase[k];
    auto rel = static_cast<double>(base_time_ms - settings_.start_ms);
    if (phase == 0 && active) {
      s.level *= factor;
      phase = 1;
      stepped = true;
      out.faulted = true;
      out.fault = fault_kind::spike;
    } else if (phase == 0 && rel >= (f.start_s + f.duration_s) * 1000) {
      phase = 2;
    } else if (phase == 1 && !active) {
      s.level /= factor;
      phase = 2;
      stepped = true;
    }
  }
  if (!stepped) {
    double sigma = settings_.sigma;
    s.level *= std::exp(sigma * z - sigma * sigma / 2);
  }
  int64_t ticks = std::max<int64_t>(1, std::llround(s.level * 10000));
  int64_t size = 0;
  if (u_lot < odd_lot_share) {
    size = 1 + static_cast<int64_t>(odd_draw % 99);
  } else {
    double lots
        = std::min(max_lots, std::floor(1 / std::pow(u_size, 1 / lot_tail)));
    size = 100 * static_cast<int64_t>(lots);
  }
  const auto& names = exchanges();
  size_t exchange = u_exchange < primary_share
                        ? s.primary
                        : static_cast<size_t>(exchange_draw % names.size());
  json_fields fields;
  fields.emplace_back("timestamp",
                      "\"" + format_event_time(out.time_ms) + "\"");
  fields.emplace_back("symbol", "\"" + s.name + "\"");
  fields.emplace_back("exchange", "\"" + names[exchange] + "\"");
  fields.emplace_back("price", format_scaled(ticks, 4));
  fields.emplace_back("size", std::to_string(size));
  if (malformed) {
    out.json = malformed_object(malformed_variant_of(malformed_count_++),
                                fields, "price", "size");
    out.valid = false;
    if (!out.faulted) {
      out.faulted = true;
      out.fault = fault_kind::malformed;
    }
    return;
  }
  out.json = json_object(fields);
}

} // namespace vigil
