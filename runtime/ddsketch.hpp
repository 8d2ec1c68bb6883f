#pragma once

#include <cstdint>
#include <vector>

namespace vigil {

/// A mergeable quantile sketch with a relative-accuracy guarantee (DDSketch).
///
/// Values are mapped to logarithmic buckets of width `gamma = (1+a)/(1-a)`, so
/// every quantile estimate is within relative error `a` of a value whose rank
/// matches the requested quantile. Two sketches with the same accuracy merge
/// exactly: the merge equals the sketch of the union of their inputs.
/// Values <= `min_positive` (including 0 and negatives) land in a zero bucket.
/// Memory is bounded: at most `max_buckets` buckets; when exceeded, the lowest
/// buckets collapse into one (only the smallest quantiles lose accuracy).
class ddsketch {
public:
  /// Default relative accuracy: 0.5 %, well inside the 1 % contract.
  static constexpr double default_accuracy = 0.005;

  /// Default bucket limit; covers 1 microsecond to ~1e12 at 0.5 %.
  static constexpr uint32_t default_max_buckets = 4096;

  ddsketch();

  explicit ddsketch(double relative_accuracy,
                    uint32_t max_buckets = default_max_buckets);

  /// Adds one value.
  void add(double value);

  /// Adds `n` copies of a value.
  void add(double value, uint64_t n);

  /// Merges another sketch with the same accuracy into this one.
  /// Returns false (and leaves this sketch unchanged) if the accuracies differ.
  bool merge(const ddsketch& other);

  /// Returns the estimated value at quantile `q` in [0, 1], or 0 if empty.
  /// The rank used is floor(q * (count - 1)), the lower nearest rank.
  double quantile(double q) const;

  /// Number of values added.
  uint64_t count() const noexcept {
    return count_;
  }

  bool empty() const noexcept {
    return count_ == 0;
  }

  double relative_accuracy() const noexcept {
    return accuracy_;
  }

  /// Removes all values, keeping the accuracy.
  void clear();

  bool operator==(const ddsketch& other) const;

  // -- serialization (used by inspect and checkpoints) ------------------------

  /// Index of the first bucket in `buckets()`.
  int32_t offset() const noexcept {
    return offset_;
  }

  /// Counts of the positive buckets starting at `offset()`.
  const std::vector<uint64_t>& buckets() const noexcept {
    return buckets_;
  }

  /// Count of the zero bucket.
  uint64_t zero_count() const noexcept {
    return zero_count_;
  }

  /// Rebuilds a sketch from its serialized parts; returns false if they are
  /// inconsistent (counts do not add up, accuracy out of (0, 1)).
  bool restore(double accuracy, int32_t offset, std::vector<uint64_t> buckets,
               uint64_t zero_count);

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, ddsketch& x) {
    return f(x.accuracy_, x.max_buckets_, x.gamma_ln_, x.offset_, x.buckets_,
             x.zero_count_, x.count_);
  }

private:
  int32_t index_of(double value) const;
  double value_of(int32_t index) const;

  double accuracy_;
  uint32_t max_buckets_;
  double gamma_ln_;
  int32_t offset_ = 0;
  std::vector<uint64_t> buckets_;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
};

} // namespace vigil
