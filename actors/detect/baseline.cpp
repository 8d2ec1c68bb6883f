#include "actors/detect/baseline.hpp"

#include <algorithm>
#include <cmath>

namespace vigil {

const char* to_string(severity s) noexcept {
  switch (s) {
  case severity::none:
    return "none";
  case severity::low:
    return "low";
  case severity::medium:
    return "medium";
  case severity::high:
    return "high";
  case severity::critical:
    return "critical";
  }
  return "none";
}

ewma_baseline::ewma_baseline(baseline_config settings) : settings_(settings) {
  // nop
}

baseline_verdict ewma_baseline::observe(double value) {
  baseline_verdict verdict;
  verdict.observed = value;
  verdict.expected = mean_;
  // A non-finite observation says nothing about the series: never fold it.
  if (!std::isfinite(value))
    return verdict;
  if (n_ < settings_.warmup) {
    fold(value);
    return verdict;
  }
  auto stddev = std::max({std::sqrt(var_),
                          settings_.min_relative_stddev * std::fabs(mean_),
                          settings_.min_stddev});
  verdict.score = (value - mean_) / stddev;
  auto magnitude
      = settings_.upper_only ? verdict.score : std::fabs(verdict.score);
  verdict.level = classify(magnitude, settings_.threshold);
  if (verdict.level == severity::none) {
    streak_ = 0;
    fold(value);
    return verdict;
  }
  // Keep an incident out of the baseline, unless it lasts long enough to be
  // the new normal.
  if (streak_ < UINT32_MAX)
    ++streak_;
  if (streak_ >= settings_.adapt_after)
    fold(value);
  return verdict;
}

void ewma_baseline::restore(uint64_t n, double mean, double variance,
                            uint32_t streak) {
  n_ = n;
  mean_ = mean;
  var_ = variance;
  streak_ = streak;
}

severity ewma_baseline::classify(double score, double threshold) noexcept {
  if (!(score >= threshold))
    return severity::none;
  if (score < 1.5 * threshold)
    return severity::low;
  if (score < 2.5 * threshold)
    return severity::medium;
  if (score < 4.0 * threshold)
    return severity::high;
  return severity::critical;
}

void ewma_baseline::fold(double value) {
  if (n_ == 0) {
    mean_ = value;
    var_ = 0;
  } else {
    // Incremental exponentially weighted mean and variance (Finch, 2009).
    auto alpha = settings_.alpha;
    auto diff = value - mean_;
    auto increment = alpha * diff;
    mean_ += increment;
    var_ = (1 - alpha) * (var_ + diff * increment);
  }
  ++n_;
}

} // namespace vigil
