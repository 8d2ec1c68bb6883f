#include "runtime/window.hpp"

#include <algorithm>

namespace vigil {

tumbling_windows::tumbling_windows(int64_t size_ms) : size_(size_ms) {
  // nop
}

window_bounds tumbling_windows::assign(event_time t) const noexcept {
  auto start = t / size_ * size_;
  if (t % size_ < 0)
    start -= size_;
  return {start, start + size_};
}

void measure_aggregate::add(double value) {
  ++count;
  sum += value;
  min = std::min(min, value);
  max = std::max(max, value);
  sketch.add(value);
}

void measure_aggregate::merge(const measure_aggregate& other) {
  count += other.count;
  sum += other.sum;
  min = std::min(min, other.min);
  max = std::max(max, other.max);
  sketch.merge(other.sketch);
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
