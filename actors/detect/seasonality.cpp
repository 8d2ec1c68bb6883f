#include "actors/detect/seasonality.hpp"

#include <algorithm>
#include <cmath>

#include "actors/detect/robust_baseline.hpp"

namespace vigil {

seasonality::seasonality(seasonality_config config) : config_(config) {
  config_.max_period = std::max<size_t>(config_.max_period, 4);
  config_.min_period = std::max<size_t>(config_.min_period, 2);
  config_.history_cycles = std::max<size_t>(config_.history_cycles, 2);
  auto capacity = config_.enabled ? config_.history_cycles * config_.max_period
                                  : size_t{0};
  times_.resize(capacity);
  values_.resize(capacity);
}

int64_t seasonality::history_time(size_t k) const noexcept {
  return times_[(count_ - 1 - k) % times_.size()];
}

double seasonality::history_value(size_t k) const noexcept {
  return values_[(count_ - 1 - k) % values_.size()];
}

std::vector<double> seasonality::recent(size_t n) const {
  std::vector<double> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = history_value(n - 1 - i);
  return out;
}

bool seasonality::record(int64_t t_ms, double value) {
  if (times_.empty() || !std::isfinite(value))
    return false;
  if (count_ == 0) {
    // Phases count from a UTC midnight: the days of a weekly profile are
    // calendar days, so a weekend starts at a day boundary.
    origin_ms_ = t_ms - ((t_ms % day_ms) + day_ms) % day_ms;
  }
  times_[count_ % times_.size()] = t_ms;
  values_[count_ % values_.size()] = value;
  ++count_;
  changed_ = false;
  if (++since_check_ >= check_every_) {
    since_check_ = 0;
    check();
  }
  return changed_;
}

void seasonality::check() {
  auto n = history_size();
  if (n < 16)
    return;
  // The sample interval: the median of up to 256 recent deltas.
  std::vector<double> deltas;
  auto m = std::min<size_t>(n - 1, 256);
  deltas.reserve(m);
  for (size_t k = 0; k < m; ++k)
    deltas.push_back(
        static_cast<double>(history_time(k) - history_time(k + 1)));
  auto step = median_of(deltas);
  if (!(step > 0))
    return;
  auto day = static_cast<size_t>(std::llround(day_ms / step));
  // Once a period is in use, look again every few days only.
  check_every_ = std::clamp<size_t>(period_ms_ != 0 ? 4 * day : day, 64,
                                    4 * config_.max_period);
  struct candidate {
    size_t period;
    int64_t ms;
    double acf = 0;
    bool qualifies = false;
  };
  candidate cands[2] = {{day, day_ms}, {7 * day, week_ms}};
  for (auto& c : cands) {
    if (c.period < config_.min_period || c.period > config_.max_period
        || n < 2 * c.period)
      continue;
    auto x = recent(std::min(n, config_.history_cycles * c.period));
    auto [acf, half] = detrended_autocorrelations(x, c.period, c.period / 2);
    c.acf = acf;
    c.qualifies = c.acf >= config_.min_autocorrelation
                  && c.acf - half >= config_.min_contrast;
  }
  // Prefer the weekly period when it explains more than the daily one.
  const candidate* best = nullptr;
  if (cands[0].qualifies)
    best = &cands[0];
  if (cands[1].qualifies
      && (best == nullptr || cands[1].acf >= best->acf + config_.weekly_margin))
    best = &cands[1];
  if (best == nullptr) {
    // Drop a period only once its cycle has clearly gone.
    auto current = period_ms_ == week_ms ? cands[1] : cands[0];
    if (period_ms_ != 0 && current.period > 0 && n >= 2 * current.period
        && current.acf < 0.5 * config_.min_autocorrelation) {
      profile_.clear();
      period_ms_ = 0;
      changed_ = true;
    }
    return;
  }
  last_acf_ = best->acf;
  if (best->ms != period_ms_ || best->period != profile_.size())
    adopt(best->period, best->ms);
}

void seasonality::adopt(size_t period, int64_t period_ms) {
  auto n = std::min(history_size(), config_.history_cycles * period);
  period_ms_ = period_ms;
  profile_.assign(period, 0.0);
  changed_ = true;
  // Detrend with a centred moving average over one period (running sum).
  std::vector<std::vector<double>> by_phase(period);
  std::vector<double> x = recent(n);
  double sum = 0;
  for (size_t i = 0; i < period && i < n; ++i)
    sum += x[i];
  auto half = period / 2;
  for (size_t start = 0; start + period <= n; ++start) {
    if (start > 0)
      sum += x[start + period - 1] - x[start - 1];
    auto centre = start + half;
    auto t = history_time(n - 1 - centre);
    by_phase[phase(t)].push_back(x[centre] - sum / static_cast<double>(period));
  }
  // A weekly cycle is learned as a daily profile plus a level per day of
  // the week: two weeks of history give each phase of the week two samples
  // but each phase of the day fourteen.
  auto days = period_ms == week_ms && period % 7 == 0 && period >= 7 * 4
                  ? size_t{7}
                  : size_t{1};
  auto cycle = period / days;
  std::vector<std::vector<double>> by_day_phase(cycle);
  for (size_t p = 0; p < period; ++p)
    for (auto v : by_phase[p])
      by_day_phase[p % cycle].push_back(v);
  std::vector<double> medians(cycle);
  for (size_t p = 0; p < cycle; ++p)
    medians[p] = median_of(by_day_phase[p]);
  // A few cycles give a noisy median per phase: smooth over neighbouring
  // phases (a circular mean over +-2 phases).
  std::vector<double> daily(cycle);
  for (size_t p = 0; p < cycle; ++p) {
    double sum = 0;
    for (size_t k = cycle - 2; k <= cycle + 2; ++k)
      sum += medians[(p + k) % cycle];
    daily[p] = sum / 5;
  }
  std::vector<double> day_level(days, 0.0);
  if (days > 1) {
    for (size_t d = 0; d < days; ++d) {
      std::vector<double> rest;
      for (size_t p = d * cycle; p < (d + 1) * cycle; ++p)
        for (auto v : by_phase[p])
          rest.push_back(v - daily[p % cycle]);
      day_level[d] = median_of(rest);
    }
  }
  // Then centre on 0.
  double mean = 0;
  for (size_t p = 0; p < period; ++p) {
    profile_[p] = daily[p % cycle] + day_level[p / cycle];
    mean += profile_[p];
  }
  mean /= static_cast<double>(period);
  for (auto& v : profile_)
    v -= mean;
}

size_t seasonality::phase(int64_t t_ms) const noexcept {
  auto p = profile_.size();
  if (p == 0 || period_ms_ <= 0)
    return 0;
  auto offset = (t_ms - origin_ms_) % period_ms_;
  if (offset < 0)
    offset += period_ms_;
  auto idx
      = static_cast<size_t>(static_cast<double>(offset) * static_cast<double>(p)
                            / static_cast<double>(period_ms_));
  return std::min(idx, p - 1);
}

double seasonality::expected(int64_t t_ms) const noexcept {
  if (profile_.empty())
    return 0;
  return profile_[phase(t_ms)];
}

void seasonality::learn(int64_t t_ms, double residual, double scale) noexcept {
  if (profile_.empty() || !std::isfinite(residual) || !std::isfinite(scale))
    return;
  auto bound = config_.clip * scale;
  profile_[phase(t_ms)]
      += config_.learning_rate * std::clamp(residual, -bound, bound);
}

double seasonality::detrended_autocorrelation(const std::vector<double>& x,
                                              size_t lag) {
  return detrended_autocorrelations(x, lag, lag).first;
}

std::pair<double, double>
seasonality::detrended_autocorrelations(const std::vector<double>& x,
                                        size_t lag1, size_t lag2) {
  auto n = x.size();
  // Least-squares line through (i, x[i]).
  auto nd = static_cast<double>(n);
  double mean_i = (nd - 1) / 2;
  double mean_x = 0;
  for (auto v : x)
    mean_x += v;
  mean_x /= nd;
  double sxy = 0;
  double sxx = 0;
  for (size_t i = 0; i < n; ++i) {
    auto di = static_cast<double>(i) - mean_i;
    sxy += di * (x[i] - mean_x);
    sxx += di * di;
  }
  auto slope = sxx > 0 ? sxy / sxx : 0.0;
  std::vector<double> e(n);
  double var = 0;
  for (size_t i = 0; i < n; ++i) {
    e[i] = x[i] - mean_x - slope * (static_cast<double>(i) - mean_i);
    var += e[i] * e[i];
  }
  auto at = [&](size_t lag) {
    if (lag == 0 || n < lag + 2 || !(var > 0))
      return 0.0;
    double cov = 0;
    for (size_t i = 0; i + lag < n; ++i)
      cov += e[i] * e[i + lag];
    // Normalised per pair, so short overlaps are not biased towards 0.
    return (cov / static_cast<double>(n - lag)) / (var / nd);
  };
  return {at(lag1), at(lag2)};
}

} // namespace vigil
