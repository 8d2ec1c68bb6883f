#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>

namespace vigil {

/// Settings of an exponential backoff with jitter (Akka's BackoffSupervisor).
struct backoff_config {
  /// Delay before the first retry.
  std::chrono::milliseconds min{100};
  /// Upper bound of any delay (before jitter).
  std::chrono::milliseconds max{10000};
  /// Growth factor between consecutive delays, >= 1.
  double factor = 2.0;
  /// Jitter: each delay is multiplied by a uniform value in [1, 1 + random].
  double random_factor = 0.2;
  /// A child that ran this long without failing resets the sequence.
  std::chrono::milliseconds reset_after{30000};
};

/// Computes the delay sequence min, min*f, min*f^2, ... capped at max, each
/// with seeded jitter; resets after a stable period. Pure: time comes in as an
/// argument, randomness from a seeded engine.
class backoff_policy {
public:
  using clock_time = std::chrono::steady_clock::time_point;

  backoff_policy(backoff_config settings, uint64_t seed);

  /// Returns the delay before the next restart of a child that failed at
  /// `now` after having been started at `started`. If it ran for at least
  /// `reset_after`, the sequence starts over at `min`.
  std::chrono::milliseconds next_delay(clock_time started, clock_time now);

  /// Number of consecutive failures counted so far (0 after a reset).
  uint32_t attempt() const noexcept {
    return attempt_;
  }

  /// Starts the sequence over.
  void reset() noexcept {
    attempt_ = 0;
  }

  const backoff_config& settings() const noexcept {
    return settings_;
  }

private:
  backoff_config settings_;
  std::mt19937_64 rng_;
  uint32_t attempt_ = 0;
};

/// Restart intensity (Erlang/OTP): more than `max_restarts` restarts within
/// `period` means the fault is not transient and must escalate.
class restart_intensity {
public:
  using clock_time = std::chrono::steady_clock::time_point;

  restart_intensity(uint32_t max_restarts, std::chrono::milliseconds period);

  /// Records a restart at `now`; returns false if this restart exceeds the
  /// intensity (the supervisor must escalate instead of restarting).
  bool record(clock_time now);

  /// Restarts recorded within the period ending at `now`.
  size_t recent(clock_time now);

private:
  uint32_t max_restarts_;
  std::chrono::milliseconds period_;
  std::deque<clock_time> history_;
};

} // namespace vigil
