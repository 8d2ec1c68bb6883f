#pragma once

#include <cstdint>
#include <string>
#include <vector>

// inspect's load callback returns a caf::error to every inspector, including
// caf::deep_to_string's, which does not include this header itself.
#include <caf/error.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>

namespace vigil {

/// A mergeable quantile sketch with a relative-accuracy guarantee (DDSketch).
///
/// Values are mapped to logarithmic buckets of width `gamma = (1+a)/(1-a)`, so
/// every quantile estimate is within relative error `a` of a value whose rank
/// matches the requested quantile. Two sketches with the same accuracy merge
/// exactly: the merge equals the sketch of the union of their inputs.
/// Values <= `min_positive` (including 0, negatives and -inf) land in a zero
/// bucket whose estimate is 0; +inf counts as the largest finite double; NaN
/// is ignored (not counted). Memory is bounded: at most `max_buckets` buckets;
/// when exceeded, the lowest buckets collapse into the lowest kept one (only
/// the smallest quantiles lose accuracy). The result depends only on the
/// multiset of values added, never on their order or on how they were split
/// across merged sketches.
class ddsketch {
public:
  /// Values at or below this go to the zero bucket.
  static constexpr double min_positive = 1e-9;

  /// Default relative accuracy: 0.5 %, well inside the 1 % contract.
  static constexpr double default_accuracy = 0.005;

  /// Default bucket limit; spans about 17.8 decades (e.g. 1e-6 to 6e11) at
  /// 0.5 %.
  static constexpr uint32_t default_max_buckets = 4096;

  /// Creates an empty sketch with the default accuracy and bucket limit.
  ddsketch();

  /// Creates an empty sketch; the accuracy is clamped into [1e-6, 0.5] (NaN
  /// selects the default) and the bucket limit is at least 1.
  explicit ddsketch(double relative_accuracy,
                    uint32_t max_buckets = default_max_buckets);

  /// Adds one value.
  void add(double value);

  /// Adds `n` copies of a value.
  void add(double value, uint64_t n);

  /// Merges another sketch with the same accuracy into this one.
  /// Returns false (and leaves this sketch unchanged) if the accuracies differ.
  bool merge(const ddsketch& other);

  /// Returns the estimated value at quantile `q` in [0, 1], or 0 if empty:
  /// the value at rank_of(q, count()) of the sorted values, within the
  /// relative accuracy.
  double quantile(double q) const;

  /// The nearest-rank definition of a quantile, as a 0-based rank into `n`
  /// sorted values: the smallest value with at least q * n values at or below
  /// it, i.e. ceil(q * n) - 1, clamped to [0, n - 1] (q = 0 is the minimum,
  /// q = 1 the maximum). p95 of 10 values is the 10th, of 20 the 19th, of 100
  /// the 95th. q * n is rounded to 1e-9 first, so that 0.07 * 100, which is
  /// 7.000000000000001 in binary, is rank 6 and not 7.
  static uint64_t rank_of(double q, uint64_t n);

  /// Number of values added.
  uint64_t count() const noexcept {
    return count_;
  }

  /// True if no value was added.
  bool empty() const noexcept {
    return count_ == 0;
  }

  /// The relative accuracy `a` of quantile estimates.
  double relative_accuracy() const noexcept {
    return accuracy_;
  }

  /// Removes all values, keeping the accuracy.
  void clear();

  /// Compares accuracy, counts and buckets (aligned by index, ignoring
  /// empty buckets at either end); the bucket limit is not compared.
  bool operator==(const ddsketch& other) const;

  /// Negation of operator==.
  bool operator!=(const ddsketch& other) const {
    return !(*this == other);
  }

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

  /// Rebuilds a sketch from its serialized parts, keeping this sketch's bucket
  /// limit (wider input collapses as if added here); returns false and leaves
  /// this sketch unchanged if they are inconsistent (accuracy outside
  /// [1e-6, 0.5], counts overflow, bucket indexes out of range).
  bool restore(double accuracy, int32_t offset, std::vector<uint64_t> buckets,
               uint64_t zero_count);

  /// The bucket counts in their wire form: one varint token per nonzero
  /// count (2 x count) or run of empty buckets (2 x length - 1). A partial
  /// sketch of a few hundred latencies spans hundreds of mostly empty
  /// buckets: this is about an eighth of their 8 bytes each, and CAF moves
  /// it as one byte string instead of a call per bucket.
  std::string pack_buckets() const;

  /// Decodes `pack_buckets()` output into `out`; false if it is malformed
  /// or would hold more than `limit` buckets.
  static bool unpack_buckets(const std::string& packed, size_t limit,
                             std::vector<uint64_t>& out);

  template <class Inspector>
  friend typename Inspector::result_type inspect(Inspector& f, ddsketch& x) {
    // gamma is derived from the accuracy, so it is recomputed (and the whole
    // state validated) after loading instead of being trusted from the wire.
    std::string packed;
    return f(x.accuracy_, x.max_buckets_, x.offset_,
             caf::meta::save_callback([&] {
               packed = x.pack_buckets();
               return caf::error{};
             }),
             packed, x.zero_count_, x.count_,
             caf::meta::load_callback([&] { return x.on_load(packed); }));
  }

private:
  /// Sets the accuracy and everything derived from it.
  void set_accuracy(double accuracy);

  /// Unpacks the buckets, validates and normalises state written by a
  /// deserializer.
  caf::error on_load(const std::string& packed);

  /// Drops empty buckets at both ends of `buckets_`.
  void trim();

  /// Makes `buckets_` cover [lo, hi], collapsing the lowest buckets when the
  /// range would exceed `max_buckets_`; afterwards, index `i` in [lo, hi]
  /// belongs to slot `max(i, offset_) - offset_`.
  void ensure_range(int64_t lo, int64_t hi);

  int32_t index_of(double value) const;
  double value_of(int32_t index) const;

  double accuracy_;
  uint32_t max_buckets_;
  double gamma_ln_;
  /// 1 / ln(gamma): turns the division per add into a multiplication.
  double inv_gamma_ln_;
  /// ln(2 / (gamma + 1)): the midpoint factor of value_of.
  double log_value_factor_;
  int32_t offset_ = 0;
  std::vector<uint64_t> buckets_;
  uint64_t zero_count_ = 0;
  uint64_t count_ = 0;
};

} // namespace vigil
