#include "runtime/ddsketch.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <caf/error.hpp>
#include <caf/sec.hpp>

namespace vigil {

namespace {

constexpr double min_accuracy = 1e-6;

constexpr double max_accuracy = 0.5;

/// Returns the accuracy a sketch actually uses for a requested one.
double clamp_accuracy(double accuracy) {
  if (std::isnan(accuracy))
    return ddsketch::default_accuracy;
  return std::clamp(accuracy, min_accuracy, max_accuracy);
}

bool valid_accuracy(double accuracy) {
  return accuracy >= min_accuracy && accuracy <= max_accuracy;
}

/// Adds `b` to `a`; returns false on overflow.
bool checked_add(uint64_t& a, uint64_t b) {
  if (a > std::numeric_limits<uint64_t>::max() - b)
    return false;
  a += b;
  return true;
}

} // namespace

ddsketch::ddsketch() : ddsketch(default_accuracy) {
  // nop
}

ddsketch::ddsketch(double relative_accuracy, uint32_t max_buckets)
    : max_buckets_(std::max(max_buckets, uint32_t{1})) {
  set_accuracy(clamp_accuracy(relative_accuracy));
}

void ddsketch::set_accuracy(double accuracy) {
  accuracy_ = accuracy;
  auto gamma = (1 + accuracy) / (1 - accuracy);
  gamma_ln_ = std::log(gamma);
  inv_gamma_ln_ = 1 / gamma_ln_;
  log_value_factor_ = std::log(2 / (gamma + 1));
}

int32_t ddsketch::index_of(double value) const {
  // Callers guarantee min_positive < value <= DBL_MAX, so |log(value)| < 710
  // and, with accuracy >= 1e-6, the index stays within +-3.6e8.
  return static_cast<int32_t>(std::ceil(std::log(value) * inv_gamma_ln_));
}

double ddsketch::value_of(int32_t index) const {
  // The midpoint of the top bucket may lie above the largest double; the
  // clamped estimate is then still closer to the bucket's values.
  return std::min(std::exp(index * gamma_ln_ + log_value_factor_),
                  std::numeric_limits<double>::max());
}

void ddsketch::add(double value) {
  add(value, 1);
}

void ddsketch::add(double value, uint64_t n) {
  if (n == 0)
    return;
  if (!(value > min_positive)) {
    if (std::isnan(value))
      return;
    count_ += n;
    zero_count_ += n;
    return;
  }
  count_ += n;
  auto index = index_of(std::min(value, std::numeric_limits<double>::max()));
  auto slot = static_cast<int64_t>(index) - offset_;
  if (slot < 0 || slot >= static_cast<int64_t>(buckets_.size())) {
    ensure_range(index, index);
    slot = std::max(static_cast<int64_t>(index) - offset_, int64_t{0});
  }
  buckets_[static_cast<size_t>(slot)] += n;
}

void ddsketch::ensure_range(int64_t lo, int64_t hi) {
  auto limit = static_cast<int64_t>(max_buckets_);
  if (buckets_.empty()) {
    auto new_lo = std::max(lo, hi - limit + 1);
    buckets_.assign(static_cast<size_t>(hi - new_lo + 1), 0);
    offset_ = static_cast<int32_t>(new_lo);
    return;
  }
  auto old_lo = static_cast<int64_t>(offset_);
  auto old_hi = old_lo + static_cast<int64_t>(buckets_.size()) - 1;
  auto new_hi = std::max(old_hi, hi);
  auto new_lo = std::max(std::min(old_lo, lo), new_hi - limit + 1);
  if (new_hi > old_hi)
    buckets_.resize(static_cast<size_t>(new_hi - old_lo + 1), 0);
  if (new_lo > old_lo) {
    // Collapse every bucket below new_lo into new_lo.
    auto k = static_cast<size_t>(new_lo - old_lo);
    uint64_t folded = 0;
    for (size_t i = 0; i < k; ++i)
      folded += buckets_[i];
    buckets_[k] += folded;
    buckets_.erase(buckets_.begin(),
                   buckets_.begin() + static_cast<std::ptrdiff_t>(k));
  } else if (new_lo < old_lo) {
    buckets_.insert(buckets_.begin(), static_cast<size_t>(old_lo - new_lo), 0);
  }
  offset_ = static_cast<int32_t>(new_lo);
}

void ddsketch::trim() {
  auto first = std::find_if(buckets_.begin(), buckets_.end(),
                            [](uint64_t x) { return x != 0; });
  if (first == buckets_.end()) {
    buckets_.clear();
    offset_ = 0;
    return;
  }
  auto last = std::find_if(buckets_.rbegin(), buckets_.rend(), [](uint64_t x) {
                return x != 0;
              }).base();
  buckets_.erase(last, buckets_.end());
  offset_ += static_cast<int32_t>(first - buckets_.begin());
  buckets_.erase(buckets_.begin(), first);
}

bool ddsketch::merge(const ddsketch& other) {
  if (accuracy_ != other.accuracy_)
    return false;
  if (other.count_ == 0)
    return true;
  count_ += other.count_;
  zero_count_ += other.zero_count_;
  // Only the non-empty range of `other` may widen ours: a wider range could
  // collapse buckets that the sketch of the union keeps.
  const auto& src = other.buckets_;
  size_t first = 0;
  while (first < src.size() && src[first] == 0)
    ++first;
  if (first == src.size())
    return true;
  size_t last = src.size() - 1;
  while (src[last] == 0)
    --last;
  auto src_lo
      = static_cast<int64_t>(other.offset_) + static_cast<int64_t>(first);
  auto src_hi
      = static_cast<int64_t>(other.offset_) + static_cast<int64_t>(last);
  ensure_range(src_lo, src_hi);
  for (size_t i = first; i <= last; ++i) {
    auto index = static_cast<int64_t>(other.offset_) + static_cast<int64_t>(i);
    auto slot = std::max(index - offset_, int64_t{0});
    buckets_[static_cast<size_t>(slot)] += src[i];
  }
  return true;
}

uint64_t ddsketch::rank_of(double q, uint64_t n) {
  if (n == 0)
    return 0;
  if (!(q > 0))
    return 0; // also maps NaN to the minimum
  if (q >= 1)
    return n - 1;
  auto scaled = q * static_cast<double>(n);
  auto at_least = std::ceil(scaled - 1e-9 * std::max(1.0, scaled));
  if (!(at_least >= 1))
    return 0;
  // Guards against rounding of huge counts in the double product.
  return std::min(static_cast<uint64_t>(at_least) - 1, n - 1);
}

double ddsketch::quantile(double q) const {
  if (count_ == 0)
    return 0;
  auto rank = rank_of(q, count_);
  if (rank < zero_count_)
    return 0;
  auto seen = zero_count_;
  for (size_t i = 0; i < buckets_.size(); ++i) {
    seen += buckets_[i];
    if (rank < seen)
      return value_of(offset_ + static_cast<int32_t>(i));
  }
  // Unreachable while count_ equals the sum of all buckets.
  return buckets_.empty()
             ? 0
             : value_of(offset_ + static_cast<int32_t>(buckets_.size() - 1));
}

void ddsketch::clear() {
  offset_ = 0;
  buckets_.clear();
  zero_count_ = 0;
  count_ = 0;
}

bool ddsketch::operator==(const ddsketch& other) const {
  if (accuracy_ != other.accuracy_ || count_ != other.count_
      || zero_count_ != other.zero_count_)
    return false;
  // Compare the non-empty ranges, aligned by bucket index.
  auto range = [](const ddsketch& x) {
    size_t first = 0;
    size_t last = x.buckets_.size();
    while (first < last && x.buckets_[first] == 0)
      ++first;
    while (last > first && x.buckets_[last - 1] == 0)
      --last;
    return std::make_pair(first, last);
  };
  auto [first_a, last_a] = range(*this);
  auto [first_b, last_b] = range(other);
  if (last_a - first_a != last_b - first_b)
    return false;
  if (first_a == last_a)
    return true;
  if (static_cast<int64_t>(offset_) + static_cast<int64_t>(first_a)
      != static_cast<int64_t>(other.offset_) + static_cast<int64_t>(first_b))
    return false;
  return std::equal(buckets_.begin() + static_cast<std::ptrdiff_t>(first_a),
                    buckets_.begin() + static_cast<std::ptrdiff_t>(last_a),
                    other.buckets_.begin()
                        + static_cast<std::ptrdiff_t>(first_b));
}

bool ddsketch::restore(double accuracy, int32_t offset,
                       std::vector<uint64_t> buckets, uint64_t zero_count) {
  if (!valid_accuracy(accuracy))
    return false;
  auto total = zero_count;
  for (auto x : buckets)
    if (!checked_add(total, x))
      return false;
  auto hi = static_cast<int64_t>(offset) + static_cast<int64_t>(buckets.size());
  if (!buckets.empty() && hi - 1 > std::numeric_limits<int32_t>::max())
    return false;
  ddsketch tmp{accuracy, max_buckets_};
  tmp.offset_ = offset;
  tmp.buckets_ = std::move(buckets);
  tmp.zero_count_ = zero_count;
  tmp.count_ = total;
  tmp.trim();
  if (tmp.buckets_.size() > max_buckets_) {
    // Re-apply the collapse rule of this sketch's limit.
    auto top = static_cast<int64_t>(tmp.offset_)
               + static_cast<int64_t>(tmp.buckets_.size()) - 1;
    std::vector<uint64_t> wide;
    wide.swap(tmp.buckets_);
    auto wide_offset = static_cast<int64_t>(tmp.offset_);
    tmp.ensure_range(wide_offset, top);
    for (size_t i = 0; i < wide.size(); ++i) {
      auto index = wide_offset + static_cast<int64_t>(i);
      auto slot = std::max(index - tmp.offset_, int64_t{0});
      tmp.buckets_[static_cast<size_t>(slot)] += wide[i];
    }
  }
  *this = std::move(tmp);
  return true;
}

namespace {

/// Largest bucket count a sketch accepts from the wire, whatever its own
/// limit says: a run of empty buckets costs a byte on the wire and 8 in
/// memory, so a peer's limit alone must not size the allocation.
constexpr size_t max_wire_buckets = size_t{1} << 20;

void put_varint(std::string& out, uint64_t x) {
  while (x >= 0x80) {
    out.push_back(static_cast<char>((x & 0x7f) | 0x80));
    x >>= 7;
  }
  out.push_back(static_cast<char>(x));
}

bool get_varint(const char*& pos, const char* end, uint64_t& x) {
  x = 0;
  for (int shift = 0; shift < 64 && pos != end; shift += 7) {
    auto byte = static_cast<uint8_t>(*pos++);
    if (shift == 63 && byte > 1)
      return false; // more than 64 bits
    x |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0)
      return true;
  }
  return false;
}

} // namespace

std::string ddsketch::pack_buckets() const {
  std::string out;
  out.reserve(buckets_.size() / 2 + 8);
  uint64_t run = 0;
  for (auto n : buckets_) {
    if (n == 0) {
      ++run;
      continue;
    }
    if (run > 0) {
      put_varint(out, 2 * run - 1);
      run = 0;
    }
    // Counts above 2^63 cannot occur: count_ would overflow first.
    put_varint(out, 2 * n);
  }
  if (run > 0)
    put_varint(out, 2 * run - 1);
  return out;
}

bool ddsketch::unpack_buckets(const std::string& packed, size_t limit,
                              std::vector<uint64_t>& out) {
  out.clear();
  const char* pos = packed.data();
  const char* end = pos + packed.size();
  while (pos != end) {
    uint64_t token = 0;
    if (!get_varint(pos, end, token) || token == 0)
      return false;
    if (token % 2 == 0) {
      if (out.size() >= limit)
        return false;
      out.push_back(token / 2);
    } else {
      auto run = token / 2 + 1;
      if (run > limit - out.size())
        return false;
      out.resize(out.size() + run, 0);
    }
  }
  return true;
}

caf::error ddsketch::on_load(const std::string& packed) {
  auto consistent = [&] {
    if (!valid_accuracy(accuracy_) || max_buckets_ == 0)
      return false;
    if (!unpack_buckets(
            packed, std::min<size_t>(max_buckets_, max_wire_buckets), buckets_))
      return false;
    auto total = zero_count_;
    for (auto x : buckets_)
      if (!checked_add(total, x))
        return false;
    if (total != count_)
      return false;
    auto end
        = static_cast<int64_t>(offset_) + static_cast<int64_t>(buckets_.size());
    if (!buckets_.empty() && end - 1 > std::numeric_limits<int32_t>::max())
      return false;
    set_accuracy(accuracy_);
    trim();
    return buckets_.size() <= max_buckets_;
  };
  if (consistent())
    return caf::none;
  // Never leave a half-loaded, inconsistent sketch behind.
  *this = ddsketch{};
  return caf::make_error(caf::sec::invalid_argument);
}

} // namespace vigil
