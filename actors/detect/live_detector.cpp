#include "actors/detect/live_detector.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <utility>

#include <nlohmann/json.hpp>

namespace vigil {

namespace {

using json = nlohmann::json;

anomaly_row make_anomaly(const window_row& row, const char* metric,
                         double observed, const scored_point& p,
                         int64_t now_ms) {
  anomaly_row result;
  result.service = row.service;
  result.window_start = row.window_start;
  result.metric = metric;
  result.observed = observed;
  result.expected = p.expected;
  result.score = p.score;
  result.severity = severity_of_score(p.score);
  result.detector = to_string(p.detector);
  result.detected_at = now_ms;
  return result;
}

} // namespace

std::string parse_detector_list(std::string_view text, metric_detection& out) {
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
      s.remove_suffix(1);
    return s;
  };
  text = trim(text);
  const std::string expected
      = "expected 'all', 'off', or a comma-separated list of spike, "
        "level_shift and variance_change";
  if (text == "all") {
    out.enabled = out.spike = out.level_shift = out.variance_change = true;
    return "";
  }
  if (text == "off" || text == "none") {
    out.enabled = false;
    return "";
  }
  metric_detection parsed = out;
  parsed.enabled = true;
  parsed.spike = parsed.level_shift = parsed.variance_change = false;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view{}
                                           : text.substr(comma + 1);
    bool* flag = nullptr;
    if (item == "spike")
      flag = &parsed.spike;
    else if (item == "level_shift")
      flag = &parsed.level_shift;
    else if (item == "variance_change")
      flag = &parsed.variance_change;
    if (flag == nullptr)
      return "unknown detector '" + std::string{item} + "': " + expected;
    if (*flag)
      return "detector '" + std::string{item} + "' named twice";
    *flag = true;
  }
  if (!parsed.spike && !parsed.level_shift && !parsed.variance_change)
    return "empty detector list: " + expected;
  parsed.detection.spike.enabled = parsed.spike;
  parsed.detection.change_point.enabled
      = parsed.level_shift || parsed.variance_change;
  out = parsed;
  return "";
}

std::string parse_sensitivity(std::string_view text, double& out) {
  std::string copy{text};
  char* end = nullptr;
  auto value = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size() || !std::isfinite(value)
      || value <= 0 || value > 100)
    return "'" + copy
           + "' is not a sensitivity: expected a positive number such as 1 "
             "(the default), 2 (pages on half the deviation) or 0.5";
  out = value;
  return "";
}

combined_detector::service_state::service_state(
    const live_detection_config& settings)
    : error_rate(settings.error_rate.detection),
      latency(settings.latency.detection),
      request_rate(settings.request_rate.detection) {
  // nop
}

combined_detector::combined_detector(live_detection_config settings)
    : settings_(std::move(settings)) {
  // nop
}

scored_point combined_detector::reported(const metric_detection& m,
                                         scored_point p) {
  if (!m.spike)
    p.spike_score = 0;
  if (!m.level_shift)
    p.level_shift_score = 0;
  if (!m.variance_change)
    p.variance_score = 0;
  p.combine();
  return p;
}

combined_detector::service_state*
combined_detector::state_of(const std::string& service) {
  auto i = services_.find(service);
  if (i != services_.end())
    return &i->second;
  if (services_.size() >= settings_.max_services) {
    ++overflow_;
    return nullptr;
  }
  return &services_.emplace(service, service_state{settings_}).first->second;
}

void combined_detector::score(service_state& state, const window_row& row,
                              int64_t now_ms, std::vector<anomaly_row>* out) {
  state.last_scored = row.window_start;
  auto duration_ms = row.window_end - row.window_start;
  if (settings_.request_rate.enabled && duration_ms > 0) {
    auto rate = static_cast<double>(row.request_count) * 1000.0
                / static_cast<double>(duration_ms);
    auto p = reported(settings_.request_rate,
                      state.request_rate.observe(row.window_start, rate));
    if (out != nullptr && p.anomalous())
      out->push_back(make_anomaly(row, "request_rate", rate, p, now_ms));
  }
  // Too few requests say nothing about error rate or tail latency.
  if (row.request_count < settings_.min_requests)
    return;
  if (settings_.error_rate.enabled) {
    auto rate = static_cast<double>(row.error_count)
                / static_cast<double>(row.request_count);
    auto p = reported(settings_.error_rate,
                      state.error_rate.observe(row.window_start, rate));
    if (out != nullptr && p.anomalous() && rate > p.expected
        && row.error_count >= settings_.min_errors
        && rate >= settings_.min_error_rate)
      out->push_back(make_anomaly(row, "error_rate", rate, p, now_ms));
  }
  if (settings_.latency.enabled) {
    auto p
        = reported(settings_.latency,
                   state.latency.observe(row.window_start, row.p95_latency_ms));
    if (out != nullptr && p.anomalous() && row.p95_latency_ms > p.expected)
      out->push_back(
          make_anomaly(row, "p95_latency_ms", row.p95_latency_ms, p, now_ms));
  }
}

std::vector<anomaly_row> combined_detector::judge(const window_row& row,
                                                  int64_t now_ms) {
  std::vector<anomaly_row> result;
  auto* state = state_of(row.service);
  if (state == nullptr
      || row.window_start
             <= std::max(state->last_scored, state->restored_until))
    return result;
  score(*state, row, now_ms, &result);
  return result;
}

void combined_detector::replay(const window_row& row) {
  auto i = services_.find(row.service);
  if (i == services_.end())
    return;
  auto& state = i->second;
  if (row.window_start > state.restored_until
      || row.window_start <= state.last_scored)
    return;
  score(state, row, 0, nullptr);
  ++replayed_;
}

std::string combined_detector::snapshot() const {
  json services = json::object();
  for (const auto& [service, state] : services_)
    services[service] = json{
        {"last_scored", std::max(state.last_scored, state.restored_until)}};
  return detector_snapshot(name, std::move(services));
}

bool combined_detector::restore(std::string_view text) {
  std::map<std::string, service_state, std::less<>> restored;
  auto ok = read_detector_snapshot(
      text, settings_.max_services,
      [&](const std::string& service, int64_t last, const json&) {
        service_state state{settings_};
        state.restored_until = last;
        restored.emplace(service, std::move(state));
        return true;
      });
  if (!ok)
    return false;
  services_ = std::move(restored);
  replayed_ = 0;
  return true;
}

} // namespace vigil
