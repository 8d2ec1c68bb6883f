#define BOOST_TEST_MODULE ddsketch
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>
#include <caf/error.hpp>

#include "runtime/ddsketch.hpp"

using vigil::ddsketch;

namespace {

constexpr size_t sample_count = 100'000;

/// The nearest-rank quantile of sorted values, counted out: the first value
/// with at least q * n values at or below it.
double exact_quantile(const std::vector<double>& sorted, double q) {
  auto need = q * static_cast<double>(sorted.size());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (static_cast<double>(i + 1) >= need - 1e-9 * need)
      return sorted[i];
  return sorted.back();
}

double relative_error(double estimate, double exact) {
  return std::abs(estimate - exact) / std::abs(exact);
}

std::vector<double> lognormal_samples(uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::lognormal_distribution<double> dist{std::log(50.0), 0.8};
  std::vector<double> xs(sample_count);
  for (auto& x : xs)
    x = dist(rng);
  return xs;
}

std::vector<double> uniform_samples(uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::uniform_real_distribution<double> dist{1.0, 1000.0};
  std::vector<double> xs(sample_count);
  for (auto& x : xs)
    x = dist(rng);
  return xs;
}

/// 90 % fast requests around 20 ms, 10 % slow ones around 2 s.
std::vector<double> bimodal_samples(uint64_t seed) {
  std::mt19937_64 rng{seed};
  std::bernoulli_distribution slow{0.1};
  std::lognormal_distribution<double> fast_dist{std::log(20.0), 0.2};
  std::lognormal_distribution<double> slow_dist{std::log(2000.0), 0.3};
  std::vector<double> xs(sample_count);
  for (auto& x : xs)
    x = slow(rng) ? slow_dist(rng) : fast_dist(rng);
  return xs;
}

/// Log-uniform values over [1e-6, 1e12].
std::vector<double> sweep_samples(uint64_t seed, size_t n) {
  std::mt19937_64 rng{seed};
  std::uniform_real_distribution<double> exponent{-6.0, 12.0};
  std::vector<double> xs(n);
  for (auto& x : xs)
    x = std::pow(10.0, exponent(rng));
  return xs;
}

ddsketch sketch_of(const std::vector<double>& xs,
                   uint32_t max_buckets = ddsketch::default_max_buckets) {
  ddsketch result{ddsketch::default_accuracy, max_buckets};
  for (auto x : xs)
    result.add(x);
  return result;
}

/// Checks p50/p95/p99 against the 1 % contract and every percentile against
/// the sketch's own accuracy.
void check_accuracy(std::vector<double> xs) {
  auto sketch = sketch_of(xs);
  std::sort(xs.begin(), xs.end());
  BOOST_TEST(sketch.count() == xs.size());
  for (auto q : {0.5, 0.95, 0.99}) {
    BOOST_TEST_INFO("q = " << q);
    BOOST_TEST(relative_error(sketch.quantile(q), exact_quantile(xs, q))
               <= 0.01);
  }
  for (int percent = 0; percent <= 100; ++percent) {
    auto q = percent / 100.0;
    BOOST_TEST_INFO("q = " << q);
    BOOST_TEST(relative_error(sketch.quantile(q), exact_quantile(xs, q))
               <= sketch.relative_accuracy() * (1 + 1e-9));
  }
}

std::vector<char> serialize(ddsketch& x) {
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  auto err = sink(x);
  BOOST_REQUIRE(!err);
  return buf;
}

} // namespace

BOOST_AUTO_TEST_CASE(lognormal_latency_quantiles_are_within_one_percent) {
  check_accuracy(lognormal_samples(42));
}

BOOST_AUTO_TEST_CASE(uniform_quantiles_are_within_one_percent) {
  check_accuracy(uniform_samples(7));
}

BOOST_AUTO_TEST_CASE(bimodal_quantiles_are_within_one_percent) {
  check_accuracy(bimodal_samples(99));
}

BOOST_AUTO_TEST_CASE(merge_of_random_split_equals_sketch_of_union) {
  auto xs = lognormal_samples(1234);
  std::mt19937_64 rng{5678};
  std::uniform_int_distribution<size_t> pick{0, 15};
  std::vector<ddsketch> parts(16);
  for (auto x : xs)
    parts[pick(rng)].add(x);
  auto whole = sketch_of(xs);
  ddsketch merged;
  for (const auto& part : parts)
    BOOST_REQUIRE(merged.merge(part));
  BOOST_TEST((merged == whole));
  // A different merge order (pairwise tree) gives the same sketch.
  auto tree = parts;
  for (size_t width = 1; width < tree.size(); width *= 2)
    for (size_t i = 0; i + width < tree.size(); i += 2 * width)
      BOOST_REQUIRE(tree[i].merge(tree[i + width]));
  BOOST_TEST((tree[0] == whole));
  for (int percent = 0; percent <= 100; ++percent) {
    auto q = percent / 100.0;
    BOOST_TEST_INFO("q = " << q);
    BOOST_TEST(merged.quantile(q) == whole.quantile(q));
    BOOST_TEST(tree[0].quantile(q) == whole.quantile(q));
  }
}

BOOST_AUTO_TEST_CASE(merge_equals_union_even_when_buckets_collapse) {
  constexpr uint32_t max_buckets = 64;
  auto xs = sweep_samples(31, 20'000);
  std::mt19937_64 rng{32};
  std::uniform_int_distribution<size_t> pick{0, 15};
  std::vector<ddsketch> parts(
      16, ddsketch{ddsketch::default_accuracy, max_buckets});
  for (auto x : xs)
    parts[pick(rng)].add(x);
  auto whole = sketch_of(xs, max_buckets);
  BOOST_TEST(whole.buckets().size() == max_buckets);
  ddsketch merged{ddsketch::default_accuracy, max_buckets};
  for (auto i = parts.rbegin(); i != parts.rend(); ++i)
    BOOST_REQUIRE(merged.merge(*i));
  BOOST_TEST((merged == whole));
  BOOST_TEST(merged.buckets().size() <= max_buckets);
}

BOOST_AUTO_TEST_CASE(sketch_does_not_depend_on_insertion_order) {
  constexpr uint32_t max_buckets = 32;
  auto xs = sweep_samples(77, 5'000);
  auto shuffled = sketch_of(xs, max_buckets);
  std::sort(xs.begin(), xs.end());
  auto ascending = sketch_of(xs, max_buckets);
  std::reverse(xs.begin(), xs.end());
  auto descending = sketch_of(xs, max_buckets);
  BOOST_TEST((ascending == shuffled));
  BOOST_TEST((descending == shuffled));
}

BOOST_AUTO_TEST_CASE(merge_rejects_a_different_accuracy_and_changes_nothing) {
  ddsketch a{0.01};
  a.add(10);
  auto before = a;
  ddsketch b{0.02};
  b.add(20);
  BOOST_TEST(!a.merge(b));
  BOOST_TEST((a == before));
}

BOOST_AUTO_TEST_CASE(empty_sketch_has_no_count_and_zero_quantiles) {
  ddsketch sketch;
  BOOST_TEST(sketch.empty());
  BOOST_TEST(sketch.count() == 0u);
  BOOST_TEST(sketch.quantile(0.0) == 0.0);
  BOOST_TEST(sketch.quantile(0.5) == 0.0);
  BOOST_TEST(sketch.quantile(1.0) == 0.0);
  ddsketch other;
  BOOST_TEST(sketch.merge(other));
  BOOST_TEST(sketch.empty());
  BOOST_TEST((sketch == ddsketch{}));
}

BOOST_AUTO_TEST_CASE(single_value_is_every_quantile_within_accuracy) {
  ddsketch sketch;
  sketch.add(123.4);
  BOOST_TEST(sketch.count() == 1u);
  BOOST_TEST(!sketch.empty());
  for (auto q : {0.0, 0.25, 0.5, 0.99, 1.0})
    BOOST_TEST(relative_error(sketch.quantile(q), 123.4)
               <= ddsketch::default_accuracy * (1 + 1e-9));
}

BOOST_AUTO_TEST_CASE(zero_negative_and_tiny_values_land_in_the_zero_bucket) {
  ddsketch sketch;
  sketch.add(0.0);
  sketch.add(-5.0);
  sketch.add(ddsketch::min_positive);
  sketch.add(-std::numeric_limits<double>::infinity());
  BOOST_TEST(sketch.count() == 4u);
  BOOST_TEST(sketch.zero_count() == 4u);
  BOOST_TEST(sketch.buckets().empty());
  BOOST_TEST(sketch.quantile(1.0) == 0.0);
  // Positive values sort above the zero bucket.
  sketch.add(100.0);
  BOOST_TEST(sketch.quantile(0.0) == 0.0);
  BOOST_TEST(sketch.quantile(0.75) == 0.0);
  BOOST_TEST(relative_error(sketch.quantile(1.0), 100.0) <= 0.005 + 1e-12);
}

BOOST_AUTO_TEST_CASE(nan_is_ignored_and_infinity_counts_as_the_largest_value) {
  ddsketch sketch;
  sketch.add(std::numeric_limits<double>::quiet_NaN());
  sketch.add(std::numeric_limits<double>::quiet_NaN(), 10);
  BOOST_TEST(sketch.empty());
  sketch.add(1.0);
  sketch.add(std::numeric_limits<double>::infinity());
  BOOST_TEST(sketch.count() == 2u);
  auto top = sketch.quantile(1.0);
  BOOST_TEST(std::isfinite(top));
  BOOST_TEST(top > 1e307);
}

BOOST_AUTO_TEST_CASE(adding_n_copies_equals_adding_one_at_a_time) {
  ddsketch bulk;
  ddsketch single;
  bulk.add(42.0, 5);
  bulk.add(0.0, 2);
  bulk.add(7.0, 0);
  for (int i = 0; i < 5; ++i)
    single.add(42.0);
  single.add(0.0);
  single.add(0.0);
  BOOST_TEST((bulk == single));
  BOOST_TEST(bulk.count() == 7u);
}

BOOST_AUTO_TEST_CASE(sweep_over_eighteen_decades_stays_within_max_buckets) {
  auto xs = sweep_samples(2024, sample_count);
  auto sketch = sketch_of(xs);
  // 18 decades need about 4145 buckets at 0.5 %: the lowest ones collapse.
  BOOST_TEST(sketch.buckets().size() == ddsketch::default_max_buckets);
  std::sort(xs.begin(), xs.end());
  for (auto q : {0.5, 0.9, 0.95, 0.99, 1.0}) {
    BOOST_TEST_INFO("q = " << q);
    BOOST_TEST(relative_error(sketch.quantile(q), exact_quantile(xs, q))
               <= 0.01);
  }
}

BOOST_AUTO_TEST_CASE(small_bucket_limit_collapses_lowest_into_lowest_kept) {
  // The bucket limit bounds the index range, so use values in the adjacent
  // buckets 1..5 (the middle of bucket k is gamma^(k - 1/2)).
  ddsketch sketch{0.01, 4};
  auto gamma = 1.01 / 0.99;
  for (int k = 1; k <= 5; ++k)
    sketch.add(std::pow(gamma, k - 0.5));
  BOOST_TEST(sketch.buckets().size() == 4u);
  BOOST_TEST(sketch.offset() == 2);
  BOOST_TEST(sketch.count() == 5u);
  // The two lowest values now share the lowest kept bucket...
  BOOST_TEST(sketch.buckets().front() == 2u);
  BOOST_TEST(sketch.quantile(0.0) == sketch.quantile(0.25));
  // ...while the others stay accurate.
  BOOST_TEST(relative_error(sketch.quantile(1.0), std::pow(gamma, 4.5))
             <= 0.01 + 1e-12);
  BOOST_TEST(relative_error(sketch.quantile(0.5), std::pow(gamma, 2.5))
             <= 0.01 + 1e-12);
  // A value far below the kept range also lands in the lowest kept bucket.
  sketch.add(1e-3);
  BOOST_TEST(sketch.offset() == 2);
  BOOST_TEST(sketch.buckets().front() == 3u);
}

BOOST_AUTO_TEST_CASE(clear_empties_the_sketch_and_keeps_its_accuracy) {
  ddsketch sketch{0.02};
  sketch.add(5.0);
  sketch.add(0.0);
  sketch.clear();
  BOOST_TEST(sketch.empty());
  BOOST_TEST(sketch.zero_count() == 0u);
  BOOST_TEST(sketch.relative_accuracy() == 0.02);
  BOOST_TEST((sketch == ddsketch{0.02}));
}

BOOST_AUTO_TEST_CASE(invalid_accuracy_is_clamped_into_the_supported_range) {
  BOOST_TEST(ddsketch{0.0}.relative_accuracy() == 1e-6);
  BOOST_TEST(ddsketch{2.0}.relative_accuracy() == 0.5);
  BOOST_TEST(ddsketch{std::nan("")}.relative_accuracy()
             == ddsketch::default_accuracy);
}

BOOST_AUTO_TEST_CASE(restore_from_parts_rebuilds_an_equal_sketch) {
  auto original = sketch_of(lognormal_samples(3));
  original.add(0.0, 3);
  ddsketch restored;
  BOOST_TEST(restored.restore(original.relative_accuracy(), original.offset(),
                              original.buckets(), original.zero_count()));
  BOOST_TEST((restored == original));
  BOOST_TEST(restored.quantile(0.99) == original.quantile(0.99));
}

BOOST_AUTO_TEST_CASE(restore_ignores_empty_buckets_at_either_end) {
  ddsketch a;
  BOOST_TEST(a.restore(0.005, 10, {0, 0, 3, 1, 0}, 2));
  ddsketch b;
  BOOST_TEST(b.restore(0.005, 12, {3, 1}, 2));
  BOOST_TEST((a == b));
  BOOST_TEST(a.count() == 6u);
  BOOST_TEST(a.offset() == 12);
}

BOOST_AUTO_TEST_CASE(restore_rejects_inconsistent_parts_and_changes_nothing) {
  ddsketch sketch;
  sketch.add(17.0);
  auto before = sketch;
  BOOST_TEST(!sketch.restore(0.0, 0, {1}, 0));
  BOOST_TEST(!sketch.restore(1.5, 0, {1}, 0));
  auto huge = std::numeric_limits<uint64_t>::max();
  BOOST_TEST(!sketch.restore(0.005, 0, {huge, 1}, 0));
  BOOST_TEST(
      !sketch.restore(0.005, std::numeric_limits<int32_t>::max(), {1, 1}, 0));
  BOOST_TEST((sketch == before));
}

BOOST_AUTO_TEST_CASE(restore_collapses_wider_input_to_this_bucket_limit) {
  auto xs = sweep_samples(8, 2'000);
  auto wide = sketch_of(xs);
  auto narrow = sketch_of(xs, 16);
  ddsketch restored{ddsketch::default_accuracy, 16};
  BOOST_TEST(restored.restore(wide.relative_accuracy(), wide.offset(),
                              wide.buckets(), wide.zero_count()));
  BOOST_TEST((restored == narrow));
}

BOOST_AUTO_TEST_CASE(caf_binary_round_trip_preserves_the_sketch) {
  auto original = sketch_of(bimodal_samples(11), 512);
  original.add(0.0, 4);
  auto buf = serialize(original);
  ddsketch copy;
  caf::binary_deserializer source{nullptr, buf};
  auto err = source(copy);
  BOOST_REQUIRE(!err);
  BOOST_TEST((copy == original));
  BOOST_TEST(copy.relative_accuracy() == original.relative_accuracy());
  for (auto q : {0.0, 0.5, 0.95, 0.99, 1.0})
    BOOST_TEST(copy.quantile(q) == original.quantile(q));
  // The copy keeps working like the original (derived state and bucket
  // limit were restored, not just the counts).
  for (auto x : sweep_samples(12, 1'000)) {
    copy.add(x);
    original.add(x);
  }
  BOOST_TEST((copy == original));
  BOOST_TEST(copy.buckets().size() <= 512u);
}

namespace {

/// The bytes of a sketch as ddsketch's inspect overload writes them, with
/// the packed buckets given as varint tokens.
std::vector<char> wire_form(uint32_t max_buckets, int32_t offset,
                            const std::vector<uint64_t>& tokens,
                            uint64_t zero_count, uint64_t count) {
  std::string packed;
  for (auto t : tokens) {
    while (t >= 0x80) {
      packed.push_back(static_cast<char>((t & 0x7f) | 0x80));
      t >>= 7;
    }
    packed.push_back(static_cast<char>(t));
  }
  std::vector<char> buf;
  caf::binary_serializer sink{nullptr, buf};
  double accuracy = 0.005;
  BOOST_REQUIRE(
      !sink(accuracy, max_buckets, offset, packed, zero_count, count));
  return buf;
}

/// Loads `buf` into a non-empty sketch; returns whether it was refused
/// (and then checks the sketch was left empty, never half-loaded).
bool refused(const std::vector<char>& buf) {
  ddsketch target;
  target.add(5.0);
  caf::binary_deserializer source{nullptr, buf};
  auto err = source(target);
  if (err)
    BOOST_TEST(target.empty());
  return static_cast<bool>(err);
}

} // namespace

BOOST_AUTO_TEST_CASE(caf_deserialization_reads_the_packed_tokens) {
  // Counts 1, then 2 empty buckets, then 3: buckets 100..103 = {1, 0, 0, 3}.
  ddsketch copy;
  auto buf = wire_form(4096, 100, {2, 3, 6}, 1, 5);
  caf::binary_deserializer source{nullptr, buf};
  BOOST_REQUIRE(!source(copy));
  BOOST_TEST(copy.offset() == 100);
  BOOST_TEST(copy.buckets() == (std::vector<uint64_t>{1, 0, 0, 3}));
  BOOST_TEST(copy.zero_count() == 1u);
  BOOST_TEST(copy.count() == 5u);
}

BOOST_AUTO_TEST_CASE(caf_deserialization_rejects_counts_that_do_not_add_up) {
  BOOST_TEST(refused(wire_form(4096, 100, {2, 4, 6}, 1, 99)));
}

BOOST_AUTO_TEST_CASE(caf_deserialization_rejects_malformed_packed_buckets) {
  // Token 0 means nothing.
  BOOST_TEST(refused(wire_form(4096, 0, {2, 0, 2}, 0, 2)));
  // A run of empty buckets beyond the sketch's bucket limit: one byte on the
  // wire must not make the receiver allocate gigabytes.
  BOOST_TEST(refused(wire_form(4096, 0, {2, 2 * 5000 - 1, 2}, 0, 2)));
  BOOST_TEST(refused(
      wire_form(UINT32_MAX, 0, {2, 2 * (uint64_t{1} << 40) - 1, 2}, 0, 2)));
  // A varint cut short.
  auto buf = wire_form(4096, 0, {2}, 0, 1);
  // The packed string's last byte is the token; make it a continuation byte.
  std::vector<char> cut;
  caf::binary_serializer sink{nullptr, cut};
  double accuracy = 0.005;
  uint32_t max_buckets = 4096;
  int32_t offset = 0;
  std::string packed{"\x82"};
  uint64_t zero_count = 0;
  uint64_t count = 1;
  BOOST_REQUIRE(
      !sink(accuracy, max_buckets, offset, packed, zero_count, count));
  BOOST_TEST(refused(cut));
  BOOST_TEST(!refused(buf));
}

BOOST_AUTO_TEST_CASE(
    the_packed_wire_form_is_a_fraction_of_eight_bytes_a_bucket) {
  // A partial sketch as an ingest node sends it: 150 latencies of one
  // service in one window and batch.
  auto xs = lognormal_samples(5);
  xs.resize(150);
  auto sketch = sketch_of(xs, ddsketch::default_max_buckets);
  auto packed = sketch.pack_buckets();
  BOOST_TEST_MESSAGE(sketch.buckets().size()
                     << " buckets packed into " << packed.size() << " bytes");
  BOOST_TEST(packed.size() * 4 < sketch.buckets().size() * 8);
  std::vector<uint64_t> back;
  BOOST_TEST(ddsketch::unpack_buckets(packed, 4096, back));
  BOOST_TEST(back == sketch.buckets());
  // Large counts survive the doubling of the token.
  ddsketch heavy;
  heavy.add(3.0, uint64_t{1} << 62);
  heavy.add(300.0, 7);
  auto buf = serialize(heavy);
  ddsketch copy;
  caf::binary_deserializer source{nullptr, buf};
  BOOST_REQUIRE(!source(copy));
  BOOST_TEST((copy == heavy));
}

BOOST_AUTO_TEST_CASE(quantiles_are_nearest_rank) {
  // p95 of 1..10 is 10 (9 values, 90 %, are not enough), of 1..20 is 19,
  // of 1..100 is 95; the median of 1..4 is 2, of 1..5 is 3.
  struct expectation {
    uint64_t n;
    double q;
    uint64_t rank;
  };
  for (auto e :
       {expectation{10, 0.95, 9}, expectation{20, 0.95, 18},
        expectation{100, 0.95, 94}, expectation{100, 0.99, 98},
        expectation{4, 0.5, 1}, expectation{5, 0.5, 2}, expectation{1, 0.95, 0},
        expectation{7, 0.0, 0}, expectation{7, 1.0, 6},
        expectation{60, 0.95, 56}, expectation{100, 0.07, 6}}) {
    BOOST_TEST_INFO("n = " << e.n << ", q = " << e.q);
    BOOST_TEST(ddsketch::rank_of(e.q, e.n) == e.rank);
  }
  BOOST_TEST(ddsketch::rank_of(std::nan(""), 9) == 0u);
  BOOST_TEST(ddsketch::rank_of(2.0, 9) == 8u);
  BOOST_TEST(ddsketch::rank_of(0.5, 0) == 0u);
  // The sketch reports the value at that rank, within its accuracy.
  ddsketch sketch;
  for (int v = 1; v <= 10; ++v)
    sketch.add(v * 10.0);
  BOOST_TEST(relative_error(sketch.quantile(0.95), 100.0)
             <= ddsketch::default_accuracy * (1 + 1e-9));
  BOOST_TEST(relative_error(sketch.quantile(0.5), 50.0)
             <= ddsketch::default_accuracy * (1 + 1e-9));
}
