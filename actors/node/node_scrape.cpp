#include "actors/node/node_scrape.hpp"

#include <algorithm>
#include <atomic>
#include <climits>
#include <map>

#include "actors/node/node_http.hpp"
#include "runtime/http_server.hpp"

namespace vigil {

namespace {

/// Upper bound of open incidents read per scrape.
constexpr int64_t max_open_incidents = 100000;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

} // namespace

db_result<std::vector<service_sample>>
read_service_samples(const std::string& db) {
  auto windows = read_latest_windows(db);
  if (!windows)
    return windows.error();
  // Since INT64_MAX: only the incidents still open.
  auto open = read_incidents(db, INT64_MAX, max_open_incidents);
  if (!open)
    return open.error();
  std::map<std::string, int64_t> incidents;
  for (const auto& row : open.value())
    ++incidents[row.service];
  std::vector<service_sample> result;
  for (const auto& w : windows.value()) {
    service_sample s;
    s.service = w.service;
    s.requests = w.request_count;
    s.errors = w.error_count;
    s.window_seconds = static_cast<double>(
                           std::max<int64_t>(w.window_end - w.window_start, 1))
                       / 1000.0;
    s.p95_latency_seconds = w.p95_latency_ms / 1000.0;
    if (auto i = incidents.find(w.service); i != incidents.end()) {
      s.open_incidents = i->second;
      incidents.erase(i);
    }
    result.push_back(std::move(s));
  }
  // An open incident of a service without a stored window (not expected:
  // incidents come from windows) still shows.
  for (const auto& [service, n] : incidents) {
    service_sample s;
    s.service = service;
    s.open_incidents = n;
    result.push_back(std::move(s));
  }
  return result;
}

void install_scrape_refresh(http_server& server,
                            std::shared_ptr<node_http_context> ctx,
                            std::chrono::milliseconds min_interval) {
  auto last = std::make_shared<std::atomic<int64_t>>(INT64_MIN / 2);
  auto* srv = &server;
  auto interval = min_interval.count();
  server.on_scrape([ctx, last, srv, interval] {
    auto now = steady_ms();
    auto prev = last->load();
    // One refresh per interval, also under concurrent scrapes.
    if (now - prev < interval || !last->compare_exchange_strong(prev, now))
      return;
    auto checks = srv->check_readiness();
    auto failing = std::count_if(checks.begin(), checks.end(),
                                 [](const auto& c) { return !c.ok; });
    // No check registered yet: not ready, as GET /ready answers 503.
    ctx->metrics->failing_readiness_checks().Set(
        static_cast<double>(checks.empty() ? 1 : failing));
    if (auto samples = read_service_samples(ctx->db))
      ctx->metrics->set_services(samples.value());
  });
}

} // namespace vigil
