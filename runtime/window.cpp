#include "runtime/window.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil {

// A window size below 1 ms has no meaning and would divide by zero; it is
// treated as 1 ms.
tumbling_windows::tumbling_windows(int64_t size_ms)
    : size_(std::max(size_ms, int64_t{1})) {
  // nop
}

// Window bounds that fall outside the range of event_time (only for times
// within one window size of its limits) saturate instead of overflowing.
window_bounds tumbling_windows::assign(event_time t) const noexcept {
  constexpr auto lowest = std::numeric_limits<event_time>::min();
  constexpr auto highest = std::numeric_limits<event_time>::max();
  auto rem = t % size_;
  if (rem < 0)
    rem += size_;
  event_time start = 0;
  if (__builtin_sub_overflow(t, rem, &start))
    start = lowest;
  event_time end = 0;
  if (__builtin_add_overflow(start, size_, &end))
    end = highest;
  return {start, end};
}

// NaN carries no measurement: it is skipped entirely, so it can neither
// poison the sum and mean nor make `count` disagree with the sketch.
void measure_aggregate::add(double value) {
  add_at(value, 0, 0, true, false);
}

void measure_aggregate::add_at(double value, event_time t, double weight,
                               bool sketched, bool ordered) {
  if (std::isnan(value))
    return;
  ++count;
  sum += value;
  min = std::min(min, value);
  max = std::max(max, value);
  if (sketched)
    sketch.add(value);
  if (!ordered)
    return;
  weighted_sum += value * weight;
  if (t < first_time || (t == first_time && value < first)) {
    first_time = t;
    first = value;
  }
  if (t > last_time || (t == last_time && value > last)) {
    last_time = t;
    last = value;
  }
}

void measure_aggregate::merge(const measure_aggregate& other) {
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sketch.merge(other.sketch);
  weighted_sum += other.weighted_sum;
  if (other.first_time < first_time
      || (other.first_time == first_time && other.first < first)) {
    first_time = other.first_time;
    first = other.first;
  }
  if (other.last_time > last_time
      || (other.last_time == last_time && other.last > last)) {
    last_time = other.last_time;
    last = other.last;
  }
}

double measure_aggregate::mean() const noexcept {
  return count == 0 ? 0.0 : sum / static_cast<double>(count);
}

window_aggregate window_aggregate::with_measures(size_t measure_count) {
  window_aggregate result;
  result.measures.resize(measure_count);
  return result;
}

void window_aggregate::add(bool is_error, const double* values, bool is_late) {
  ++count;
  if (is_error)
    ++errors;
  if (is_late)
    ++late;
  for (size_t i = 0; i < measures.size(); ++i)
    measures[i].add(values[i]);
}

// Shapes that differ (a bug in the caller, or an empty default-constructed
// aggregate as the merge target) are merged as if the shorter side had empty
// aggregates for the measures it lacks: nothing is dropped.
void window_aggregate::merge(const window_aggregate& other) {
  count += other.count;
  errors += other.errors;
  late += other.late;
  if (measures.size() < other.measures.size())
    measures.resize(other.measures.size());
  for (size_t i = 0; i < other.measures.size(); ++i)
    measures[i].merge(other.measures[i]);
}

} // namespace vigil
