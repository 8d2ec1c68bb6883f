#pragma once

// Seeded windows of request traffic for the detectors' unit tests.

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "actors/messages.hpp"

namespace vigil::test {

constexpr int64_t traffic_window_ms = 10000;

/// Seeded traffic of several services: about 1000 requests per window, 1 %
/// errors, p95 around 200 ms with 5 % noise.
struct window_traffic {
  explicit window_traffic(uint64_t seed) : rng(seed) {
    // nop
  }

  window_row next(const std::string& service, int64_t index) {
    std::normal_distribution<double> requests{1000, 30};
    std::normal_distribution<double> p95{200, 10};
    window_row row;
    row.service = service;
    row.window_start = index * traffic_window_ms;
    row.window_end = row.window_start + traffic_window_ms;
    row.request_count = std::llround(requests(rng));
    std::binomial_distribution<int64_t> errors{row.request_count, 0.01};
    row.error_count = errors(rng);
    row.error_rate = static_cast<double>(row.error_count)
                     / static_cast<double>(row.request_count);
    row.p95_latency_ms = p95(rng);
    row.p50_latency_ms = row.p95_latency_ms / 3;
    row.avg_latency_ms = row.p95_latency_ms / 2.5;
    row.p99_latency_ms = row.p95_latency_ms * 1.4;
    row.max_latency_ms = row.p95_latency_ms * 2;
    row.updated_at = row.window_end;
    row.final = true;
    return row;
  }

  std::mt19937_64 rng;
};

} // namespace vigil::test
