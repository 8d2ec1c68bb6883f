#include "actors/detect/robust_baseline.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

namespace {

/// 1 / Phi^-1(3/4): turns a MAD into a standard deviation for normal data.
constexpr double mad_to_sigma = 1.4826;

/// sqrt(pi / 2): turns a mean absolute deviation into a standard deviation.
constexpr double mean_abs_to_sigma = 1.2533;

} // namespace

robust_window::robust_window(size_t capacity)
    : capacity_(std::max<size_t>(capacity, 1)) {
  sorted_.reserve(capacity_);
  arrival_.reserve(capacity_);
}

void robust_window::push(double value) {
  if (arrival_.size() < capacity_) {
    arrival_.push_back(value);
  } else {
    auto oldest = arrival_[head_];
    sorted_.erase(std::lower_bound(sorted_.begin(), sorted_.end(), oldest));
    arrival_[head_] = value;
    head_ = (head_ + 1) % capacity_;
  }
  sorted_.insert(std::upper_bound(sorted_.begin(), sorted_.end(), value),
                 value);
}

void robust_window::shift(double delta) {
  for (auto& x : sorted_)
    x += delta;
  for (auto& x : arrival_)
    x += delta;
}

void robust_window::clear() {
  sorted_.clear();
  arrival_.clear();
  head_ = 0;
}

double robust_window::median() const noexcept {
  auto n = sorted_.size();
  if (n == 0)
    return 0;
  if (n % 2 == 1)
    return sorted_[n / 2];
  return 0.5 * (sorted_[n / 2 - 1] + sorted_[n / 2]);
}

double robust_window::mad() const noexcept {
  auto n = sorted_.size();
  if (n == 0)
    return 0;
  auto m = median();
  // The deviations left of the median grow leftwards, those right of it grow
  // rightwards: merge both runs up to the middle one(s).
  auto right = static_cast<size_t>(
      std::lower_bound(sorted_.begin(), sorted_.end(), m) - sorted_.begin());
  auto left = right; // next left candidate is left - 1
  auto take = [&]() {
    if (left == 0)
      return sorted_[right++] - m;
    if (right == n)
      return m - sorted_[--left];
    auto dl = m - sorted_[left - 1];
    auto dr = sorted_[right] - m;
    if (dl <= dr) {
      --left;
      return dl;
    }
    ++right;
    return dr;
  };
  double prev = 0;
  for (size_t i = 0; i < (n - 1) / 2; ++i)
    prev = take();
  prev = take();
  if (n % 2 == 1)
    return prev;
  return 0.5 * (prev + take());
}

double robust_window::mean_absolute_deviation() const noexcept {
  if (sorted_.empty())
    return 0;
  auto m = median();
  double sum = 0;
  for (auto x : sorted_)
    sum += std::fabs(x - m);
  return sum / static_cast<double>(sorted_.size());
}

double robust_window::newest(size_t k) const noexcept {
  auto n = arrival_.size();
  if (n < capacity_)
    return arrival_[n - 1 - k];
  return arrival_[(head_ + capacity_ - 1 - k) % capacity_];
}

double median_of(std::vector<double>& xs) {
  if (xs.empty())
    return 0;
  auto mid = xs.begin() + static_cast<std::ptrdiff_t>(xs.size() / 2);
  std::nth_element(xs.begin(), mid, xs.end());
  if (xs.size() % 2 == 1)
    return *mid;
  return 0.5 * (*mid + *std::max_element(xs.begin(), mid));
}

robust_baseline::robust_baseline(robust_baseline_config config)
    : config_(config), level_(config.window), residuals_(config.window) {
  if (config_.follow_trend)
    scratch_.reserve(config.window);
}

double robust_baseline::level() const noexcept {
  auto n = level_.size();
  // Halves of at least 8 values, so one outlier cannot tilt the slope.
  if (!config_.follow_trend || n < 16)
    return level_.median();
  auto half = n / 2;
  auto half_median = [this, half](size_t from) {
    scratch_.clear();
    for (size_t k = from; k < from + half; ++k)
      scratch_.push_back(level_.newest(k));
    return median_of(scratch_);
  };
  auto newer = half_median(0);
  auto older = half_median(n - half);
  // The halves' centres are `half` values apart; the next value lies
  // (half + 1) / 2 after the newer half's centre.
  auto slope = (newer - older) / static_cast<double>(half);
  return newer + slope * (static_cast<double>(half) + 1) / 2;
}

robust_estimate robust_baseline::score(double value) const noexcept {
  robust_estimate est;
  est.expected = level();
  auto scale = mad_to_sigma * residuals_.mad();
  if (!(scale > 0))
    scale = mean_abs_to_sigma * residuals_.mean_absolute_deviation();
  est.scale
      = std::max({scale, config_.min_relative_scale * std::fabs(est.expected),
                  config_.min_scale});
  est.ready = observations_ >= std::max<size_t>(config_.warmup, 1);
  if (est.ready && std::isfinite(value) && est.scale > 0)
    est.z = (value - est.expected) / est.scale;
  return est;
}

void robust_baseline::fold(double value, double residual) {
  if (!std::isfinite(value))
    return;
  level_.push(value);
  // The first value has no baseline to deviate from.
  if (observations_ > 0 && std::isfinite(residual))
    residuals_.push(residual);
  ++observations_;
}

robust_estimate robust_baseline::observe(double value) {
  auto est = score(value);
  fold(value, value - est.expected);
  return est;
}

void robust_baseline::shift(double delta) {
  if (std::isfinite(delta))
    level_.shift(delta);
}

double robust_baseline::recent_residual_median(size_t n) const {
  n = std::min(n, residuals_.size());
  if (n == 0)
    return 0;
  std::vector<double> recent(n);
  for (size_t i = 0; i < n; ++i)
    recent[i] = residuals_.newest(i);
  auto mid = recent.begin() + static_cast<std::ptrdiff_t>(n / 2);
  std::nth_element(recent.begin(), mid, recent.end());
  return *mid;
}

void robust_baseline::clear() {
  level_.clear();
  residuals_.clear();
  observations_ = 0;
}

} // namespace vigil
