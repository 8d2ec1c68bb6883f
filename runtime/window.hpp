#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/ddsketch.hpp"

namespace vigil {

/// Event time in Unix epoch milliseconds.
using event_time = int64_t;

/// A tumbling event-time window [start, end).
struct window_bounds {
  event_time start = 0;
  event_time end = 0;

  friend bool operator==(const window_bounds& a, const window_bounds& b) {
    return a.start == b.start && a.end == b.end;
  }
};

/// Assigns event times to tumbling windows of a fixed size, aligned to the
/// epoch (floor division, also correct for negative times).
class tumbling_windows {
public:
  explicit tumbling_windows(int64_t size_ms);

  /// Returns the window containing `t`.
  window_bounds assign(event_time t) const noexcept;

  int64_t size() const noexcept {
    return size_;
  }

private:
  int64_t size_;
};

/// Aggregates one numeric measure: count, sum, min, max and a quantile sketch.
struct measure_aggregate {
  uint64_t count = 0;
  double sum = 0;
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  ddsketch sketch;
  /// Value of the earliest event (ties: the smallest value); kept by
  /// `add_at` only.
  double first = 0;
  event_time first_time = std::numeric_limits<event_time>::max();
  /// Value of the latest event (ties: the largest value); kept by `add_at`.
  double last = 0;
  event_time last_time = std::numeric_limits<event_time>::min();
  /// Sum of value * weight (the numerator of a weighted average); kept by
  /// `add_at`.
  double weighted_sum = 0;

  /// Adds a value to count, sum, min, max and the sketch.
  void add(double value);

  /// Adds a value of an event at time `t`, also keeping first, last and the
  /// weighted sum; the sketch only if `sketched`. The order-dependent
  /// statistics break ties by value, so any merge order gives the same
  /// result. `ordered` false keeps only count, sum, min, max and the
  /// sketch (what `add` does).
  void add_at(double value, event_time t, double weight, bool sketched,
              bool ordered = true);

  /// True if first and last are kept (some value came through `add_at`).
  bool ordered() const noexcept {
    return last_time != std::numeric_limits<event_time>::min();
  }

  void merge(const measure_aggregate& other);

  /// Mean of the values, or 0 when empty.
  double mean() const noexcept;

  friend bool operator==(const measure_aggregate& a,
                         const measure_aggregate& b) {
    return a.count == b.count && a.sum == b.sum && a.min == b.min
           && a.max == b.max && a.sketch == b.sketch && a.first == b.first
           && a.first_time == b.first_time && a.last == b.last
           && a.last_time == b.last_time && a.weighted_sum == b.weighted_sum;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 measure_aggregate& x) {
    return f(x.count, x.sum, x.min, x.max, x.sketch, x.first, x.first_time,
             x.last, x.last_time, x.weighted_sum);
  }
};

/// The aggregate of one key (e.g. a service) in one window: a composition of
/// an event count, a count of events flagged as errors, a count of late
/// events that still made it in, and one aggregate per declared measure.
struct window_aggregate {
  uint64_t count = 0;
  uint64_t errors = 0;
  uint64_t late = 0;
  std::vector<measure_aggregate> measures;

  /// Creates an empty aggregate with `measure_count` measures.
  static window_aggregate with_measures(size_t measure_count);

  /// Adds one event: `is_error` bumps the error count, `values` holds one
  /// value per measure (its size must equal `measures.size()`).
  void add(bool is_error, const double* values, bool is_late = false);

  /// Merges another aggregate of the same shape (sums add, sketches merge).
  void merge(const window_aggregate& other);

  friend bool operator==(const window_aggregate& a, const window_aggregate& b) {
    return a.count == b.count && a.errors == b.errors && a.late == b.late
           && a.measures == b.measures;
  }

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f,
                                                 window_aggregate& x) {
    return f(x.count, x.errors, x.late, x.measures);
  }
};

} // namespace vigil
