#include "runtime/backoff.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace vigil {

namespace {

/// Maps a 64-bit engine output to [0, 1) with 53 bits of precision. Spelled
/// out (instead of std::uniform_real_distribution, whose algorithm the
/// standard leaves open) so that a seed gives the same delays everywhere.
double unit_interval(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

} // namespace

backoff_policy::backoff_policy(backoff_config settings, uint64_t seed)
    : settings_(settings), rng_(seed) {
  // nop
}

// Delay n (0-based attempt) = min(max, min * factor^n) * (1 + random * u),
// where u is uniform in [0, 1) from the seeded engine. One number is drawn per
// delay even without jitter, so the sequence of draws depends only on n.
std::chrono::milliseconds backoff_policy::next_delay(clock_time started,
                                                     clock_time now) {
  if (now - started >= settings_.reset_after)
    attempt_ = 0;
  auto lower = static_cast<double>(settings_.min.count());
  auto upper = static_cast<double>(settings_.max.count());
  auto factor = std::max(settings_.factor, 1.0);
  // pow may overflow to infinity for large attempts; min() then yields upper.
  auto base = std::min(upper, lower * std::pow(factor, attempt_));
  auto jitter
      = 1.0 + std::max(settings_.random_factor, 0.0) * unit_interval(rng_);
  if (attempt_ < std::numeric_limits<uint32_t>::max())
    ++attempt_;
  return std::chrono::milliseconds{std::llround(base * jitter)};
}

restart_intensity::restart_intensity(uint32_t max_restarts,
                                     std::chrono::milliseconds period)
    : max_restarts_(max_restarts), period_(period) {
  // nop
}

// A refused restart is not recorded: the caller escalates instead.
bool restart_intensity::record(clock_time now) {
  if (recent(now) >= max_restarts_)
    return false;
  history_.push_back(now);
  return true;
}

// The window is (now - period, now]: a restart exactly `period` ago is out.
size_t restart_intensity::recent(clock_time now) {
  while (!history_.empty() && now - history_.front() >= period_)
    history_.pop_front();
  return history_.size();
}

} // namespace vigil
